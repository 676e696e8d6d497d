import { EmptyState } from "@/components/EmptyState.tsx";

export const title = "Nodes · Lattice";

export default function NodesPage() {
  return (
    <>
      <div class="page-header">
        <h1>Nodes</h1>
      </div>
      <EmptyState title="No nodes yet">
        <p>
          Nodes are the machines that run your workloads. When a machine runs the Lattice agent and
          joins this control plane it appears here with its capacity, health and rank. The agent
          arrives in the next release.
        </p>
      </EmptyState>
    </>
  );
}
