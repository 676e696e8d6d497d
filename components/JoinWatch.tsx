import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { type LiveState, openLiveSource } from "@/lib/web/client/live_source.ts";
import { NodeStatusBadge } from "@/components/NodeStatusBadge.tsx";

/** The fields of a streamed node this panel shows. */
interface StreamedNode {
  id: string;
  name: string;
  status: string;
  approval: string;
  drained: boolean;
  createdAt: string;
}

/** Stream clocks and the browser's may differ a little; nodes made this long before count too. */
const CLOCK_SLACK_MS = 60_000;

/**
 * After a join token is made: "Waiting for the machine…", then each node that joins from now on,
 * its status kept live from the node stream (GET /api/v1/nodes/stream).
 */
export function JoinWatch(props: { since: string }) {
  const joined = useSignal<StreamedNode[]>([]);
  const state = useSignal<LiveState>("connecting");

  useEffect(() => {
    const since = Date.parse(props.since) - CLOCK_SLACK_MS;
    // Nodes in the first snapshot were there before the token: only later ones are shown.
    let known: Set<string> | null = null;
    const apply = (nodes: StreamedNode[]) => {
      let list = joined.value;
      for (const node of nodes) {
        if (known?.has(node.id) || Date.parse(node.createdAt) < since) continue;
        const i = list.findIndex((n) => n.id === node.id);
        list = i < 0 ? [...list, node] : list.map((n, j) => (j === i ? node : n));
      }
      joined.value = list;
    };
    return openLiveSource("/api/v1/nodes/stream", {
      snapshot: (d) => {
        const nodes = (d as { nodes: StreamedNode[] }).nodes;
        if (known === null) known = new Set(nodes.map((n) => n.id));
        else apply(nodes);
      },
      node: (d) => apply([d as StreamedNode]),
      deleted: (d) => {
        const id = (d as { id: string }).id;
        joined.value = joined.value.filter((n) => n.id !== id);
      },
    }, (s) => (state.value = s));
  }, [props.since]);

  return (
    <div class="join-watch" data-testid="join-watch" data-live={state.value}>
      {joined.value.length === 0
        ? (
          <p class="muted" role="status">
            Waiting for the machine…
          </p>
        )
        : (
          <ul class="join-watch-nodes" aria-live="polite">
            {joined.value.map((n) => (
              <li key={n.id} data-node={n.name}>
                <a href={`/nodes/${n.id}`}>{n.name}</a> joined{" "}
                <NodeStatusBadge status={n.status} approval={n.approval} drained={n.drained} />
                {n.approval === "pending" && (
                  <>
                    {" "}— approve it on <a href="/approvals">Approvals</a>
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
    </div>
  );
}
