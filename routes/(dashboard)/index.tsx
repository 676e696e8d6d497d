import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import type { SystemStatus } from "@/lib/system_status.ts";
import ServerHealth from "@/islands/ServerHealth.tsx";

interface Data {
  status: SystemStatus;
}

export const title = "Overview · Lattice";

export const handler: PageHandlers<Data> = {
  async GET(c) {
    return page({ status: await c.get("app").status.snapshot() });
  },
};

export default function Overview({ data, state }: PageProps<Data>) {
  const admin = state.principal?.role === "admin";
  return (
    <>
      <div class="page-header">
        <h1>Overview</h1>
      </div>
      <div class="grid">
        <ServerHealth initial={data.status} streamUrl="/api/v1/system/status/stream" />
        <section class="panel" aria-labelledby="next-title">
          <header class="panel-header">
            <h2 id="next-title">Get started</h2>
          </header>
          <ol class="steps">
            <li>
              <strong>Create an API token</strong> in <a href="/settings">Settings</a>{" "}
              to script Lattice through its <a href="/api/v1/openapi.json">JSON API</a>.
            </li>
            <li>
              <strong>Add machines.</strong> {admin
                ? "Node onboarding (the lattice-agent) arrives in the next release; nodes will show up under Nodes and wait in Approvals."
                : "An administrator adds machines; they will appear under Nodes."}
            </li>
            <li>
              <strong>Deploy workloads</strong>: one-click Postgres, Redis and MinIO follow once
              nodes can join.
            </li>
          </ol>
        </section>
      </div>
    </>
  );
}
