import assert from "node:assert/strict";
import { dbTest } from "../tests/helpers/databases.ts";
import type { Db } from "./db.ts";
import { appendAudits, listAudit } from "./audit_log.ts";
import { claimNewAllocations, commitAllocations } from "./scheduling.ts";
import { createUser } from "./users.ts";
import {
  appendWorkloadEvents,
  getWorkload,
  giveUpAllocations,
  insertWorkloads,
  listAllocations,
  listWorkloadEvents,
  markAllocationsRunning,
  type NewWorkload,
  setWorkloadStatuses,
} from "./workloads.ts";
import type { WorkloadSpec } from "../lib/workloads/spec.ts";

const SPEC = {
  name: "x",
  template: "custom",
  image: "busybox:1",
  env: {},
  ports: [],
  volumes: [],
  resources: { cpuMillicores: 10, memoryMiB: 16, diskGiB: 0, gpus: 0 },
  replicas: 1,
  constraints: [],
  affinity: [],
  nodePreferences: [],
  antiAffinitySelf: true,
  restart: "unless-stopped",
  strategy: "spread",
  labels: {},
} as unknown as WorkloadSpec;

async function owner(db: Db) {
  return (await createUser(db, { email: "o@x.io", passwordHash: "h", allowOthers: true }))!;
}

function newWorkload(ownerId: string, name: string): NewWorkload {
  return {
    id: crypto.randomUUID(),
    ownerId,
    ownerEmail: "o@x.io",
    name,
    spec: { ...SPEC, name },
    credentialsSealed: null,
  };
}

dbTest("insertWorkloads stores a batch and skips names the owner already uses", async (db) => {
  const u = await owner(db);
  const [first] = await insertWorkloads(db, [newWorkload(u.id, "taken")]);
  const batch = [
    newWorkload(u.id, "a"),
    newWorkload(u.id, "taken"),
    newWorkload(u.id, "b"),
    newWorkload(u.id, "a"),
  ];
  const stored = await insertWorkloads(db, batch);
  assert.deepEqual(stored.map((w) => w.id).sort(), [batch[0].id, batch[2].id].sort());
  // The records are what a read gives back.
  const read = await getWorkload(db, batch[0].id);
  const mine = stored.find((w) => w.id === batch[0].id)!;
  assert.deepEqual(mine, read);
  assert.equal(mine.ownerEmail, "o@x.io");
  assert.equal(mine.status, "pending");
  assert.equal(mine.generation, 1);
  assert.equal((await getWorkload(db, first.id))!.name, "taken");
});

dbTest("setWorkloadStatuses writes changed rows only, each under its failure guard", async (db) => {
  const u = await owner(db);
  const [a, b, c] = await insertWorkloads(db, [
    newWorkload(u.id, "a"),
    newWorkload(u.id, "b"),
    newWorkload(u.id, "c"),
  ]);
  const changed = await setWorkloadStatuses(db, [
    { id: a.id, status: "scheduled", reason: "placed", unplaced: null, expectDeployFailures: 0 },
    // Unchanged: not written.
    { id: b.id, status: "pending", reason: null, unplaced: null },
    // The decision was made on a stale failure count: not written.
    { id: c.id, status: "running", reason: null, unplaced: null, expectDeployFailures: 2 },
  ]);
  assert.deepEqual([...changed], [a.id]);
  assert.equal((await getWorkload(db, a.id))!.statusReason, "placed");
  assert.equal((await getWorkload(db, c.id))!.status, "pending");
  const again = await setWorkloadStatuses(db, [
    { id: b.id, status: "pending", reason: "waiting", unplaced: { memory: 2 } },
  ]);
  assert.deepEqual([...again], [b.id]);
  assert.deepEqual((await getWorkload(db, b.id))!.unplaced, { memory: 2 });
});

dbTest("batched allocation writes touch only the allocations named", async (db) => {
  const u = await owner(db);
  const [w] = await insertWorkloads(db, [newWorkload(u.id, "web")]);
  const nodeId = crypto.randomUUID();
  await db.query(
    `INSERT INTO nodes (id, name, public_key, approval, capabilities)
     VALUES ($1, 'n1', 'k1', 'approved', $2::text::jsonb)`,
    [
      nodeId,
      JSON.stringify({
        cpu: { cores: 4 },
        memoryBytes: 8 * 2 ** 30,
        disk: { totalBytes: 2 ** 40 },
        gpus: [],
      }),
    ],
  );
  const alloc = (slot: number) => ({
    id: crypto.randomUUID(),
    workloadId: w.id,
    nodeId,
    slot,
    generation: 1,
    resources: SPEC.resources,
    stateful: false,
  });
  const rows = [alloc(0), alloc(1), alloc(2)];
  const { committed } = await db.transaction(async (tx) => {
    const result = await commitAllocations(tx, rows);
    await claimNewAllocations(tx, result.committed.map((a) => ({ ...a, image: "busybox:1" })));
    return result;
  });
  assert.equal(committed.length, 3);
  const claims = await db.query(
    `SELECT allocation_id, node_id, state FROM node_containers ORDER BY allocation_id`,
  );
  assert.equal(claims.length, 3);
  assert.ok(claims.every((c) => c.node_id === nodeId && c.state === "pending"));
  // A claim that exists is left as it is.
  await db.query(`UPDATE node_containers SET state = 'running' WHERE allocation_id = $1`, [
    rows[0].id,
  ]);
  await claimNewAllocations(db, [{ ...rows[0], image: "other:1" }]);
  const [kept] = await db.query(
    `SELECT state, image FROM node_containers WHERE allocation_id = $1`,
    [rows[0].id],
  );
  assert.deepEqual({ ...kept }, { state: "running", image: "busybox:1" });

  const ports = [{ container: 80, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 40000 }];
  await markAllocationsRunning(db, [{ id: rows[0].id, ports }, { id: rows[1].id, ports: [] }]);
  await giveUpAllocations(db, [{ id: rows[2].id, reason: "scaled down to 2" }]);
  const byId = new Map((await listAllocations(db, [w.id])).map((a) => [a.id, a]));
  assert.equal(byId.get(rows[0].id)!.state, "running");
  assert.deepEqual(byId.get(rows[0].id)!.ports, ports);
  assert.equal(byId.get(rows[1].id)!.state, "running");
  assert.equal(byId.get(rows[2].id)!.state, "pending");
  assert.equal(byId.get(rows[2].id)!.desired, "removed");
  assert.equal(byId.get(rows[2].id)!.reason, "scaled down to 2");
  assert.equal(byId.get(rows[1].id)!.desired, "running");
});

dbTest(
  "events of workloads that are gone are dropped; batched audit entries are kept",
  async (db) => {
    const u = await owner(db);
    const [w] = await insertWorkloads(db, [newWorkload(u.id, "web")]);
    await appendWorkloadEvents(db, [
      { workloadId: w.id, kind: "created", message: "created" },
      { workloadId: crypto.randomUUID(), kind: "created", message: "of nothing" },
      { workloadId: w.id, kind: "placed", message: "placed", data: { slot: 0 } },
    ]);
    const events = await listWorkloadEvents(db, w.id, { after: 0, limit: 10 });
    assert.deepEqual(events.map((e) => e.kind), ["created", "placed"]);
    assert.deepEqual(events[1].data, { slot: 0 });
    assert.equal((await db.query(`SELECT count(*)::int AS n FROM workload_events`))[0].n, 2);

    await appendAudits(db, [
      { actorId: u.id, actor: "o@x.io", action: "workload.create", outcome: "success", ip: "::1" },
      {
        actorId: u.id,
        actor: "o@x.io",
        action: "workload.create",
        outcome: "success",
        targetType: "workload",
        targetId: w.id,
        requestId: "r2",
        details: { name: "web" },
      },
    ]);
    const [second, first] = await listAudit(db, { limit: 10, action: "workload.create" });
    assert.equal(first.ip, "::1");
    assert.equal(second.targetId, w.id);
    assert.equal(second.requestId, "r2");
    assert.deepEqual(second.details, { name: "web" });
  },
);
