import type { Queryable } from "./db.ts";

/** A group of nodes that workloads can target. */
export interface Pool {
  id: string;
  name: string;
  description: string;
  autoApprove: boolean;
  createdAt: Date;
  nodeCount: number;
}

/** Every pool with how many nodes it holds, by name. */
export async function listPools(db: Queryable): Promise<Pool[]> {
  const rows = await db.query(
    `SELECT p.id, p.name, p.description, p.auto_approve, p.created_at,
            (SELECT count(*)::int FROM nodes n WHERE n.pool_id = p.id) AS node_count
     FROM pools p ORDER BY p.name`,
  );
  return rows.map((r) => ({
    id: r.id as string,
    name: r.name as string,
    description: r.description as string,
    autoApprove: r.auto_approve as boolean,
    createdAt: r.created_at as Date,
    nodeCount: r.node_count as number,
  }));
}
