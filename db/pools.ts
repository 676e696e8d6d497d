import type { Queryable } from "./db.ts";
import type { PoolCriteria } from "../lib/nodes/pool_criteria.ts";

/** The pool every node without another pool belongs to; it cannot be deleted. */
export const DEFAULT_POOL_ID = "00000000-0000-4000-8000-000000000001";

/** A group of nodes that workloads can target, with its health. */
export interface Pool {
  id: string;
  name: string;
  description: string;
  autoApprove: boolean;
  /** What a node must have to join automatically (lib/nodes/pool_criteria.ts). */
  criteria: PoolCriteria;
  createdAt: Date;
  updatedAt: Date;
  nodeCount: number;
  onlineNodes: number;
  /** Sums over the pool's online nodes, from what their agents report. */
  cpuCores: number;
  memoryBytes: number;
}

const SELECT = `
  SELECT p.id, p.name, p.description, p.auto_approve, p.criteria, p.created_at, p.updated_at,
    count(n.id)::int AS node_count,
    count(n.id) FILTER (WHERE n.status = 'online' AND n.approval = 'approved')::int AS online_nodes,
    coalesce(sum((n.capabilities #>> '{cpu,cores}')::int)
      FILTER (WHERE n.status = 'online' AND n.approval = 'approved'), 0)::int AS cpu_cores,
    coalesce(sum((n.capabilities ->> 'memoryBytes')::bigint)
      FILTER (WHERE n.status = 'online' AND n.approval = 'approved'), 0)::text AS memory_bytes
  FROM pools p LEFT JOIN nodes n ON n.pool_id = p.id`;

function toPool(r: Record<string, unknown>): Pool {
  return {
    id: r.id as string,
    name: r.name as string,
    description: r.description as string,
    autoApprove: r.auto_approve as boolean,
    criteria: (r.criteria ?? {}) as PoolCriteria,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
    nodeCount: r.node_count as number,
    onlineNodes: r.online_nodes as number,
    cpuCores: r.cpu_cores as number,
    memoryBytes: Number(r.memory_bytes),
  };
}

/** Every pool with its health, by name. */
export async function listPools(db: Queryable): Promise<Pool[]> {
  const rows = await db.query(`${SELECT} GROUP BY p.id ORDER BY p.name`);
  return rows.map(toPool);
}

/** One pool, or null. */
export async function getPool(db: Queryable, id: string): Promise<Pool | null> {
  const rows = await db.query(`${SELECT} WHERE p.id = $1 GROUP BY p.id`, [id]);
  return rows[0] ? toPool(rows[0]) : null;
}

/** Create a pool; throws a unique violation when the name is taken. */
export async function createPool(
  db: Queryable,
  pool: {
    name: string;
    description: string;
    autoApprove: boolean;
    criteria: PoolCriteria;
  },
): Promise<string> {
  const id = crypto.randomUUID();
  await db.query(
    `INSERT INTO pools (id, name, description, auto_approve, criteria)
     VALUES ($1, $2, $3, $4, $5::text::jsonb)`,
    [id, pool.name, pool.description, pool.autoApprove, JSON.stringify(pool.criteria)],
  );
  return id;
}

/** Change the given fields of a pool; false when there is no such pool. */
export async function updatePool(
  db: Queryable,
  id: string,
  patch: {
    name?: string;
    description?: string;
    autoApprove?: boolean;
    criteria?: PoolCriteria;
  },
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE pools SET name = coalesce($2, name), description = coalesce($3, description),
       auto_approve = coalesce($4, auto_approve),
       criteria = coalesce($5::text::jsonb, criteria), updated_at = now()
     WHERE id = $1 RETURNING id`,
    [
      id,
      patch.name,
      patch.description,
      patch.autoApprove,
      patch.criteria === undefined ? null : JSON.stringify(patch.criteria),
    ],
  );
  return rows.length > 0;
}

/**
 * Delete a pool, moving its nodes to the default pool first (in the caller's transaction) and
 * unpinning them: the pool they were placed in by hand is gone, so criteria decide again. Its
 * join tokens go with it. Returns how many nodes moved, or null when there is no such pool.
 */
export async function deletePool(db: Queryable, id: string): Promise<number | null> {
  const moved = await db.query(
    `UPDATE nodes SET pool_id = $2, pool_pinned = false, updated_at = now()
     WHERE pool_id = $1 RETURNING id`,
    [id, DEFAULT_POOL_ID],
  );
  const rows = await db.query(`DELETE FROM pools WHERE id = $1 RETURNING id`, [id]);
  return rows.length > 0 ? moved.length : null;
}

/**
 * Put a node in a pool by hand, pinning it there (criteria no longer move it); false when the
 * node does not exist.
 */
export async function setNodePool(db: Queryable, nodeId: string, poolId: string): Promise<boolean> {
  const rows = await db.query(
    `UPDATE nodes SET pool_id = $2, pool_pinned = true, updated_at = now()
     WHERE id = $1 RETURNING id`,
    [nodeId, poolId],
  );
  return rows.length > 0;
}

/** Every pool's id, name and criteria, for the pool assigner. */
export async function listPoolCriteria(
  db: Queryable,
): Promise<{ id: string; name: string; criteria: PoolCriteria }[]> {
  const rows = await db.query(`SELECT id, name, criteria FROM pools ORDER BY name`);
  return rows.map((r) => ({
    id: r.id as string,
    name: r.name as string,
    criteria: (r.criteria ?? {}) as PoolCriteria,
  }));
}

/** What the pool assigner reads of a node that criteria may move. */
export interface AssignableNode {
  id: string;
  name: string;
  poolId: string | null;
  labels: Record<string, string>;
  /** GPUs reported at the last hello; null before the first. */
  gpus: number | null;
  /** Where the node goes when no criteria match: its join token's pool, else the default. */
  homePoolId: string;
}

/** Nodes not pinned to their pool, all of them or those in `ids`. */
export async function listAssignableNodes(
  db: Queryable,
  ids: string[] | null,
): Promise<AssignableNode[]> {
  const rows = await db.query(
    `SELECT n.id, n.name, n.pool_id, n.labels,
       CASE WHEN jsonb_typeof(n.capabilities -> 'gpus') = 'array'
         THEN jsonb_array_length(n.capabilities -> 'gpus') END AS gpus,
       coalesce(t.pool_id, $2::uuid) AS home_pool_id
     FROM nodes n LEFT JOIN join_tokens t ON t.id = n.join_token_id
     WHERE NOT n.pool_pinned AND ($1::uuid[] IS NULL OR n.id = ANY($1::uuid[]))
     ORDER BY n.id`,
    [ids, DEFAULT_POOL_ID],
  );
  return rows.map((r) => ({
    id: r.id as string,
    name: r.name as string,
    poolId: (r.pool_id as string | null) ?? null,
    labels: (r.labels ?? {}) as Record<string, string>,
    gpus: r.gpus === null || r.gpus === undefined ? null : Number(r.gpus),
    homePoolId: r.home_pool_id as string,
  }));
}

/**
 * Move a node the criteria placed, only if it is still unpinned and still in `from` (an admin
 * or another replica may have moved it since it was read); true when it moved.
 */
export async function assignNodePool(
  db: Queryable,
  nodeId: string,
  move: { from: string | null; to: string },
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE nodes SET pool_id = $3, updated_at = now()
     WHERE id = $1 AND NOT pool_pinned AND pool_id IS NOT DISTINCT FROM $2::uuid
     RETURNING id`,
    [nodeId, move.from, move.to],
  );
  return rows.length > 0;
}
