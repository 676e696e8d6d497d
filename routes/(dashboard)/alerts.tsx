import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import type { OverviewAlert } from "@/lib/api/admin_schemas.ts";
import { loadOverview } from "@/lib/overview/live.ts";
import { EmptyState } from "@/components/EmptyState.tsx";
import { AlertList } from "@/components/AlertList.tsx";

export const title = "Alerts · Lattice";

interface Data {
  alerts: OverviewAlert[];
}

// Alerts are computed from current state (offline nodes, failed or lost workloads, undelivered
// scheduler jobs); the overview shows the same list live.
export const handler: PageHandlers<Data> = {
  async GET(c) {
    const overview = await loadOverview(c.get("app"), c.get("principal")!);
    return page({ alerts: overview.alerts });
  },
};

export default function AlertsPage({ data }: PageProps<Data>) {
  return (
    <>
      <div class="page-header">
        <h1>Alerts</h1>
      </div>
      {data.alerts.length === 0
        ? (
          <EmptyState title="No open alerts">
            <p>
              Lattice raises an alert while a node is offline or a workload has failed or was lost.
              All quiet for now; the <a href="/">Overview</a> shows them live.
            </p>
          </EmptyState>
        )
        : <AlertList alerts={data.alerts} class="panel" />}
    </>
  );
}
