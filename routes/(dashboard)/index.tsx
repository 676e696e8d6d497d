import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import type { SystemStatus } from "@/lib/system_status.ts";
import type { Overview } from "@/lib/api/admin_schemas.ts";
import { loadOverview } from "@/lib/overview/live.ts";
import ServerHealth from "@/islands/ServerHealth.tsx";
import OverviewLive from "@/islands/OverviewLive.tsx";
import AddThisMachine from "@/islands/AddThisMachine.tsx";
import type { LocalAgentStatus } from "@/lib/api/local_agent_schemas.ts";

interface Data {
  status: SystemStatus;
  overview: Overview;
  /** For admins while there are no nodes yet: "Add this machine". */
  localAgent: LocalAgentStatus | null;
}

export const title = "Overview · Lattice";

export const handler: PageHandlers<Data> = {
  async GET(c) {
    const app = c.get("app");
    const [status, overview] = await Promise.all([
      app.status.snapshot(),
      loadOverview(app, c.get("principal")!),
    ]);
    const noNodes = overview.scope === "all" && overview.nodes.total === 0 &&
      overview.nodes.pending === 0;
    const localAgent = noNodes ? await app.localAgent.status() : null;
    return page({ status, overview, localAgent });
  },
};

export default function OverviewPage({ data }: PageProps<Data>) {
  return (
    <>
      <div class="page-header">
        <h1>Overview</h1>
      </div>
      {data.localAgent && <AddThisMachine initial={data.localAgent} hideWhenUnavailable />}
      <OverviewLive initial={data.overview} streamUrl="/api/v1/overview/stream" />
      <div class="grid overview-health">
        <ServerHealth initial={data.status} streamUrl="/api/v1/system/status/stream" />
      </div>
    </>
  );
}
