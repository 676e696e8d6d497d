import { type Signal, signal, useSignal } from "@preact/signals";
import { useEffect, useMemo } from "preact/hooks";
import {
  applyLiveNode,
  formatPercent,
  type LiveNode,
  type NodeRowView,
} from "@/lib/nodes/node_view.ts";
import { LIVE_LABELS, type LiveState, openLiveSource } from "@/lib/web/client/live_source.ts";
import { NodeStatusBadge } from "@/components/NodeStatusBadge.tsx";
import { NodeRankBadge } from "@/components/NodeRankBadge.tsx";
import { NodeSparkline } from "@/components/NodeSparkline.tsx";
import { RelativeTime } from "@/components/RelativeTime.tsx";

/** A column header: sortable ones link to the list sorted by them. */
export interface NodeColumn {
  label: string;
  href?: string;
  sorted?: "ascending" | "descending";
  class?: string;
}

interface Props {
  rows: NodeRowView[];
  columns: NodeColumn[];
  /** The server's clock when it rendered, so the first render matches. */
  now: number;
  windowMs: number;
  bucketMs: number;
  /** Server-sent events of these rows' nodes (batched). */
  streamUrl: string;
  /** Whether there is a Cluster column (only when some node belongs to a cluster). */
  showCluster?: boolean;
}

function NodeRow(
  props: { row: Signal<NodeRowView>; now: Signal<number>; windowMs: number; showCluster: boolean },
) {
  const r = props.row.value;
  // A fresh point may be a little ahead of the shared clock, which ticks every 5 s.
  const now = Math.max(props.now.value, r.cpu.at(-1)?.[0] ?? 0, r.memory.at(-1)?.[0] ?? 0);
  return (
    <tr data-node-id={r.id}>
      <td class="node-name-cell">
        <a href={`/nodes/${r.id}`} class="node-name">{r.name}</a>
        {r.labels.length > 0 && (
          <span class="node-labels" title={r.labels.join(", ")}>
            {r.labels.slice(0, 3).join(" · ")}
            {r.labels.length > 3 ? ` +${r.labels.length - 3}` : ""}
          </span>
        )}
      </td>
      <td class="node-status-cell">
        <NodeStatusBadge status={r.status} approval={r.approval} drained={r.drained} />
      </td>
      <td class="node-rank-cell">
        <NodeRankBadge rank={r.rank} tier={r.tier} tierLabel={r.tierLabel} />
      </td>
      <td class="node-pool" data-label="Pool">
        {r.poolName ?? <span class="muted">none</span>}
      </td>
      {props.showCluster && (
        <td class="node-cluster" data-label="Cluster">
          {r.cluster
            ? <a href={`/nodes?cluster=${encodeURIComponent(r.cluster)}`}>{r.cluster}</a>
            : <span class="muted">—</span>}
        </td>
      )}
      <td class="node-cpu" data-label="CPU">
        <NodeSparkline
          series={r.cpu}
          now={now}
          windowMs={props.windowMs}
          value={formatPercent(r.cpuPercent)}
          label="CPU"
        />
      </td>
      <td class="node-memory" data-label="Memory">
        <NodeSparkline
          series={r.memory}
          now={now}
          windowMs={props.windowMs}
          value={formatPercent(r.memoryPercent)}
          label="Memory"
        />
      </td>
      <td class="node-hours" data-label="Hours" title={r.hours}>{r.hours}</td>
      <td class="node-version" data-label="Agent">{r.agentVersion ?? "—"}</td>
      <td class="node-seen" data-label="Seen">
        <RelativeTime iso={r.lastSeenAt} />
      </td>
    </tr>
  );
}

/** The node list's rows, kept live from the node stream without moving anything around. */
export default function NodeTable(props: Props) {
  // One signal per row: a batch re-renders only the rows it changed.
  const rows = useMemo(() => new Map(props.rows.map((r) => [r.id, signal(r)])), [props.rows]);
  const now = useSignal(props.now);
  const state = useSignal<LiveState>("connecting");
  const updates = useSignal(0);

  useEffect(() => {
    const options = { bucketMs: props.bucketMs, windowMs: props.windowMs };
    const apply = (nodes: LiveNode[]) => {
      for (const node of nodes) {
        const row = rows.get(node.id);
        if (row) row.value = applyLiveNode(row.value, node, options);
      }
      updates.value++;
    };
    const close = openLiveSource(props.streamUrl, {
      snapshot: (d) => apply((d as { nodes: LiveNode[] }).nodes),
      nodes: (d) => apply((d as { nodes: LiveNode[] }).nodes),
    }, (s) => (state.value = s));
    // The time axis and "last seen" keep moving while nothing changes.
    const tick = setInterval(() => (now.value = Date.now()), 5000);
    return () => {
      close();
      clearInterval(tick);
    };
  }, [props.streamUrl]);

  return (
    <div class="node-table" data-live={state.value} data-updates={updates.value}>
      <p class="node-table-live">
        <span class={`live-dot live-${state.value}`} role="status" data-testid="nodes-live">
          {LIVE_LABELS[state.value]}
        </span>
      </p>
      <div class="table-wrap">
        <table class="nodes">
          <thead>
            <tr>
              {props.columns.map((c) => (
                <th key={c.label} scope="col" class={c.class} aria-sort={c.sorted}>
                  {c.href
                    ? (
                      <a href={c.href} class="sort-link">
                        {c.label}
                        <span aria-hidden="true" class="sort-mark">
                          {c.sorted === "ascending" ? "▲" : c.sorted === "descending" ? "▼" : ""}
                        </span>
                      </a>
                    )
                    : c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => (
              <NodeRow
                key={r.id}
                row={rows.get(r.id)!}
                now={now}
                windowMs={props.windowMs}
                showCluster={props.showCluster ?? false}
              />
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
