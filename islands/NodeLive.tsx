import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import {
  formatBytes,
  formatPercent,
  formatRate,
  niceCeil,
  pushPoint,
  type SeriesPoint,
} from "@/lib/nodes/node_view.ts";
import { LIVE_LABELS, type LiveState, openLiveSource } from "@/lib/web/client/live_source.ts";
import { NodeStatusBadge } from "@/components/NodeStatusBadge.tsx";
import { NodeMetricChart } from "@/components/NodeMetricChart.tsx";
import { RelativeTime } from "@/components/RelativeTime.tsx";

/** What the live part of the node page shows; the series are oldest first. */
export interface NodeLiveState {
  status: "unknown" | "online" | "offline";
  approval: "pending" | "approved" | "rejected" | "revoked";
  drained: boolean;
  lastSeenAt: string | null;
  memoryTotal: number | null;
  cpu: SeriesPoint[];
  memory: SeriesPoint[];
  memoryUsed: SeriesPoint[];
  rx: SeriesPoint[];
  tx: SeriesPoint[];
}

interface StreamNode {
  id: string;
  status: NodeLiveState["status"];
  approval: NodeLiveState["approval"];
  drained: boolean;
  lastSeenAt: string | null;
  lastMetrics: {
    cpuPercent: number;
    memory: { usedBytes: number; totalBytes: number };
    network: { rxBps: number; txBps: number };
  } | null;
}

/** Fold a node's fresh record into the page's live state. */
function applyNode(
  s: NodeLiveState,
  n: StreamNode,
  options: { bucketMs: number; windowMs: number },
): NodeLiveState {
  const next = {
    ...s,
    status: n.status,
    approval: n.approval,
    drained: n.drained,
    lastSeenAt: n.lastSeenAt,
  };
  const seen = n.lastSeenAt ? Date.parse(n.lastSeenAt) : NaN;
  const m = n.lastMetrics;
  if (!m || !Number.isFinite(seen) || n.lastSeenAt === s.lastSeenAt) return next;
  const push = (series: SeriesPoint[], v: number) => pushPoint(series, [seen, v], options);
  const total = m.memory.totalBytes;
  return {
    ...next,
    memoryTotal: total,
    cpu: push(s.cpu, m.cpuPercent),
    memory: push(s.memory, total > 0 ? (m.memory.usedBytes / total) * 100 : 0),
    memoryUsed: push(s.memoryUsed, m.memory.usedBytes),
    rx: push(s.rx, m.network.rxBps),
    tx: push(s.tx, m.network.txBps),
  };
}

const last = (series: SeriesPoint[]) => series.at(-1)?.[1] ?? null;

/** The node page's status and metric charts, kept live from the node stream. */
export default function NodeLive(props: {
  nodeId: string;
  initial: NodeLiveState;
  now: number;
  windowMs: number;
  bucketMs: number;
}) {
  const s = useSignal(props.initial);
  const now = useSignal(props.now);
  const state = useSignal<LiveState>("connecting");

  useEffect(() => {
    const options = { bucketMs: props.bucketMs, windowMs: props.windowMs };
    const apply = (nodes: StreamNode[]) => {
      for (const n of nodes) if (n.id === props.nodeId) s.value = applyNode(s.value, n, options);
    };
    const close = openLiveSource(
      `/api/v1/nodes/stream?batchMs=250&ids=${props.nodeId}`,
      {
        snapshot: (d) => apply((d as { nodes: StreamNode[] }).nodes),
        nodes: (d) => apply((d as { nodes: StreamNode[] }).nodes),
      },
      (v) => (state.value = v),
    );
    const tick = setInterval(() => (now.value = Date.now()), 2000);
    return () => {
      close();
      clearInterval(tick);
    };
  }, [props.nodeId]);

  const v = s.value;
  const end = Math.max(now.value, v.cpu.at(-1)?.[0] ?? 0);
  const netMax = niceCeil(Math.max(1, ...v.rx.map((p) => p[1]), ...v.tx.map((p) => p[1])));
  const chart = { now: end, windowMs: props.windowMs };
  return (
    <section class="panel node-live" aria-labelledby="live-title" data-live={state.value}>
      <header class="panel-header">
        <h2 id="live-title">
          <NodeStatusBadge status={v.status} approval={v.approval} drained={v.drained} />
          <span class="node-live-seen">
            Last seen <RelativeTime iso={v.lastSeenAt} />
          </span>
        </h2>
        <span class={`live-dot live-${state.value}`} role="status" data-testid="node-live">
          {LIVE_LABELS[state.value]}
        </span>
      </header>
      <div class="node-charts">
        <NodeMetricChart
          title="CPU"
          testId="chart-cpu"
          {...chart}
          max={100}
          maxLabel="100%"
          lines={[{ label: "used", series: v.cpu, value: formatPercent(last(v.cpu)), tone: "a" }]}
        />
        <NodeMetricChart
          title="Memory"
          testId="chart-memory"
          {...chart}
          max={100}
          maxLabel={formatBytes(v.memoryTotal)}
          lines={[{
            label: "used",
            series: v.memory,
            value: `${formatBytes(last(v.memoryUsed))} (${formatPercent(last(v.memory))})`,
            tone: "a",
          }]}
        />
        <NodeMetricChart
          title="Network"
          testId="chart-network"
          {...chart}
          max={netMax}
          maxLabel={formatRate(netMax)}
          lines={[
            { label: "in", series: v.rx, value: formatRate(last(v.rx)), tone: "a" },
            { label: "out", series: v.tx, value: formatRate(last(v.tx)), tone: "b" },
          ]}
        />
      </div>
    </section>
  );
}
