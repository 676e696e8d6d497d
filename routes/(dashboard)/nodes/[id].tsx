import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { ForbiddenError, NotFoundError } from "@/lib/errors.ts";
import { nodeDto } from "@/lib/api/schemas.ts";
import { badgeLabel, badgeTier } from "@/lib/nodes/badges.ts";
import { loadNodeDetail } from "@/lib/nodes/node_pages.ts";
import {
  formatBytes,
  formatRate,
  scheduleSummary,
  type SeriesPoint,
} from "@/lib/nodes/node_view.ts";
import { RelativeTime } from "@/components/RelativeTime.tsx";
import { NodeRankBadge } from "@/components/NodeRankBadge.tsx";
import { EmptyState } from "@/components/EmptyState.tsx";
import NodeLive, { type NodeLiveState } from "@/islands/NodeLive.tsx";
import NodeAdmin from "@/islands/NodeAdmin.tsx";

/** Charts cover this long on the node page. */
const WINDOW_MINUTES = 15;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Data {
  node: ReturnType<typeof nodeDto>;
  containers: {
    allocationId: string;
    workloadId: string | null;
    name: string;
    image: string;
    state: string;
    updatedAt: string;
  }[];
  events: { seq: number; at: string; kind: string; summary: string }[];
  pools: { id: string; name: string }[];
  live: NodeLiveState;
  bucketMs: number;
  now: number;
}

export const handler: PageHandlers<Data> = {
  async GET(c) {
    if (c.get("principal")?.role !== "admin") {
      throw new ForbiddenError("Node pages are for admins");
    }
    const id = c.req.param("id") ?? "";
    if (!UUID.test(id)) throw new NotFoundError(`No node ${id}: list them on /nodes`);
    const app = c.get("app");
    const d = await loadNodeDetail(app.db, id.toLowerCase(), {
      minutes: WINDOW_MINUTES,
      heartbeatMs: app.config.heartbeatIntervalMs,
      events: 20,
    });
    const series = (f: (p: (typeof d.metrics.points)[number]) => number): SeriesPoint[] =>
      d.metrics.points.map((p) => [p.t, f(p)]);
    const node = nodeDto(d.node);
    return page({
      node,
      containers: d.containers.map((ct) => ({
        allocationId: ct.allocationId,
        workloadId: ct.workloadId,
        name: ct.name,
        image: ct.image,
        state: ct.state,
        updatedAt: ct.updatedAt.toISOString(),
      })),
      events: d.events.map((e) => ({
        seq: e.seq,
        at: e.at.toISOString(),
        kind: e.kind,
        summary: eventSummary(e.data),
      })),
      pools: d.pools.map((p) => ({ id: p.id, name: p.name })),
      live: {
        status: node.status,
        approval: node.approval,
        drained: node.drained,
        lastSeenAt: node.lastSeenAt,
        memoryTotal: node.lastMetrics?.memory.totalBytes ?? node.capabilities?.memoryBytes ?? null,
        cpu: series((p) => p.cpuPercent),
        memory: series((p) => (p.memoryTotal > 0 ? (p.memoryUsed / p.memoryTotal) * 100 : 0)),
        memoryUsed: series((p) => p.memoryUsed),
        rx: series((p) => p.rxBps),
        tx: series((p) => p.txBps),
      },
      bucketMs: d.metrics.bucketSeconds * 1000,
      now: Date.now(),
    }, { title: `${d.node.name} · Nodes · Lattice` });
  },
};

/** A line about an event's data: its message, state or error when it has one. */
function eventSummary(data: unknown): string {
  if (!data || typeof data !== "object") return "";
  const d = data as Record<string, unknown>;
  for (const key of ["message", "error", "state", "status", "image", "reason"]) {
    if (typeof d[key] === "string") return `${key === "message" ? "" : `${key}: `}${d[key]}`;
  }
  return "";
}

const RANK_PARTS: [keyof NonNullable<Data["node"]["rankParts"]>, string][] = [
  ["availability", "Availability (30 days)"],
  ["jobSuccess", "Deploy success"],
  ["resources", "Resources offered"],
  ["heartbeatStability", "Heartbeat stability"],
  ["tenure", "Tenure"],
];

function Capabilities({ node }: { node: Data["node"] }) {
  const c = node.capabilities;
  if (!c) {
    return <p class="muted">Not reported yet: the agent sends them when it first connects.</p>;
  }
  const rows: [string, string][] = [
    ["CPU", `${c.cpu.cores} cores · ${c.cpu.model}`],
    ["Memory", formatBytes(c.memoryBytes)],
    ["Disk", `${formatBytes(c.disk.freeBytes)} free of ${formatBytes(c.disk.totalBytes)}`],
    ["OS", `${c.os} · ${c.arch} · kernel ${c.kernel}`],
    [
      "Docker",
      c.docker
        ? `${c.docker.version} (API ${c.docker.apiVersion}) · ${c.docker.runtimes.join(", ")}`
        : "not available",
    ],
    [
      "GPUs",
      c.gpus.length === 0
        ? "none"
        : c.gpus.map((g) => `${g.model} (${formatBytes(g.memoryBytes)})`).join(", "),
    ],
    [
      "Network",
      c.network.downloadBps === null && c.network.uploadBps === null
        ? "not measured"
        : `↓ ${formatRate(c.network.downloadBps)} · ↑ ${formatRate(c.network.uploadBps)}`,
    ],
    ["Agent", node.agentVersion ?? c.agentVersion],
  ];
  return (
    <dl class="node-facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export default function NodePage({ data }: PageProps<Data>) {
  const { node } = data;
  const tier = badgeTier(node.rank, node.rankUpdatedAt);
  return (
    <>
      <p class="breadcrumb">
        <a href="/nodes">Nodes</a> /
      </p>
      <div class="page-header node-header">
        <h1>{node.name}</h1>
        <NodeRankBadge rank={node.rank} tier={tier} tierLabel={badgeLabel(tier)} />
      </div>
      <p class="lede node-sub">
        Pool <strong>{node.poolName ?? "none"}</strong> · hours{" "}
        <strong>{scheduleSummary(node.schedule)}</strong> · joined{" "}
        <RelativeTime iso={node.createdAt} /> · key{" "}
        <code title="SHA-256 of the node's public key">{node.publicKeyFingerprint}</code>
      </p>
      <NodeLive
        nodeId={node.id}
        initial={data.live}
        now={data.now}
        windowMs={WINDOW_MINUTES * 60_000}
        bucketMs={data.bucketMs}
      />
      <div class="node-detail-grid">
        <div class="node-detail-main">
          <section class="panel" aria-labelledby="caps-title">
            <header class="panel-header">
              <h2 id="caps-title">Capabilities</h2>
            </header>
            <Capabilities node={node} />
          </section>
          <section class="panel" aria-labelledby="rank-title">
            <header class="panel-header">
              <h2 id="rank-title">Rank</h2>
              <span class="muted">
                updated <RelativeTime iso={node.rankUpdatedAt} empty="not yet" />
              </span>
            </header>
            {node.rankParts
              ? (
                <dl class="rank-parts">
                  {RANK_PARTS.map(([key, label]) => {
                    const v = node.rankParts![key];
                    return (
                      <div key={key}>
                        <dt>{label}</dt>
                        <dd>
                          <svg
                            class="rank-bar"
                            viewBox="0 0 100 6"
                            preserveAspectRatio="none"
                            aria-hidden="true"
                          >
                            <rect width="100" height="6" rx="3" class="rank-bar-track" />
                            <rect
                              width={Math.round(v * 100)}
                              height="6"
                              rx="3"
                              class="rank-bar-fill"
                            />
                          </svg>
                          <span class="rank-part-value">{Math.round(v * 100)}%</span>
                        </dd>
                      </div>
                    );
                  })}
                </dl>
              )
              : (
                <p class="muted">
                  {node.rankUpdatedAt
                    ? "No breakdown was recorded with this rank."
                    : "Not ranked yet: every node starts at 500 until the rank job has history to judge."}
                </p>
              )}
          </section>
          <section class="panel" aria-labelledby="containers-title">
            <header class="panel-header">
              <h2 id="containers-title">Containers</h2>
              <span class="muted">{data.containers.length}</span>
            </header>
            {data.containers.length === 0
              ? (
                <p class="muted">
                  Nothing runs here yet. Workloads placed on this node show up here.
                </p>
              )
              : (
                <div class="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Container</th>
                        <th scope="col">Image</th>
                        <th scope="col">State</th>
                        <th scope="col">Changed</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.containers.map((ct) => (
                        <tr key={ct.allocationId}>
                          <td>
                            {ct.workloadId
                              ? <a href={`/workloads/${ct.workloadId}`}>{ct.name}</a>
                              : ct.name}
                          </td>
                          <td>
                            <code>{ct.image}</code>
                          </td>
                          <td>
                            <span class={`badge container-${ct.state}`}>{ct.state}</span>
                          </td>
                          <td>
                            <RelativeTime iso={ct.updatedAt} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
          </section>
          <section class="panel" aria-labelledby="events-title">
            <header class="panel-header">
              <h2 id="events-title">Recent events</h2>
            </header>
            {data.events.length === 0
              ? <p class="muted">No events reported yet.</p>
              : (
                <ol class="node-events">
                  {data.events.map((e) => (
                    <li key={e.seq}>
                      <RelativeTime iso={e.at} /> <code>{e.kind}</code>{" "}
                      <span class="muted">{e.summary}</span>
                    </li>
                  ))}
                </ol>
              )}
          </section>
        </div>
        <div class="node-detail-side">
          <NodeAdmin node={node} pools={data.pools} />
        </div>
      </div>
      {data.node.capabilities === null && data.node.status === "unknown" && (
        <EmptyState title="This node has not connected yet">
          <p>
            Start its agent with{" "}
            <code>lattice-agent run</code>; capabilities and metrics appear once it says hello.
          </p>
        </EmptyState>
      )}
    </>
  );
}
