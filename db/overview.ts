/**
 * What the dashboard's overview reads: node counts, the capacity of online approved nodes and
 * what their live allocations hold, workload counts by status, recent events and the facts
 * alerts are computed from. Each is one aggregate query, so the overview stays cheap with
 * thousands of nodes and is safe to recompute every few seconds per open dashboard.
 */
import type { Queryable } from "./db.ts";
import type { Capabilities } from "../lib/protocol.ts";
import type { Offer } from "../lib/scheduling/views.ts";

/** How many nodes are in each approval state and status. */
export interface NodeCountRow {
  approval: string;
  status: string;
  n: number;
}

/** Node counts grouped by approval and status. */
export async function countNodes(db: Queryable): Promise<NodeCountRow[]> {
  const rows = await db.query(
    `SELECT approval, status, count(*)::int AS n FROM nodes GROUP BY approval, status`,
  );
  return rows.map((r) => ({
    approval: r.approval as string,
    status: r.status as string,
    n: r.n as number,
  }));
}

/** An online approved node's capabilities and offer, with what its live allocations hold. */
export interface CapacityRow {
  poolId: string | null;
  capabilities: Capabilities | null;
  offer: Offer | null;
  allocated: { cpuMillicores: number; memoryMiB: number; diskGiB: number; gpus: number };
}

/** Online approved nodes with the sum of their live allocations. */
export async function loadOnlineCapacity(db: Queryable): Promise<CapacityRow[]> {
  const rows = await db.query(
    `SELECT n.pool_id, n.capabilities, n.offer,
       COALESCE(a.cpu, 0)::int AS cpu, COALESCE(a.mem, 0)::int AS mem,
       COALESCE(a.disk, 0)::int AS disk, COALESCE(a.gpus, 0)::int AS gpus
     FROM nodes n
     LEFT JOIN (
       SELECT node_id, sum(cpu_millicores) AS cpu, sum(memory_mib) AS mem, sum(disk_gib) AS disk,
         sum(gpus) AS gpus
       FROM allocations WHERE desired <> 'removed' AND state <> 'removed' GROUP BY node_id
     ) a ON a.node_id = n.id
     WHERE n.approval = 'approved' AND n.status = 'online'`,
  );
  return rows.map((r) => {
    const caps = r.capabilities as Capabilities | Record<string, never> | null;
    return {
      poolId: (r.pool_id as string | null) ?? null,
      capabilities: caps && "cpu" in caps ? caps as Capabilities : null,
      offer: (r.offer as Offer | null) ?? null,
      allocated: {
        cpuMillicores: r.cpu as number,
        memoryMiB: r.mem as number,
        diskGiB: r.disk as number,
        gpus: r.gpus as number,
      },
    };
  });
}

/** Workload counts by status; `ownerId` null counts everyone's. Deleted workloads are left out. */
export async function countWorkloads(
  db: Queryable,
  ownerId: string | null,
): Promise<{ status: string; n: number }[]> {
  const rows = await db.query(
    `SELECT status, count(*)::int AS n FROM workloads
     WHERE desired <> 'deleted' AND ($1::uuid IS NULL OR owner_id = $1)
     GROUP BY status`,
    [ownerId],
  );
  return rows.map((r) => ({ status: r.status as string, n: r.n as number }));
}

/** One line of recent activity. */
export interface ActivityRow {
  source: "workload" | "node";
  at: Date;
  kind: string;
  /** The workload's or node's name. */
  subject: string;
  subjectId: string;
  message: string;
  data: Record<string, unknown>;
}

/** The newest workload events (of `ownerId`'s workloads, or everyone's when null). */
export async function recentWorkloadEvents(
  db: Queryable,
  options: { ownerId: string | null; limit: number },
): Promise<ActivityRow[]> {
  const rows = await db.query(
    `SELECT e.at, e.kind, e.message, w.id AS workload_id, w.name
     FROM workload_events e JOIN workloads w ON w.id = e.workload_id
     WHERE w.desired <> 'deleted' AND ($1::uuid IS NULL OR w.owner_id = $1)
     ORDER BY e.id DESC LIMIT $2`,
    [options.ownerId, options.limit],
  );
  return rows.map((r) => ({
    source: "workload" as const,
    at: r.at as Date,
    kind: r.kind as string,
    subject: r.name as string,
    subjectId: r.workload_id as string,
    message: r.message as string,
    data: {},
  }));
}

/** The newest events nodes reported (admins only: they name nodes and containers). */
export async function recentNodeEvents(db: Queryable, limit: number): Promise<ActivityRow[]> {
  const rows = await db.query(
    `SELECT e.received_at, e.kind, e.data, n.id AS node_id, n.name
     FROM node_events e JOIN nodes n ON n.id = e.node_id
     ORDER BY e.received_at DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    source: "node" as const,
    at: r.received_at as Date,
    kind: r.kind as string,
    subject: r.name as string,
    subjectId: r.node_id as string,
    message: "",
    data: (r.data as Record<string, unknown>) ?? {},
  }));
}

/** A node or workload in a state someone should look at. */
export interface TroubleRow {
  id: string;
  name: string;
  state: string;
  reason: string | null;
  since: Date | null;
}

/** Approved nodes that are offline, longest offline first. */
export async function offlineNodes(db: Queryable, limit: number): Promise<TroubleRow[]> {
  const rows = await db.query(
    `SELECT id, name, offline_since, last_seen_at FROM nodes
     WHERE approval = 'approved' AND status = 'offline'
     ORDER BY offline_since NULLS LAST, name LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    id: r.id as string,
    name: r.name as string,
    state: "offline",
    reason: null,
    since: (r.offline_since as Date | null) ?? (r.last_seen_at as Date | null) ?? null,
  }));
}

/** Workloads that failed or were lost (of `ownerId`, or everyone's when null), newest first. */
export async function troubledWorkloads(
  db: Queryable,
  options: { ownerId: string | null; limit: number },
): Promise<TroubleRow[]> {
  const rows = await db.query(
    `SELECT id, name, status, status_reason, updated_at FROM workloads
     WHERE desired <> 'deleted' AND status IN ('failed', 'lost')
       AND ($1::uuid IS NULL OR owner_id = $1)
     ORDER BY updated_at DESC, id LIMIT $2`,
    [options.ownerId, options.limit],
  );
  return rows.map((r) => ({
    id: r.id as string,
    name: r.name as string,
    state: r.status as string,
    reason: (r.status_reason as string | null) ?? null,
    since: r.updated_at as Date,
  }));
}

/** How many nodes wait for approval (the navigation's badge). */
export async function countPendingNodes(db: Queryable): Promise<number> {
  const [{ n }] = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM nodes WHERE approval = 'pending'",
  );
  return n;
}
