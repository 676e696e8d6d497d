import { EmptyState } from "@/components/EmptyState.tsx";

export const title = "Alerts · Lattice";

export default function AlertsPage() {
  return (
    <>
      <div class="page-header">
        <h1>Alerts</h1>
      </div>
      <EmptyState title="No alerts">
        <p>
          Lattice raises an alert when a node goes offline, a workload fails, or a disk fills up.
          All quiet for now.
        </p>
      </EmptyState>
    </>
  );
}
