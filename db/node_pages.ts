// Reads behind the dashboard's node pages: one page of the node list with its total, metric
// history rolled up into buckets (sparklines and charts), and a node's most recent events.
import type { Queryable } from "./db.ts";
import {
  type Approval,
  COLUMNS,
  FROM,
  type Node,
  NODE_SORT_DEFAULT_ORDER,
  type NodeSort,
  type NodeStatus,
  ORDER_BY,
  toNode,
} from "./nodes.ts";

/** What the node list may be narrowed and ordered by. */
export interface NodePageFilter {
  status?: NodeStatus;
  approval?: Approval;
  poolId?: string;
  /** Only the nodes of this cluster (label `lattice.cluster`). */
  cluster?: string;
  /** Part of the name or of a label (case-insensitive), or `key=value` for one label exactly. */
  q?: string;
  /** Drained nodes only (true) or undrained only (false). */
  drained?: boolean;
  sort?: NodeSort;
  order?: "asc" | "desc";
  limit: number;
  offset: number;
}

/** Escape LIKE's wildcards so that user text matches literally. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** One page of nodes and how many match the filter in all. */
export async function listNodesPage(
  db: Queryable,
  filter: NodePageFilter,
): Promise<{ nodes: Node[]; total: number }> {
  const sort = filter.sort ?? "created";
  const order = filter.order ?? NODE_SORT_DEFAULT_ORDER[sort];
  const q = filter.q?.trim() ?? "";
  const pair = /^([^=\s]+)=(.*)$/.exec(q);
  const where = `WHERE ($1::text IS NULL OR n.status = $1::text)
       AND ($2::text IS NULL OR n.approval = $2::text)
       AND ($3::uuid IS NULL OR n.pool_id = $3::uuid)
       AND ($4::text IS NULL OR n.name ILIKE $4::text OR n.labels::text ILIKE $4::text)
       AND ($5::text IS NULL OR n.labels ->> $5::text = $6::text)
       AND ($7::boolean IS NULL OR n.drained = $7::boolean)
       AND ($8::text IS NULL OR n.labels ->> 'lattice.cluster' = $8::text)`;
  const params = [
    filter.status ?? null,
    filter.approval ?? null,
    filter.poolId ?? null,
    q && !pair ? likePattern(q) : null,
    pair ? pair[1] : null,
    pair ? pair[2] : null,
    filter.drained ?? null,
    filter.cluster ?? null,
  ];
  const rows = await db.query(
    `SELECT ${COLUMNS}, count(*) OVER ()::int AS total_count FROM ${FROM}
     ${where}
     ORDER BY ${ORDER_BY[sort](order === "asc" ? "ASC" : "DESC")}
     LIMIT ${Math.trunc(filter.limit)} OFFSET ${Math.trunc(filter.offset)}`,
    params,
  );
  if (rows.length > 0) return { nodes: rows.map(toNode), total: rows[0].total_count as number };
  // Past the last page (or nothing matches): the window count has no row to ride on.
  const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM ${FROM} ${where}`, params);
  return { nodes: [], total: n as number };
}

/** The clusters nodes belong to (label `lattice.cluster`), A to Z, with how many nodes each. */
export async function listClusters(db: Queryable): Promise<{ name: string; nodes: number }[]> {
  const rows = await db.query(
    `SELECT labels ->> 'lattice.cluster' AS name, count(*)::int AS nodes FROM nodes
     WHERE labels ->> 'lattice.cluster' IS NOT NULL
     GROUP BY 1 ORDER BY 1`,
  );
  return rows.map((r) => ({ name: r.name as string, nodes: r.nodes as number }));
}

/** Heartbeat metrics of one node averaged over one bucket of time. */
export interface MetricPoint {
  /** Start of the bucket, milliseconds since the epoch. */
  t: number;
  cpuPercent: number;
  memoryUsed: number;
  memoryTotal: number;
  rxBps: number;
  txBps: number;
}

/**
 * The last `seconds` of heartbeat metrics of each of `nodeIds`, averaged per `bucketSeconds`
 * (by the time the server received them), oldest first.
 */
export async function listMetricHistory(
  db: Queryable,
  nodeIds: string[],
  options: { seconds: number; bucketSeconds: number },
): Promise<Map<string, MetricPoint[]>> {
  const history = new Map<string, MetricPoint[]>(nodeIds.map((id) => [id, []]));
  if (nodeIds.length === 0) return history;
  const rows = await db.query(
    // Float arithmetic throughout: avg() of a bigint and extract() both go through numeric,
    // which made this query ten times slower on PGlite.
    `SELECT node_id, floor(date_part('epoch', received_at) / $3::int) AS bucket,
       avg(cpu_percent::float8) AS cpu, avg(memory_used::float8) AS mem_used,
       max(memory_total)::float8 AS mem_total, avg(rx_bps::float8) AS rx,
       avg(tx_bps::float8) AS tx
     FROM node_metrics
     WHERE node_id = ANY($1::uuid[]) AND received_at > now() - ($2::int * interval '1 second')
     GROUP BY node_id, bucket
     ORDER BY node_id, bucket`,
    [nodeIds, Math.trunc(options.seconds), Math.trunc(options.bucketSeconds)],
  );
  for (const r of rows) {
    history.get(r.node_id as string)?.push({
      t: (r.bucket as number) * options.bucketSeconds * 1000,
      cpuPercent: r.cpu as number,
      memoryUsed: r.mem_used as number,
      memoryTotal: r.mem_total as number,
      rxBps: r.rx as number,
      txBps: r.tx as number,
    });
  }
  return history;
}

/** An event a node reported, as the node page lists it. */
export interface RecentNodeEvent {
  seq: number;
  at: Date;
  kind: string;
  allocationId: string | null;
  data: unknown;
}

/** The newest `limit` events of a node, newest first. */
export async function listRecentNodeEvents(
  db: Queryable,
  nodeId: string,
  limit: number,
): Promise<RecentNodeEvent[]> {
  const rows = await db.query(
    `SELECT seq::text AS seq_text, at, kind, allocation_id, data FROM node_events
     WHERE node_id = $1 ORDER BY seq DESC LIMIT $2`,
    [nodeId, limit],
  );
  return rows.map((r) => ({
    seq: Number(r.seq_text),
    at: r.at as Date,
    kind: r.kind as string,
    allocationId: (r.allocation_id as string | null) ?? null,
    data: r.data,
  }));
}

/** The nodes among `ids` that exist, in no particular order. */
export async function getNodesByIds(db: Queryable, ids: string[]): Promise<Node[]> {
  if (ids.length === 0) return [];
  const rows = await db.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE n.id = ANY($1::uuid[])`, [
    ids,
  ]);
  return rows.map(toNode);
}
