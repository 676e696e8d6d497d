import type { Queryable, Row } from "./db.ts";
import type { Capabilities, ContainerState, LabelMap, Metrics } from "../lib/protocol.ts";
import type { Offer } from "../lib/scheduling/views.ts";
import type { Schedule } from "../scheduler/types.ts";
import type { RankParts } from "../lib/nodes/rank_inputs.ts";

/** The admin's decision about a node. */
export type Approval = "pending" | "approved" | "rejected" | "revoked";
/** What the control plane last knew of the node's connection. */
export type NodeStatus = "unknown" | "online" | "offline";

/** A node as the API shows it (presence fields as last written by its session). */
export interface Node {
  id: string;
  name: string;
  publicKey: string;
  approval: Approval;
  approvalReason: string | null;
  approvedBy: string | null;
  approvedAt: Date | null;
  poolId: string | null;
  poolName: string | null;
  joinTokenId: string | null;
  labels: LabelMap;
  /** Null until the agent's first `hello`. */
  capabilities: Capabilities | null;
  agentVersion: string | null;
  status: NodeStatus;
  dockerHealthy: boolean | null;
  lastSeenAt: Date | null;
  connectedAt: Date | null;
  lastMetrics: Metrics | null;
  /** An admin's drain: no new placements. */
  drained: boolean;
  /** Computation hours; null means always available. */
  schedule: Schedule | null;
  /** Move workloads elsewhere before a window closes. */
  evacuateOutsideHours: boolean;
  /** The owner's caps on what the node offers; null means everything. */
  offer: Offer | null;
  /** An admin set the labels: the agent's hello no longer replaces them. */
  labelsPinned: boolean;
  /** An admin set the hours or offer: the owner's settings in the agent's hello are ignored. */
  settingsPinned: boolean;
  /** An admin placed the node in its pool by hand: criteria no longer move it. */
  poolPinned: boolean;
  /** 0–1000 (DESIGN §5); 500 until the rank job first runs. */
  rank: number;
  /** The parts the rank was computed from, each 0…1; null until the rank job first runs. */
  rankParts: RankParts | null;
  rankUpdatedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Orders of the node list; each has a default direction (see `NODE_SORT_DEFAULT_ORDER`). */
export type NodeSort = "created" | "rank" | "name" | "lastSeen" | "cluster";

/** Newest, best ranked and most recently seen first; names A to Z. */
export const NODE_SORT_DEFAULT_ORDER: Record<NodeSort, "asc" | "desc"> = {
  created: "desc",
  rank: "desc",
  name: "asc",
  lastSeen: "desc",
  cluster: "asc",
};

// Whitelisted ORDER BY clauses: the direction is inserted from a closed set, never from input.
export const ORDER_BY: Record<NodeSort, (dir: "ASC" | "DESC") => string> = {
  created: (dir) => `n.created_at ${dir}, n.id`,
  rank: (dir) => `n.rank ${dir}, n.name, n.id`,
  name: (dir) => `n.name ${dir}, n.id`,
  // Nodes never seen go last whichever way the list runs.
  lastSeen: (dir) => `n.last_seen_at ${dir} NULLS LAST, n.id`,
  // A cluster's machines together; nodes outside any cluster last.
  cluster: (dir) => `n.labels ->> 'lattice.cluster' ${dir} NULLS LAST, n.name, n.id`,
};

/** What a WebSocket session needs to know about the node it claims to be. */
export interface SessionNodeRecord {
  id: string;
  name: string;
  publicKey: string;
  approval: Approval;
  approvalReason: string | null;
  poolId: string | null;
  ackedSeq: number;
}

/** A container the control plane knows of on a node. */
export interface NodeContainer {
  allocationId: string;
  nodeId: string;
  workloadId: string | null;
  containerId: string | null;
  name: string;
  image: string;
  state: ContainerState;
  exitCode: number | null;
  ports: unknown[];
  createdAt: Date;
  updatedAt: Date;
}

/** The columns `toNode` reads, over `FROM`. */
export const COLUMNS = `n.id, n.name, n.public_key, n.approval, n.approval_reason, n.approved_by,
  n.approved_at, n.pool_id, p.name AS pool_name, n.join_token_id, n.labels, n.capabilities,
  n.agent_version, n.status, n.docker_healthy, n.last_seen_at, n.connected_at, n.last_metrics,
  n.drained, n.schedule, n.evacuate_outside_hours, n.offer, n.labels_pinned, n.pool_pinned,
  n.settings_pinned, n.rank, n.rank_parts, n.rank_updated_at, n.created_at, n.updated_at`;
/** Nodes with their pool's name. */
export const FROM = "nodes n LEFT JOIN pools p ON p.id = n.pool_id";

/** A row of `COLUMNS` as a Node. */
export function toNode(row: Row): Node {
  const caps = row.capabilities as Record<string, unknown> | null;
  return {
    id: row.id as string,
    name: row.name as string,
    publicKey: row.public_key as string,
    approval: row.approval as Approval,
    approvalReason: (row.approval_reason as string | null) ?? null,
    approvedBy: (row.approved_by as string | null) ?? null,
    approvedAt: (row.approved_at as Date | null) ?? null,
    poolId: (row.pool_id as string | null) ?? null,
    poolName: (row.pool_name as string | null) ?? null,
    joinTokenId: (row.join_token_id as string | null) ?? null,
    labels: (row.labels as LabelMap | null) ?? {},
    // The column defaults to {} before the first hello; an empty object means "not reported".
    capabilities: caps && Object.keys(caps).length > 0 ? caps as Capabilities : null,
    agentVersion: (row.agent_version as string | null) ?? null,
    status: row.status as NodeStatus,
    dockerHealthy: (row.docker_healthy as boolean | null) ?? null,
    lastSeenAt: (row.last_seen_at as Date | null) ?? null,
    connectedAt: (row.connected_at as Date | null) ?? null,
    lastMetrics: (row.last_metrics as Metrics | null) ?? null,
    drained: row.drained as boolean,
    schedule: (row.schedule as Schedule | null) ?? null,
    evacuateOutsideHours: row.evacuate_outside_hours as boolean,
    offer: (row.offer as Offer | null) ?? null,
    labelsPinned: row.labels_pinned as boolean,
    settingsPinned: row.settings_pinned as boolean,
    poolPinned: row.pool_pinned as boolean,
    rank: row.rank as number,
    rankParts: (row.rank_parts as RankParts | null) ?? null,
    rankUpdatedAt: (row.rank_updated_at as Date | null) ?? null,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

/** Insert a node that has just joined. A public key already registered raises a unique violation. */
export async function createNode(
  db: Queryable,
  input: {
    name: string;
    publicKey: string;
    labels: LabelMap;
    poolId: string;
    joinTokenId: string;
    agentVersion: string;
    approval: "pending" | "approved";
  },
): Promise<Node> {
  const id = crypto.randomUUID();
  await db.query(
    `INSERT INTO nodes (id, name, public_key, labels, pool_id, join_token_id, agent_version,
       approval, approved_at)
     VALUES ($1, $2, $3, $4::text::jsonb, $5, $6, $7, $8,
       CASE WHEN $8 = 'approved' THEN now() END)`,
    [
      id,
      input.name,
      input.publicKey,
      JSON.stringify(input.labels),
      input.poolId,
      input.joinTokenId,
      input.agentVersion,
      input.approval,
    ],
  );
  return (await getNode(db, id))!;
}

/** One node, or null. */
export async function getNode(db: Queryable, id: string): Promise<Node | null> {
  const rows = await db.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE n.id = $1`, [id]);
  return rows.length === 0 ? null : toNode(rows[0]);
}

/** The node holding this public key, or null. */
export async function getNodeByPublicKey(db: Queryable, publicKey: string): Promise<Node | null> {
  const rows = await db.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE n.public_key = $1`, [
    publicKey,
  ]);
  return rows.length === 0 ? null : toNode(rows[0]);
}

/**
 * Nodes, newest first unless `sort` and `order` say otherwise, optionally filtered by status,
 * approval and pool.
 */
export async function listNodes(
  db: Queryable,
  filter: {
    status?: NodeStatus;
    approval?: Approval;
    poolId?: string;
    /** Only the nodes of this cluster (label `lattice.cluster`). */
    cluster?: string;
    sort?: NodeSort;
    order?: "asc" | "desc";
  } = {},
): Promise<Node[]> {
  const sort = filter.sort ?? "created";
  const order = filter.order ?? NODE_SORT_DEFAULT_ORDER[sort];
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM ${FROM}
     WHERE ($1::text IS NULL OR n.status = $1::text)
       AND ($2::text IS NULL OR n.approval = $2::text)
       AND ($3::uuid IS NULL OR n.pool_id = $3::uuid)
       AND ($4::text IS NULL OR n.labels ->> 'lattice.cluster' = $4::text)
     ORDER BY ${ORDER_BY[sort](order === "asc" ? "ASC" : "DESC")}`,
    [filter.status ?? null, filter.approval ?? null, filter.poolId ?? null, filter.cluster ?? null],
  );
  return rows.map(toNode);
}

/** Lock a node's row for the rest of the transaction and return it, or null. */
export async function getNodeForUpdate(db: Queryable, id: string): Promise<Node | null> {
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM nodes n LEFT JOIN pools p ON p.id = n.pool_id
     WHERE n.id = $1 FOR NO KEY UPDATE OF n`,
    [id],
  );
  return rows.length === 0 ? null : toNode(rows[0]);
}

/**
 * Record an approval decision. Approving stamps who and when; rejecting and revoking keep the
 * earlier approval time as history and store the reason.
 */
export async function setNodeApproval(
  db: Queryable,
  id: string,
  decision: { approval: Approval; reason: string | null; actorId: string | null },
): Promise<Node | null> {
  const rows = await db.query(
    `UPDATE nodes SET approval = $2, approval_reason = $3,
       approved_by = CASE WHEN $2 = 'approved' THEN $4::uuid ELSE approved_by END,
       approved_at = CASE WHEN $2 = 'approved' THEN now() ELSE approved_at END,
       updated_at = now()
     WHERE id = $1 RETURNING id`,
    [id, decision.approval, decision.reason, decision.actorId],
  );
  return rows.length === 0 ? null : await getNode(db, id);
}

/** The node a WebSocket session claims to be, or null when no such node joined. */
export async function getNodeForSession(
  db: Queryable,
  nodeId: string,
): Promise<SessionNodeRecord | null> {
  const rows = await db.query(
    `SELECT id, name, public_key, approval, approval_reason, pool_id,
       acked_seq::text AS acked_seq
     FROM nodes WHERE id = $1`,
    [nodeId],
  );
  if (rows.length === 0) return null;
  const r = rows[0];
  return {
    id: r.id as string,
    name: r.name as string,
    publicKey: r.public_key as string,
    approval: r.approval as Approval,
    approvalReason: (r.approval_reason as string | null) ?? null,
    poolId: (r.pool_id as string | null) ?? null,
    // bigint comes back as a string from postgres.js; sequence numbers stay below 2^53.
    ackedSeq: Number(r.acked_seq),
  };
}

/** The containers recorded on a node, by name. */
export async function listNodeContainers(db: Queryable, nodeId: string): Promise<NodeContainer[]> {
  const rows = await db.query(
    `SELECT allocation_id, node_id, workload_id, container_id, name, image, state, exit_code,
       ports, created_at, updated_at
     FROM node_containers WHERE node_id = $1 ORDER BY name, allocation_id`,
    [nodeId],
  );
  return rows.map((r) => ({
    allocationId: r.allocation_id as string,
    nodeId: r.node_id as string,
    workloadId: (r.workload_id as string | null) ?? null,
    containerId: (r.container_id as string | null) ?? null,
    name: r.name as string,
    image: r.image as string,
    state: r.state as ContainerState,
    exitCode: (r.exit_code as number | null) ?? null,
    ports: (r.ports as unknown[] | null) ?? [],
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  }));
}
