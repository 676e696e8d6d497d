// What the dashboard's node pages read: a page of the node list with each row's recent metrics,
// and one node with everything its page shows. Page handlers call these (never the HTTP API).
import type { Db } from "../../db/db.ts";
import {
  getNodesByIds,
  listClusters,
  listMetricHistory,
  listNodesPage,
  listRecentNodeEvents,
  type MetricPoint,
  type RecentNodeEvent,
} from "../../db/node_pages.ts";
import { listPools, type Pool } from "../../db/pools.ts";
import { listNodeContainers, type Node, type NodeContainer } from "../../db/nodes.ts";
import { NotFoundError } from "../errors.ts";
import { badgeLabel, badgeTier } from "./badges.ts";
import {
  CLUSTER_LABEL,
  metricPercents,
  type NodeListQuery,
  type NodeRowView,
  NODES_PER_PAGE,
  scheduleSummary,
} from "./node_view.ts";

/** Sparklines on the list cover this long, in buckets of `LIST_BUCKET_SECONDS`. */
export const LIST_HISTORY_SECONDS = 600;
export const LIST_BUCKET_SECONDS = 20;

const round1 = (v: number) => Math.round(v * 10) / 10;

/** The row of `node`, with its metric history (oldest first). */
export function nodeRowView(node: Node, history: MetricPoint[]): NodeRowView {
  const tier = badgeTier(node.rank, node.rankUpdatedAt);
  return {
    id: node.id,
    name: node.name,
    status: node.status,
    approval: node.approval,
    drained: node.drained,
    rank: node.rank,
    tier,
    tierLabel: badgeLabel(tier),
    poolName: node.poolName,
    cluster: node.labels[CLUSTER_LABEL] ?? null,
    labels: Object.entries(node.labels).map(([k, v]) => `${k}=${v}`),
    agentVersion: node.agentVersion,
    lastSeenAt: node.lastSeenAt?.toISOString() ?? null,
    hours: scheduleSummary(node.schedule),
    ...metricPercents(node.lastMetrics),
    // One decimal is finer than a sparkline can show, and keeps the island's props small.
    cpu: history.map((p) => [p.t, round1(p.cpuPercent)]),
    memory: history.map((p) => [
      p.t,
      p.memoryTotal > 0 ? round1((p.memoryUsed / p.memoryTotal) * 100) : 0,
    ]),
  };
}

/** One page of the node list with the pools and clusters for its filters. */
export async function loadNodeListPage(
  db: Db,
  query: NodeListQuery,
): Promise<
  { rows: NodeRowView[]; total: number; pools: Pool[]; clusters: { name: string; nodes: number }[] }
> {
  const { nodes, total } = await listNodesPage(db, {
    status: query.status,
    approval: query.approval,
    poolId: query.poolId,
    cluster: query.cluster,
    q: query.q,
    sort: query.sort,
    order: query.order,
    limit: NODES_PER_PAGE,
    offset: (query.page - 1) * NODES_PER_PAGE,
  });
  const [history, pools, clusters] = await Promise.all([
    listMetricHistory(db, nodes.map((n) => n.id), {
      seconds: LIST_HISTORY_SECONDS,
      bucketSeconds: LIST_BUCKET_SECONDS,
    }),
    listPools(db),
    listClusters(db),
  ]);
  return {
    rows: nodes.map((n) => nodeRowView(n, history.get(n.id) ?? [])),
    total,
    pools,
    clusters,
  };
}

/** The bucket size for `minutes` of history: about 120 points, never below the heartbeat. */
export function historyBucketSeconds(minutes: number, heartbeatMs: number): number {
  return Math.max(Math.ceil((minutes * 60) / 120), Math.ceil(heartbeatMs / 1000));
}

/** The metric history of one node; 404 when there is no such node. */
export async function loadNodeMetrics(
  db: Db,
  nodeId: string,
  options: { minutes: number; heartbeatMs: number },
): Promise<{ bucketSeconds: number; points: MetricPoint[] }> {
  const [node] = await getNodesByIds(db, [nodeId]);
  if (!node) throw new NotFoundError(`No node ${nodeId}: list them with GET /api/v1/nodes`);
  const bucketSeconds = historyBucketSeconds(options.minutes, options.heartbeatMs);
  const history = await listMetricHistory(db, [nodeId], {
    seconds: options.minutes * 60,
    bucketSeconds,
  });
  return { bucketSeconds, points: history.get(nodeId) ?? [] };
}

/** Everything the node page shows besides the node itself. */
export interface NodeDetail {
  node: Node;
  containers: NodeContainer[];
  events: RecentNodeEvent[];
  pools: Pool[];
  metrics: { bucketSeconds: number; points: MetricPoint[] };
}

/** The node page's data; 404 when there is no such node. */
export async function loadNodeDetail(
  db: Db,
  nodeId: string,
  options: { minutes: number; heartbeatMs: number; events: number },
): Promise<NodeDetail> {
  const [node] = await getNodesByIds(db, [nodeId]);
  if (!node) throw new NotFoundError(`No node ${nodeId}: list them on /nodes`);
  const bucketSeconds = historyBucketSeconds(options.minutes, options.heartbeatMs);
  const [containers, events, pools, history] = await Promise.all([
    listNodeContainers(db, nodeId),
    listRecentNodeEvents(db, nodeId, options.events),
    listPools(db),
    listMetricHistory(db, [nodeId], { seconds: options.minutes * 60, bucketSeconds }),
  ]);
  return {
    node,
    containers,
    events,
    pools,
    metrics: { bucketSeconds, points: history.get(nodeId) ?? [] },
  };
}
