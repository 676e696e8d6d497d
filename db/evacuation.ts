/** Queries behind moving work off leaving nodes (drained, or out of their computation hours). */
import type { Queryable } from "./db.ts";
import type { Schedule } from "../scheduler/types.ts";

/** An approved node that may be leaving: drained, or evacuating outside its hours. */
export interface LeavingCandidate {
  id: string;
  drained: boolean;
  evacuateOutsideHours: boolean;
  schedule: Schedule | null;
}

/** Approved nodes that are drained or evacuate outside a schedule. */
export async function listLeavingCandidates(db: Queryable): Promise<LeavingCandidate[]> {
  const rows = await db.query(
    `SELECT id, drained, evacuate_outside_hours, schedule FROM nodes
     WHERE approval = 'approved'
       AND (drained OR (evacuate_outside_hours AND schedule IS NOT NULL))`,
  );
  return rows.map((r) => ({
    id: r.id as string,
    drained: r.drained as boolean,
    evacuateOutsideHours: r.evacuate_outside_hours as boolean,
    schedule: (r.schedule ?? null) as Schedule | null,
  }));
}

/** Workloads with a live allocation on any of these nodes. */
export async function workloadsOnNodes(
  db: Queryable,
  nodeIds: readonly string[],
): Promise<string[]> {
  if (nodeIds.length === 0) return [];
  const rows = await db.query(
    `SELECT DISTINCT workload_id FROM allocations
     WHERE node_id = ANY($1::uuid[]) AND desired <> 'removed'
       AND state IN ('pending', 'running', 'stopped')`,
    [nodeIds],
  );
  return rows.map((r) => r.workload_id as string);
}
