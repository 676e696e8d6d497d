import type { Queryable } from "./db.ts";
import type { Capabilities, InventoryItem, LabelMap, Metrics } from "../lib/protocol.ts";

/**
 * Record a session start: online, with what the agent reported in `hello`. Labels an admin
 * has set (`labels_pinned`) are kept: the admin's word wins over the agent's configuration.
 */
export async function markNodeOnline(
  db: Queryable,
  nodeId: string,
  hello: {
    agentVersion: string;
    capabilities: Capabilities;
    labels: LabelMap;
    remoteAddr: string | null;
    /** The owner's hours and offer, when the agent sent them (issue 6). */
    settings?: { schedule?: unknown; offer?: unknown };
  },
): Promise<{ settingsApplied: boolean }> {
  // The owner's settings apply unless an admin pinned them; a field the agent left out stays.
  const settings = hello.settings;
  const json = (v: unknown) => v === null || v === undefined ? null : JSON.stringify(v);
  const rows = await db.query(
    `UPDATE nodes SET status = 'online', connected_at = now(), last_seen_at = now(),
       agent_version = $2, capabilities = $3::text::jsonb,
       labels = CASE WHEN labels_pinned THEN labels ELSE $4::text::jsonb END,
       remote_addr = $5, docker_healthy = $6, offline_since = NULL, updated_at = now(),
       schedule = CASE WHEN $7::boolean AND NOT settings_pinned THEN $8::text::jsonb
                  ELSE schedule END,
       offer = CASE WHEN $9::boolean AND NOT settings_pinned THEN $10::text::jsonb
               ELSE offer END
     WHERE id = $1 RETURNING settings_pinned`,
    [
      nodeId,
      hello.agentVersion,
      JSON.stringify(hello.capabilities),
      JSON.stringify(hello.labels),
      hello.remoteAddr,
      hello.capabilities.docker !== null,
      settings?.schedule !== undefined,
      json(settings?.schedule),
      settings?.offer !== undefined,
      json(settings?.offer),
    ],
  );
  const sent = settings !== undefined &&
    (settings.schedule !== undefined || settings.offer !== undefined);
  return { settingsApplied: sent && rows.length > 0 && rows[0].settings_pinned === false };
}

/** Mark nodes offline; returns the ids that changed (were online). */
export async function markNodesOffline(db: Queryable, nodeIds: string[]): Promise<string[]> {
  if (nodeIds.length === 0) return [];
  const rows = await db.query(
    `UPDATE nodes SET status = 'offline', offline_since = now(), updated_at = now()
     WHERE id = ANY($1::uuid[]) AND status = 'online' RETURNING id`,
    [nodeIds],
  );
  return rows.map((r) => r.id as string);
}

/**
 * Nodes recorded online whose last heartbeat is older than `staleMs` and that no session on
 * this process holds: marked offline (a crashed replica or a restart left them online).
 */
export async function sweepStaleNodes(
  db: Queryable,
  staleMs: number,
  localNodeIds: string[],
): Promise<string[]> {
  const rows = await db.query(
    `UPDATE nodes SET status = 'offline', offline_since = COALESCE(last_seen_at, now()),
       updated_at = now()
     WHERE status = 'online'
       AND (last_seen_at IS NULL OR last_seen_at < now() - ($1::int * interval '1 millisecond'))
       AND NOT (id = ANY($2::uuid[]))
     RETURNING id`,
    [Math.round(staleMs), localNodeIds],
  );
  return rows.map((r) => r.id as string);
}

/** One stored heartbeat, ready for a batch insert. */
export interface MetricsRow {
  nodeId: string;
  seq: number;
  at: string;
  metrics: Metrics;
}

/** One stored event, ready for a batch insert. */
export interface EventRow {
  nodeId: string;
  seq: number;
  at: string;
  kind: string;
  allocationId: string | null;
  data: unknown;
}

/** Per-node summary of a batch: the newest heartbeat and the highest sequence number. */
export interface NodeBatchUpdate {
  nodeId: string;
  maxSeq: number;
  /** The newest heartbeat's metrics in the batch, if any. */
  metrics: Metrics | null;
}

/**
 * Store a batch of heartbeats and events in one transaction of three statements, whatever its
 * size: the rows travel as one JSON parameter. Replays (same node and seq) are ignored.
 */
export async function storeBatch(
  db: { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> },
  batch: { metrics: MetricsRow[]; events: EventRow[]; nodes: NodeBatchUpdate[] },
): Promise<void> {
  await db.transaction(async (tx) => {
    if (batch.metrics.length > 0) {
      const rows = batch.metrics.map((m) => ({
        node_id: m.nodeId,
        seq: m.seq,
        at: m.at,
        cpu_percent: m.metrics.cpuPercent,
        memory_used: m.metrics.memory.usedBytes,
        memory_total: m.metrics.memory.totalBytes,
        disk_used: m.metrics.disk.usedBytes,
        disk_total: m.metrics.disk.totalBytes,
        rx_bps: m.metrics.network.rxBps,
        tx_bps: m.metrics.network.txBps,
        docker_healthy: m.metrics.docker.healthy,
        containers: m.metrics.docker.containers,
      }));
      await tx.query(
        `INSERT INTO node_metrics (node_id, seq, at, cpu_percent, memory_used, memory_total,
           disk_used, disk_total, rx_bps, tx_bps, docker_healthy, containers)
         SELECT x.node_id, x.seq, x.at, x.cpu_percent, x.memory_used, x.memory_total,
           x.disk_used, x.disk_total, x.rx_bps, x.tx_bps, x.docker_healthy, x.containers
         FROM jsonb_to_recordset($1::text::jsonb) AS x(node_id uuid, seq bigint, at timestamptz,
           cpu_percent real, memory_used bigint, memory_total bigint, disk_used bigint,
           disk_total bigint, rx_bps bigint, tx_bps bigint, docker_healthy boolean,
           containers integer)
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(rows)],
      );
    }
    if (batch.events.length > 0) {
      const rows = batch.events.map((e) => ({
        node_id: e.nodeId,
        seq: e.seq,
        at: e.at,
        kind: e.kind,
        allocation_id: e.allocationId,
        data: e.data,
      }));
      await tx.query(
        `INSERT INTO node_events (node_id, seq, at, kind, allocation_id, data)
         SELECT x.node_id, x.seq, x.at, x.kind, x.allocation_id, x.data
         FROM jsonb_to_recordset($1::text::jsonb) AS x(node_id uuid, seq bigint, at timestamptz,
           kind text, allocation_id uuid, data jsonb)
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(rows)],
      );
    }
    if (batch.nodes.length > 0) {
      const rows = batch.nodes.map((n) => ({
        id: n.nodeId,
        seq: n.maxSeq,
        metrics: n.metrics,
        docker_healthy: n.metrics ? n.metrics.docker.healthy : null,
      }));
      // The rows are locked in id order first, as the scheduler's commit locks them
      // (db/scheduling.ts): two writers of the same nodes then never wait for each other in a
      // circle.
      await tx.query(
        `WITH x AS (
           SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS x(id uuid, seq bigint,
             metrics jsonb, docker_healthy boolean)
         ), locked AS (
           SELECT id FROM nodes WHERE id IN (SELECT id FROM x) ORDER BY id FOR NO KEY UPDATE
         )
         UPDATE nodes n SET last_seen_at = now(),
           acked_seq = GREATEST(n.acked_seq, x.seq),
           last_metrics = COALESCE(x.metrics, n.last_metrics),
           docker_healthy = COALESCE(x.docker_healthy, n.docker_healthy)
         FROM x JOIN locked ON locked.id = x.id
         WHERE n.id = x.id`,
        [JSON.stringify(rows)],
      );
    }
  });
}

/** Delete heartbeat metrics older than the retention; returns how many rows went. */
export async function pruneMetrics(db: Queryable, retentionHours: number): Promise<number> {
  const rows = await db.query(
    `WITH gone AS (DELETE FROM node_metrics WHERE at < now() - ($1::int * interval '1 hour')
       RETURNING 1) SELECT count(*)::int AS n FROM gone`,
    [retentionHours],
  );
  return rows[0].n as number;
}

/** Result of reconciling a node's reported inventory with the records. */
export interface ReconcileResult {
  /** Allocations upserted from the report. */
  updated: string[];
  /** Recorded allocations with a container that the node no longer reports. */
  missing: string[];
  /** Items naming an allocation that belongs to another node (refused). */
  refused: { allocationId: string; ownerNodeId: string }[];
}

/**
 * Make the records of `nodeId`'s containers match what it reports. An item naming another
 * node's allocation is refused, never applied.
 */
export async function reconcileInventory(
  db: { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> },
  nodeId: string,
  items: InventoryItem[],
): Promise<ReconcileResult> {
  return await db.transaction(async (tx) => {
    const owners = items.length === 0 ? [] : await tx.query(
      `SELECT allocation_id, node_id FROM node_containers WHERE allocation_id = ANY($1::uuid[])`,
      [items.map((i) => i.allocationId)],
    );
    const ownerOf = new Map(owners.map((r) => [r.allocation_id as string, r.node_id as string]));
    const refused: ReconcileResult["refused"] = [];
    const accepted: InventoryItem[] = [];
    for (const item of items) {
      const owner = ownerOf.get(item.allocationId);
      if (owner && owner !== nodeId) {
        refused.push({ allocationId: item.allocationId, ownerNodeId: owner });
      } else accepted.push(item);
    }
    if (accepted.length > 0) {
      await tx.query(
        `INSERT INTO node_containers AS c (allocation_id, node_id, workload_id, container_id, name,
           image, state, exit_code, ports)
         SELECT x.allocation_id, $2, x.workload_id, x.container_id, x.name, x.image, x.state,
           x.exit_code, x.ports
         FROM jsonb_to_recordset($1::text::jsonb) AS x(allocation_id uuid, workload_id text,
           container_id text, name text, image text, state text, exit_code integer, ports jsonb)
         ON CONFLICT (allocation_id) DO UPDATE SET container_id = EXCLUDED.container_id,
           name = EXCLUDED.name, image = EXCLUDED.image, state = EXCLUDED.state,
           exit_code = EXCLUDED.exit_code, ports = EXCLUDED.ports,
           workload_id = COALESCE(EXCLUDED.workload_id, c.workload_id), updated_at = now()
         WHERE c.node_id = $2`,
        [
          JSON.stringify(accepted.map((i) => ({
            allocation_id: i.allocationId,
            workload_id: i.workloadId,
            container_id: i.containerId,
            name: i.name,
            image: i.image,
            state: i.state,
            exit_code: i.exitCode,
            ports: i.ports,
          }))),
          nodeId,
        ],
      );
    }
    const missing = await tx.query(
      `UPDATE node_containers SET state = 'missing', updated_at = now()
       WHERE node_id = $1 AND container_id IS NOT NULL AND state NOT IN ('missing', 'removed')
         AND NOT (allocation_id = ANY($2::uuid[]))
       RETURNING allocation_id`,
      [nodeId, accepted.map((i) => i.allocationId)],
    );
    return {
      updated: accepted.map((i) => i.allocationId),
      missing: missing.map((r) => r.allocation_id as string),
      refused,
    };
  });
}

/**
 * Claim an allocation for a node before a deploy is sent. Returns the owner: `nodeId` when the
 * claim holds (new or already ours), another node's id when it belongs elsewhere.
 */
export async function claimAllocation(
  db: Queryable,
  claim: { allocationId: string; nodeId: string; workloadId: string | null; image: string },
): Promise<string> {
  const rows = await db.query(
    `INSERT INTO node_containers (allocation_id, node_id, workload_id, image, state)
     VALUES ($1, $2, $3, $4, 'pending')
     ON CONFLICT (allocation_id) DO UPDATE SET updated_at = now()
       WHERE node_containers.node_id = $2
     RETURNING node_id`,
    [claim.allocationId, claim.nodeId, claim.workloadId, claim.image],
  );
  if (rows.length > 0) return rows[0].node_id as string;
  const [owner] = await db.query(
    `SELECT node_id FROM node_containers WHERE allocation_id = $1`,
    [claim.allocationId],
  );
  return owner.node_id as string;
}

/** The node that owns an allocation, or null when none does. */
export async function allocationOwner(db: Queryable, allocationId: string): Promise<string | null> {
  const [r] = await db.query(
    `SELECT node_id FROM node_containers WHERE allocation_id = $1`,
    [allocationId],
  );
  return r ? r.node_id as string : null;
}

/**
 * Apply a container state change reported by `nodeId`. Returns false (and changes nothing)
 * when the allocation belongs to another node.
 */
export async function applyContainerState(
  db: Queryable,
  nodeId: string,
  change: {
    allocationId: string;
    containerId: string;
    state: string;
    exitCode: number | null;
  },
): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO node_containers AS c (allocation_id, node_id, container_id, state, exit_code)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (allocation_id) DO UPDATE SET container_id = EXCLUDED.container_id,
       state = EXCLUDED.state, exit_code = EXCLUDED.exit_code, updated_at = now()
     WHERE c.node_id = $2
     RETURNING allocation_id`,
    [change.allocationId, nodeId, change.containerId, change.state, change.exitCode],
  );
  return rows.length > 0;
}

/** A stored node event. */
export interface NodeEventRecord {
  seq: number;
  at: Date;
  receivedAt: Date;
  kind: string;
  allocationId: string | null;
  data: unknown;
}

/** A node's events in sequence order, after `after`. */
export async function listNodeEvents(
  db: Queryable,
  nodeId: string,
  options: { after: number; limit: number },
): Promise<NodeEventRecord[]> {
  const rows = await db.query(
    `SELECT seq::text AS seq_text, at, received_at, kind, allocation_id, data FROM node_events
     WHERE node_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [nodeId, options.after, options.limit],
  );
  return rows.map((r) => ({
    seq: Number(r.seq_text),
    at: r.at as Date,
    receivedAt: r.received_at as Date,
    kind: r.kind as string,
    allocationId: r.allocation_id as string | null,
    data: r.data,
  }));
}

/**
 * Record what a node waiting for approval reported in `hello`, so admins can judge it on
 * Approvals. Its status stays as it is: a pending node is not online for anyone.
 */
export async function recordPendingHello(
  db: Queryable,
  nodeId: string,
  hello: {
    agentVersion: string;
    capabilities: Capabilities;
    labels: LabelMap;
    settings?: { schedule?: unknown; offer?: unknown };
  },
): Promise<void> {
  const settings = hello.settings;
  const json = (v: unknown) => v === null || v === undefined ? null : JSON.stringify(v);
  await db.query(
    `UPDATE nodes SET agent_version = $2, capabilities = $3::text::jsonb,
       labels = CASE WHEN labels_pinned THEN labels ELSE $4::text::jsonb END,
       schedule = CASE WHEN $5::boolean AND NOT settings_pinned THEN $6::text::jsonb
                  ELSE schedule END,
       offer = CASE WHEN $7::boolean AND NOT settings_pinned THEN $8::text::jsonb
               ELSE offer END,
       last_seen_at = now(), updated_at = now()
     WHERE id = $1 AND approval = 'pending'`,
    [
      nodeId,
      hello.agentVersion,
      JSON.stringify(hello.capabilities),
      JSON.stringify(hello.labels),
      settings?.schedule !== undefined,
      json(settings?.schedule),
      settings?.offer !== undefined,
      json(settings?.offer),
    ],
  );
}
