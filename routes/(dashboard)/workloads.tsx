import { EmptyState } from "@/components/EmptyState.tsx";

export const title = "Workloads · Lattice";

export default function WorkloadsPage() {
  return (
    <>
      <div class="page-header">
        <h1>Workloads</h1>
      </div>
      <EmptyState title="No workloads yet">
        <p>
          Workloads are the containers Lattice runs for you: one-click Postgres, Redis and MinIO, or
          any image. Deploying needs at least one approved node.
        </p>
      </EmptyState>
    </>
  );
}
