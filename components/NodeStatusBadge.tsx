import { nodeStatusBadge } from "@/lib/nodes/node_view.ts";

/** A node's status (approval, connection, drain) as one coloured badge of fixed width. */
export function NodeStatusBadge(props: { status: string; approval: string; drained: boolean }) {
  const { label, tone } = nodeStatusBadge(props);
  return (
    <span class={`node-status node-status-${tone}`} data-testid="node-status" data-status={label}>
      {label}
    </span>
  );
}
