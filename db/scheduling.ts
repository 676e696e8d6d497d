/**
 * What the scheduler reads and writes: nodes with their live allocations (for the worker's
 * view), and allocations committed in batches with capacity re-checked under row locks, so
 * an optimistic plan never overcommits a node.
 */
import type { Queryable } from "./db.ts";
import type { NewAllocation } from "./workloads.ts";
import type { Capabilities } from "../lib/protocol.ts";
import type { Schedule } from "../scheduler/types.ts";
import { nodeCapacity, type NodeRecordForView, type Offer } from "../lib/scheduling/views.ts";
import { defaultVolumeName } from "../lib/workloads/container_spec.ts";
import type { WorkloadSpec } from "../lib/workloads/spec.ts";
import { workloadVolumes } from "../lib/workloads/templates.ts";

/** Nodes (all when `ids` is null) with their live allocations, as the scheduler sees them. */
export async function loadNodesForView(
  db: Queryable,
  ids: readonly string[] | null,
): Promise<NodeRecordForView[]> {
  const nodes = await db.query(
    `SELECT n.id, n.name, p.name AS pool_name, n.labels, n.approval, n.status, n.drained,
       n.agent_version, n.capabilities, n.offer, n.rank, n.schedule
     FROM nodes n LEFT JOIN pools p ON p.id = n.pool_id
     WHERE ($1::uuid[] IS NULL OR n.id = ANY($1::uuid[]))`,
    [ids],
  );
  const allocs = await db.query(
    `SELECT a.node_id, a.workload_id, a.cpu_millicores, a.memory_mib, a.disk_gib, a.gpus,
       w.spec, a.generation = w.generation AS current
     FROM allocations a JOIN workloads w ON w.id = a.workload_id
     WHERE a.desired <> 'removed' AND a.state <> 'removed'
       AND ($1::uuid[] IS NULL OR a.node_id = ANY($1::uuid[]))`,
    [ids],
  );
  const byNode = new Map<string, NodeRecordForView["allocations"]>();
  for (const a of allocs) {
    const spec = a.spec as WorkloadSpec;
    const workloadId = a.workload_id as string;
    const list = byNode.get(a.node_id as string) ?? [];
    list.push({
      workloadId,
      current: a.current as boolean,
      labels: { ...spec.labels, "lattice.workload": spec.name },
      resources: {
        cpuMillicores: a.cpu_millicores as number,
        memoryMiB: a.memory_mib as number,
        diskGiB: a.disk_gib as number,
        gpus: a.gpus as number,
      },
      volumes: workloadVolumes(spec).filter((v) => v.stateful).map((v) =>
        defaultVolumeName({ workloadId, allocationId: workloadId }, v)
      ),
    });
    byNode.set(a.node_id as string, list);
  }
  return nodes.map((n) => {
    const caps = n.capabilities as Capabilities | Record<string, never> | null;
    return {
      id: n.id as string,
      name: n.name as string,
      poolName: (n.pool_name as string | null) ?? null,
      labels: (n.labels as Record<string, string>) ?? {},
      approval: n.approval as string,
      status: n.status as string,
      drained: n.drained as boolean,
      agentVersion: (n.agent_version as string | null) ?? null,
      capabilities: caps && "cpu" in caps ? caps as Capabilities : null,
      offer: (n.offer as Offer | null) ?? null,
      rank: n.rank as number,
      schedule: (n.schedule as Schedule | null) ?? null,
      allocations: byNode.get(n.id as string) ?? [],
    };
  });
}

/**
 * Store allocations after re-checking each node's capacity under a row lock; allocations that
 * no longer fit are left out and returned as refused. `release` lists allocations given up in
 * the same commit (a stateful recreate frees its old allocation's share first).
 */
export async function commitAllocations(
  tx: Queryable,
  rows: readonly NewAllocation[],
  release: readonly string[] = [],
): Promise<{ committed: NewAllocation[]; refused: NewAllocation[] }> {
  if (release.length > 0) {
    await tx.query(
      `UPDATE allocations SET desired = 'removed', updated_at = now() WHERE id = ANY($1::uuid[])`,
      [release],
    );
  }
  if (rows.length === 0) return { committed: [], refused: [] };
  const nodeIds = [...new Set(rows.map((r) => r.nodeId))].sort();
  // NO KEY UPDATE, in id order: commits serialise per node, while the heartbeat ingest's
  // foreign-key checks (KEY SHARE, in any order) never wait for it. Writers of several node rows
  // lock them in id order too (db/agent_sessions.ts, db/ranks.ts), so none deadlocks with this.
  const nodes = await tx.query(
    `SELECT id, capabilities, offer, approval, status FROM nodes WHERE id = ANY($1::uuid[])
     ORDER BY id FOR NO KEY UPDATE`,
    [nodeIds],
  );
  const used = await tx.query(
    `SELECT node_id, sum(cpu_millicores)::int AS cpu, sum(memory_mib)::int AS mem,
       sum(disk_gib)::int AS disk, sum(gpus)::int AS gpus
     FROM allocations WHERE node_id = ANY($1::uuid[]) AND desired <> 'removed'
       AND state <> 'removed'
     GROUP BY node_id`,
    [nodeIds],
  );
  const free = new Map<string, { cpu: number; mem: number; disk: number; gpus: number }>();
  for (const n of nodes) {
    const caps = n.capabilities as Capabilities | Record<string, never> | null;
    const cap = nodeCapacity(
      caps && "cpu" in caps ? caps as Capabilities : null,
      n.offer as Offer | null,
    );
    const ok = n.approval === "approved";
    free.set(n.id as string, {
      cpu: ok ? cap.cpuMillicores : -1,
      mem: cap.memoryMiB,
      disk: cap.diskGiB,
      gpus: cap.gpus,
    });
  }
  for (const u of used) {
    const f = free.get(u.node_id as string);
    if (!f) continue;
    f.cpu -= u.cpu as number;
    f.mem -= u.mem as number;
    f.disk -= u.disk as number;
    f.gpus -= u.gpus as number;
  }
  const committed: NewAllocation[] = [];
  const refused: NewAllocation[] = [];
  for (const r of rows) {
    const f = free.get(r.nodeId);
    const { cpuMillicores, memoryMiB, diskGiB, gpus } = r.resources;
    if (
      f && f.cpu >= cpuMillicores && f.mem >= memoryMiB && f.disk >= diskGiB && f.gpus >= gpus
    ) {
      f.cpu -= cpuMillicores;
      f.mem -= memoryMiB;
      f.disk -= diskGiB;
      f.gpus -= gpus;
      committed.push(r);
    } else refused.push(r);
  }
  if (committed.length > 0) {
    await tx.query(
      `INSERT INTO allocations (id, workload_id, node_id, slot, generation, cpu_millicores,
         memory_mib, disk_gib, gpus, stateful)
       SELECT x.id, x.workload_id, x.node_id, x.slot, x.generation, x.cpu, x.mem, x.disk, x.gpus,
         x.stateful
       FROM jsonb_to_recordset($1::text::jsonb) AS x(id uuid, workload_id uuid, node_id uuid,
         slot integer, generation integer, cpu integer, mem integer, disk integer,
         gpus integer, stateful boolean)`,
      [JSON.stringify(committed.map((a) => ({
        id: a.id,
        workload_id: a.workloadId,
        node_id: a.nodeId,
        slot: a.slot,
        generation: a.generation,
        cpu: a.resources.cpuMillicores,
        mem: a.resources.memoryMiB,
        disk: a.resources.diskGiB,
        gpus: a.resources.gpus,
        stateful: a.stateful,
      })))],
    );
  }
  return { committed, refused };
}

/**
 * Claim new allocations for their nodes in node_containers (state pending, no container yet),
 * as `claimAllocation` (db/agent_sessions.ts) does one at a time before a deploy is sent: stored
 * in the commit's transaction, the deploys need no round trip each. Ids are new, so nothing
 * can conflict; an existing claim is left as it is.
 */
export async function claimNewAllocations(
  tx: Queryable,
  rows: readonly (NewAllocation & { image: string })[],
): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO node_containers (allocation_id, node_id, workload_id, image, state)
     SELECT x.allocation_id, x.node_id, x.workload_id, x.image, 'pending'
     FROM jsonb_to_recordset($1::text::jsonb) AS x(allocation_id uuid, node_id uuid,
       workload_id text, image text)
     ON CONFLICT (allocation_id) DO NOTHING`,
    [JSON.stringify(rows.map((r) => ({
      allocation_id: r.id,
      node_id: r.nodeId,
      workload_id: r.workloadId,
      image: r.image,
    })))],
  );
}
