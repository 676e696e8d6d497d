/**
 * Workloads, their allocations and events in Postgres (migration 0003). Desired state is what
 * users asked for; allocations are the scheduler's decisions; the agents' reports about the
 * containers live in node_containers (db/agent_sessions.ts) under the allocation's id.
 */
import type { Queryable, Row } from "./db.ts";
import type { WorkloadSpec } from "../lib/workloads/spec.ts";

export type WorkloadStatus = "pending" | "scheduled" | "running" | "stopped" | "failed" | "lost";
export type WorkloadDesired = "running" | "stopped" | "deleted";
export type AllocationState = "pending" | "running" | "stopped" | "failed" | "lost" | "removed";
export type AllocationDesired = "running" | "stopped" | "removed";

/** A workload record. */
export interface Workload {
  id: string;
  ownerId: string;
  ownerEmail: string | null;
  name: string;
  spec: WorkloadSpec;
  generation: number;
  desired: WorkloadDesired;
  status: WorkloadStatus;
  statusReason: string | null;
  unplaced: Record<string, number> | null;
  credentialsSealed: string | null;
  deployFailures: number;
  /** True when a spec change can be rolled back to the spec before it. */
  canRollBack: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A placement of one replica on a node, with what the node last reported of its container. */
export interface Allocation {
  id: string;
  workloadId: string;
  nodeId: string;
  nodeName: string | null;
  slot: number;
  generation: number;
  desired: AllocationDesired;
  state: AllocationState;
  reason: string | null;
  resources: { cpuMillicores: number; memoryMiB: number; diskGiB: number; gpus: number };
  stateful: boolean;
  ports: { container: number; protocol: string; hostIp: string; hostPort: number }[];
  attempts: number;
  /** The container's state as its node last reported it, or null before any report. */
  containerState: string | null;
  containerExitCode: number | null;
  createdAt: Date;
  updatedAt: Date;
}

const WORKLOAD_COLUMNS = `w.id, w.owner_id, u.email AS owner_email, w.name, w.spec, w.generation,
  w.desired, w.status, w.status_reason, w.unplaced, w.credentials_sealed, w.deploy_failures,
  w.previous_spec IS NOT NULL AS can_roll_back, w.created_at, w.updated_at`;
const WORKLOAD_FROM = `workloads w LEFT JOIN users u ON u.id = w.owner_id`;

function toWorkload(r: Row): Workload {
  return {
    id: r.id as string,
    ownerId: r.owner_id as string,
    ownerEmail: (r.owner_email as string | null) ?? null,
    name: r.name as string,
    spec: r.spec as WorkloadSpec,
    generation: r.generation as number,
    desired: r.desired as WorkloadDesired,
    status: r.status as WorkloadStatus,
    statusReason: (r.status_reason as string | null) ?? null,
    unplaced: (r.unplaced as Record<string, number> | null) ?? null,
    credentialsSealed: (r.credentials_sealed as string | null) ?? null,
    deployFailures: r.deploy_failures as number,
    canRollBack: r.can_roll_back as boolean,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

const ALLOCATION_COLUMNS = `a.id, a.workload_id, a.node_id, n.name AS node_name, a.slot,
  a.generation, a.desired, a.state, a.reason, a.cpu_millicores, a.memory_mib, a.disk_gib, a.gpus,
  a.stateful, a.ports, a.attempts, c.state AS container_state, c.exit_code AS container_exit_code,
  a.created_at, a.updated_at`;
const ALLOCATION_FROM = `allocations a LEFT JOIN nodes n ON n.id = a.node_id
  LEFT JOIN node_containers c ON c.allocation_id = a.id`;

function toAllocation(r: Row): Allocation {
  return {
    id: r.id as string,
    workloadId: r.workload_id as string,
    nodeId: r.node_id as string,
    nodeName: (r.node_name as string | null) ?? null,
    slot: r.slot as number,
    generation: r.generation as number,
    desired: r.desired as AllocationDesired,
    state: r.state as AllocationState,
    reason: (r.reason as string | null) ?? null,
    resources: {
      cpuMillicores: r.cpu_millicores as number,
      memoryMiB: r.memory_mib as number,
      diskGiB: r.disk_gib as number,
      gpus: r.gpus as number,
    },
    stateful: r.stateful as boolean,
    ports: (r.ports as Allocation["ports"] | null) ?? [],
    attempts: r.attempts as number,
    containerState: (r.container_state as string | null) ?? null,
    containerExitCode: (r.container_exit_code as number | null) ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

/** Store a new workload (desired running, status pending). */
export async function insertWorkload(
  db: Queryable,
  w: {
    id: string;
    ownerId: string;
    name: string;
    spec: WorkloadSpec;
    credentialsSealed: string | null;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO workloads (id, owner_id, name, spec, credentials_sealed)
     VALUES ($1, $2, $3, $4::text::jsonb, $5)`,
    [w.id, w.ownerId, w.name, JSON.stringify(w.spec), w.credentialsSealed],
  );
}

/** A workload to store with `insertWorkloads`. */
export interface NewWorkload {
  id: string;
  ownerId: string;
  /** The owner's email, for the returned record (the insert does not read users). */
  ownerEmail: string;
  name: string;
  spec: WorkloadSpec;
  credentialsSealed: string | null;
}

/**
 * Store many new workloads in one statement. A workload whose name its owner already uses (in
 * the table or earlier in `rows`) is skipped rather than failing the others: it is missing from
 * the result, which holds the stored records as `getWorkload` would read them.
 */
export async function insertWorkloads(
  db: Queryable,
  rows: readonly NewWorkload[],
): Promise<Workload[]> {
  if (rows.length === 0) return [];
  const stored = await db.query(
    `INSERT INTO workloads (id, owner_id, name, spec, credentials_sealed)
     SELECT x.id, x.owner_id, x.name, x.spec, x.credentials_sealed
     FROM jsonb_to_recordset($1::text::jsonb) AS x(id uuid, owner_id uuid, name text,
       spec jsonb, credentials_sealed text)
     ON CONFLICT DO NOTHING
     RETURNING id, owner_id, name, spec, generation, desired, status, status_reason, unplaced,
       credentials_sealed, deploy_failures, previous_spec IS NOT NULL AS can_roll_back,
       created_at, updated_at`,
    [JSON.stringify(rows.map((w) => ({
      id: w.id,
      owner_id: w.ownerId,
      name: w.name,
      spec: w.spec,
      credentials_sealed: w.credentialsSealed,
    })))],
  );
  const email = new Map(rows.map((w) => [w.id, w.ownerEmail]));
  return stored.map((r) => toWorkload({ ...r, owner_email: email.get(r.id as string) }));
}

/** A workload that is not deleted, or null. */
export async function getWorkload(db: Queryable, id: string): Promise<Workload | null> {
  const rows = await db.query(
    `SELECT ${WORKLOAD_COLUMNS} FROM ${WORKLOAD_FROM} WHERE w.id = $1 AND w.desired <> 'deleted'`,
    [id],
  );
  return rows[0] ? toWorkload(rows[0]) : null;
}

/** Workloads by id, deleted ones included (the reconciler finishes deleting them). */
export async function getWorkloadsForReconcile(
  db: Queryable,
  ids: readonly string[],
): Promise<Workload[]> {
  if (ids.length === 0) return [];
  const rows = await db.query(
    `SELECT ${WORKLOAD_COLUMNS} FROM ${WORKLOAD_FROM} WHERE w.id = ANY($1::uuid[])`,
    [ids],
  );
  return rows.map(toWorkload);
}

/** Newest first; `ownerId` null lists everyone's (admins). */
export async function listWorkloads(
  db: Queryable,
  options: { ownerId: string | null; status?: WorkloadStatus; limit: number },
): Promise<Workload[]> {
  const rows = await db.query(
    `SELECT ${WORKLOAD_COLUMNS} FROM ${WORKLOAD_FROM}
     WHERE w.desired <> 'deleted' AND ($1::uuid IS NULL OR w.owner_id = $1)
       AND ($2::text IS NULL OR w.status = $2)
     ORDER BY w.created_at DESC, w.id LIMIT $3`,
    [options.ownerId, options.status ?? null, options.limit],
  );
  return rows.map(toWorkload);
}

/** Replace the spec; `bump` starts a new generation (new containers). */
export async function updateWorkloadSpec(
  db: Queryable,
  id: string,
  spec: WorkloadSpec,
): Promise<void> {
  await db.query(
    `UPDATE workloads SET previous_spec = spec, spec = $2::text::jsonb,
       generation = generation + 1,
       deploy_failures = 0, status = CASE WHEN desired = 'running' THEN 'scheduled' ELSE status END,
       status_reason = NULL, updated_at = now()
     WHERE id = $1`,
    [id, JSON.stringify(spec)],
  );
}

/** Go back to the spec before the last change (a new generation), saying why. */
export async function rollBackWorkload(db: Queryable, id: string, reason: string): Promise<void> {
  await db.query(
    `UPDATE workloads SET spec = previous_spec, previous_spec = NULL, generation = generation + 1,
       deploy_failures = 0, status = 'scheduled', status_reason = $2, updated_at = now()
     WHERE id = $1 AND previous_spec IS NOT NULL`,
    [id, reason],
  );
}

/** Set what the user wants of the workload; a new generation when `newGeneration`. */
export async function setWorkloadDesired(
  db: Queryable,
  id: string,
  desired: WorkloadDesired,
  options: { newGeneration?: boolean } = {},
): Promise<void> {
  await db.query(
    `UPDATE workloads SET desired = $2, deploy_failures = 0,
       generation = generation + CASE WHEN $3 THEN 1 ELSE 0 END,
       status = CASE WHEN status = 'failed' AND $2 = 'running' THEN 'pending' ELSE status END,
       status_reason = CASE WHEN status = 'failed' AND $2 = 'running' THEN NULL
         ELSE status_reason END,
       updated_at = now()
     WHERE id = $1`,
    [id, desired, options.newGeneration ?? false],
  );
}

/** Record the status the reconciler computed (only writes when something changed). */
export async function setWorkloadStatus(
  db: Queryable,
  id: string,
  status: WorkloadStatus,
  reason: string | null,
  unplaced: Record<string, number> | null,
  /** Write only if the failure count is still the one the decision was made on. */
  expectDeployFailures?: number,
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE workloads SET status = $2, status_reason = $3, unplaced = $4::text::jsonb,
       updated_at = now()
     WHERE id = $1 AND ($5::int IS NULL OR deploy_failures = $5::int)
       AND (status IS DISTINCT FROM $2 OR status_reason IS DISTINCT FROM $3
       OR unplaced::text IS DISTINCT FROM $4::text::jsonb::text)
     RETURNING id`,
    [
      id,
      status,
      reason,
      unplaced === null ? null : JSON.stringify(unplaced),
      expectDeployFailures ?? null,
    ],
  );
  return rows.length > 0;
}

/** One workload's status as a reconcile batch computed it (see `setWorkloadStatuses`). */
export interface StatusWrite {
  id: string;
  status: WorkloadStatus;
  reason: string | null;
  unplaced: Record<string, number> | null;
  /** Write only if the failure count is still the one the decision was made on. */
  expectDeployFailures?: number;
}

/**
 * `setWorkloadStatus` for a whole batch in one statement; returns the ids whose row changed.
 * Each row keeps its own failure-count guard.
 */
export async function setWorkloadStatuses(
  db: Queryable,
  writes: readonly StatusWrite[],
): Promise<Set<string>> {
  if (writes.length === 0) return new Set();
  const rows = await db.query(
    `UPDATE workloads w SET status = x.status, status_reason = x.reason, unplaced = x.unplaced,
       updated_at = now()
     FROM jsonb_to_recordset($1::text::jsonb) AS x(id uuid, status text, reason text,
       unplaced jsonb, failures int)
     WHERE w.id = x.id AND w.id = ANY($2::uuid[])
       AND (x.failures IS NULL OR w.deploy_failures = x.failures)
       AND (w.status IS DISTINCT FROM x.status OR w.status_reason IS DISTINCT FROM x.reason
       OR w.unplaced::text IS DISTINCT FROM x.unplaced::text)
     RETURNING w.id`,
    [
      JSON.stringify(writes.map((u) => ({
        id: u.id,
        status: u.status,
        reason: u.reason,
        unplaced: u.unplaced,
        failures: u.expectDeployFailures ?? null,
      }))),
      writes.map((u) => u.id),
    ],
  );
  return new Set(rows.map((r) => r.id as string));
}

/**
 * Count one more failed deploy and set the status that follows from it, in one statement so a
 * concurrent reconcile never sees the new count with the old reason. `failedStatus` applies once
 * the count reaches `max`; before that the workload stays `scheduled` while it is retried.
 */
export async function recordDeployFailure(
  db: Queryable,
  id: string,
  reason: string,
  max: number,
  failedStatus: WorkloadStatus,
): Promise<number> {
  const rows = await db.query(
    `UPDATE workloads SET deploy_failures = deploy_failures + 1,
       status = CASE WHEN deploy_failures + 1 >= $3 THEN $4 ELSE 'scheduled' END,
       status_reason = $2 || ' (attempt ' || (deploy_failures + 1) || ' of ' || $3 || ')',
       unplaced = NULL, updated_at = now()
     WHERE id = $1 RETURNING deploy_failures`,
    [id, reason, max, failedStatus],
  );
  return (rows[0]?.deploy_failures as number | undefined) ?? 0;
}

/** Remove a deleted workload once none of its allocations remains on a node. */
export async function purgeWorkload(db: Queryable, id: string): Promise<void> {
  await db.query(`DELETE FROM workloads WHERE id = $1 AND desired = 'deleted'`, [id]);
}

// ------------------------------------------------------------------ allocations

/** Every allocation of the workloads, removed ones included, oldest first. */
export async function listAllocations(
  db: Queryable,
  workloadIds: readonly string[],
  options: { includeRemoved?: boolean } = {},
): Promise<Allocation[]> {
  if (workloadIds.length === 0) return [];
  const rows = await db.query(
    `SELECT ${ALLOCATION_COLUMNS} FROM ${ALLOCATION_FROM}
     WHERE a.workload_id = ANY($1::uuid[]) AND ($2 OR a.state <> 'removed')
     ORDER BY a.slot, a.created_at, a.id`,
    [workloadIds, options.includeRemoved ?? false],
  );
  return rows.map(toAllocation);
}

/** One allocation, or null. */
export async function getAllocation(db: Queryable, id: string): Promise<Allocation | null> {
  const rows = await db.query(
    `SELECT ${ALLOCATION_COLUMNS} FROM ${ALLOCATION_FROM} WHERE a.id = $1`,
    [
      id,
    ],
  );
  return rows[0] ? toAllocation(rows[0]) : null;
}

/** A new allocation to store. */
export interface NewAllocation {
  id: string;
  workloadId: string;
  nodeId: string;
  slot: number;
  generation: number;
  resources: Allocation["resources"];
  stateful: boolean;
}

/** Change an allocation's state (and optionally desire, reason, ports, attempts). */
export async function updateAllocation(
  db: Queryable,
  id: string,
  change: {
    state?: AllocationState;
    desired?: AllocationDesired;
    reason?: string | null;
    ports?: Allocation["ports"];
    attempt?: boolean;
  },
): Promise<void> {
  await db.query(
    `UPDATE allocations SET state = COALESCE($2, state), desired = COALESCE($3, desired),
       reason = CASE WHEN $4 THEN $5 ELSE reason END,
       ports = COALESCE($6::text::jsonb, ports), attempts = attempts + CASE WHEN $7 THEN 1 ELSE 0 END,
       updated_at = now()
     WHERE id = $1`,
    [
      id,
      change.state ?? null,
      change.desired ?? null,
      change.reason !== undefined,
      change.reason ?? null,
      change.ports ? JSON.stringify(change.ports) : null,
      change.attempt ?? false,
    ],
  );
}

/** Give allocations up (desired removed), each with its reason, in one statement. */
export async function giveUpAllocations(
  db: Queryable,
  giveUps: readonly { id: string; reason: string }[],
): Promise<void> {
  if (giveUps.length === 0) return;
  await db.query(
    `UPDATE allocations a SET desired = 'removed', reason = x.reason, updated_at = now()
     FROM jsonb_to_recordset($1::text::jsonb) AS x(id uuid, reason text)
     WHERE a.id = x.id AND a.id = ANY($2::uuid[])`,
    [
      JSON.stringify(giveUps.map((g) => ({ id: g.id, reason: g.reason }))),
      giveUps.map((g) => g.id),
    ],
  );
}

/** Deploys that succeeded: the allocations run, with the ports their nodes published. */
export async function markAllocationsRunning(
  db: Queryable,
  deployed: readonly { id: string; ports: Allocation["ports"] }[],
): Promise<void> {
  if (deployed.length === 0) return;
  await db.query(
    `UPDATE allocations a SET state = 'running', reason = NULL, ports = x.ports,
       updated_at = now()
     FROM jsonb_to_recordset($1::text::jsonb) AS x(id uuid, ports jsonb)
     WHERE a.id = x.id AND a.id = ANY($2::uuid[])`,
    [
      JSON.stringify(deployed.map((d) => ({ id: d.id, ports: d.ports }))),
      deployed.map((d) => d.id),
    ],
  );
}

/**
 * Allocations on nodes offline for longer than `graceMs` become lost: stateless ones are also
 * given up (desired removed) so their slot is placed elsewhere; stateful ones wait for recovery.
 * Returns the workloads touched.
 */
export async function markLostAllocations(db: Queryable, graceMs: number): Promise<string[]> {
  const rows = await db.query(
    `UPDATE allocations a SET state = 'lost',
       desired = CASE WHEN a.stateful THEN a.desired ELSE 'removed' END,
       reason = 'node ' || n.name || ' offline since ' || to_char(n.offline_since AT TIME ZONE 'UTC',
         'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       updated_at = now()
     FROM nodes n
     WHERE n.id = a.node_id AND a.state IN ('pending', 'running', 'stopped')
       AND (n.status <> 'online' OR n.approval <> 'approved')
       AND COALESCE(n.offline_since, n.updated_at) < now() - ($1::int * interval '1 millisecond')
     RETURNING a.workload_id`,
    [Math.round(graceMs)],
  );
  return [...new Set(rows.map((r) => r.workload_id as string))];
}

/**
 * Containers on `nodeId` that no live allocation wants: allocations given up (lost, removed),
 * or of a workload whose records are gone (deleted while the node was away). Containers an
 * admin deployed by hand (no workload) are left alone. No two live copies ever run.
 */
export async function staleContainers(db: Queryable, nodeId: string): Promise<string[]> {
  const rows = await db.query(
    `SELECT c.allocation_id FROM node_containers c
     LEFT JOIN allocations a ON a.id = c.allocation_id
     WHERE c.node_id = $1 AND c.container_id IS NOT NULL
       AND c.state NOT IN ('removed', 'missing')
       AND ((a.id IS NULL AND c.workload_id IS NOT NULL) OR a.desired = 'removed'
         OR a.node_id <> $1)`,
    [nodeId],
  );
  return rows.map((r) => r.allocation_id as string);
}

/** Stateful allocations lost while their node was away, now back: they resume. */
export async function resumeLostAllocations(db: Queryable, nodeId: string): Promise<string[]> {
  const rows = await db.query(
    `UPDATE allocations SET state = 'pending', reason = 'node returned', updated_at = now()
     WHERE node_id = $1 AND state = 'lost' AND desired <> 'removed'
     RETURNING workload_id`,
    [nodeId],
  );
  return [...new Set(rows.map((r) => r.workload_id as string))];
}

/** Workloads whose actual state may differ from desired (the periodic reconciler's list). */
export async function workloadsToReconcile(db: Queryable, limit: number): Promise<string[]> {
  const rows = await db.query(
    `SELECT w.id FROM workloads w
     WHERE (w.desired = 'running' AND w.status NOT IN ('running', 'failed'))
        OR (w.desired = 'stopped' AND w.status <> 'stopped')
        OR w.desired = 'deleted'
        OR EXISTS (SELECT 1 FROM allocations a WHERE a.workload_id = w.id
             AND a.state <> 'removed' AND (a.desired = 'removed' OR a.generation < w.generation))
     ORDER BY w.updated_at LIMIT $1`,
    [limit],
  );
  return rows.map((r) => r.id as string);
}

// ------------------------------------------------------------------ events

/** An entry in a workload's history. */
export interface WorkloadEvent {
  id: number;
  at: Date;
  kind: string;
  message: string;
  allocationId: string | null;
  nodeId: string | null;
  data: Record<string, unknown>;
}

/**
 * Append events to workloads' histories in one statement. (Batch statements here name their
 * rows twice, as JSON and as `= ANY($n::uuid[])`: with the JSON alone the planner cannot see how
 * few rows it holds and scans the whole table.)
 */
export async function appendWorkloadEvents(
  db: Queryable,
  events: readonly {
    workloadId: string;
    kind: string;
    message: string;
    allocationId?: string | null;
    nodeId?: string | null;
    data?: Record<string, unknown>;
  }[],
): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `INSERT INTO workload_events (workload_id, kind, message, allocation_id, node_id, data)
     SELECT x.workload_id, x.kind, x.message, x.allocation_id, x.node_id, COALESCE(x.data, '{}')
     FROM jsonb_to_recordset($1::text::jsonb) AS x(workload_id uuid, kind text, message text,
       allocation_id uuid, node_id uuid, data jsonb)
     WHERE x.workload_id IN (SELECT w.id FROM workloads w WHERE w.id = ANY($2::uuid[]))`,
    [
      JSON.stringify(events.map((e) => ({
        workload_id: e.workloadId,
        kind: e.kind,
        message: e.message.slice(0, 4000),
        allocation_id: e.allocationId ?? null,
        node_id: e.nodeId ?? null,
        data: e.data ?? {},
      }))),
      [...new Set(events.map((e) => e.workloadId))],
    ],
  );
}

/** A workload's events after `after`, oldest first. */
export async function listWorkloadEvents(
  db: Queryable,
  workloadId: string,
  options: { after: number; limit: number },
): Promise<WorkloadEvent[]> {
  const rows = await db.query(
    `SELECT id::text AS id_text, at, kind, message, allocation_id, node_id, data
     FROM workload_events WHERE workload_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
    [workloadId, options.after, options.limit],
  );
  return rows.map((r) => ({
    id: Number(r.id_text),
    at: r.at as Date,
    kind: r.kind as string,
    message: r.message as string,
    allocationId: (r.allocation_id as string | null) ?? null,
    nodeId: (r.node_id as string | null) ?? null,
    data: (r.data as Record<string, unknown>) ?? {},
  }));
}

// ------------------------------------------------------------------ idempotency

/** What is stored under an idempotency key. */
export type IdempotencyRecord =
  | { state: "new" }
  | { state: "in_progress"; requestHash: string }
  | { state: "done"; requestHash: string; status: number; response: unknown };

/**
 * Claim `key` for a request with `requestHash`: "new" when this call inserted it (the caller
 * runs the request and stores the answer), otherwise what is there. Keys older than a day are
 * forgotten.
 */
export async function claimIdempotencyKey(
  db: Queryable,
  ownerId: string,
  key: string,
  requestHash: string,
): Promise<IdempotencyRecord> {
  await db.query(
    `DELETE FROM idempotency_keys WHERE owner_id = $1 AND key = $2
       AND created_at < now() - interval '24 hours'`,
    [ownerId, key],
  );
  const inserted = await db.query(
    `INSERT INTO idempotency_keys (owner_id, key, request_hash) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING RETURNING key`,
    [ownerId, key, requestHash],
  );
  if (inserted.length > 0) return { state: "new" };
  const [row] = await db.query(
    `SELECT request_hash, status, response FROM idempotency_keys WHERE owner_id = $1 AND key = $2`,
    [ownerId, key],
  );
  if (!row) return { state: "new" };
  if (row.status === null) return { state: "in_progress", requestHash: row.request_hash as string };
  return {
    state: "done",
    requestHash: row.request_hash as string,
    status: row.status as number,
    response: row.response,
  };
}

/** Store the answer given under a claimed key. */
export async function completeIdempotencyKey(
  db: Queryable,
  ownerId: string,
  key: string,
  status: number,
  response: unknown,
): Promise<void> {
  await db.query(
    `UPDATE idempotency_keys SET status = $3, response = $4::text::jsonb
     WHERE owner_id = $1 AND key = $2`,
    [ownerId, key, status, JSON.stringify(response)],
  );
}

/** Forget a claimed key whose request failed, so the client may retry with it. */
export async function releaseIdempotencyKey(db: Queryable, ownerId: string, key: string) {
  await db.query(
    `DELETE FROM idempotency_keys WHERE owner_id = $1 AND key = $2 AND status IS NULL`,
    [ownerId, key],
  );
}
