import { EmptyState } from "@/components/EmptyState.tsx";

export const title = "Approvals · Lattice";

export default function ApprovalsPage() {
  return (
    <>
      <div class="page-header">
        <h1>Approvals</h1>
      </div>
      <EmptyState title="Nothing waiting for approval">
        <p>
          Machines that ask to join wait here until an administrator approves or rejects them.
        </p>
      </EmptyState>
    </>
  );
}
