import assert from "node:assert/strict";
import { dbTest, type TestDb } from "../tests/helpers/databases.ts";
import {
  claimAllocation,
  listNodeEvents,
  markNodeOnline,
  markNodesOffline,
  pruneMetrics,
  reconcileInventory,
  storeBatch,
  sweepStaleNodes,
} from "./agent_sessions.ts";
import { getNodeForSession } from "./nodes.ts";
import { SIM_CAPABILITIES, simMetrics } from "../tests/helpers/sim_agent.ts";
import type { InventoryItem } from "../lib/protocol.ts";

async function addNode(db: TestDb): Promise<string> {
  const id = crypto.randomUUID();
  await db.query(
    `INSERT INTO nodes (id, name, public_key, approval) VALUES ($1, 'n', $2, 'approved')`,
    [id, crypto.randomUUID()],
  );
  return id;
}

function item(allocationId: string, state: InventoryItem["state"] = "running"): InventoryItem {
  return {
    allocationId,
    workloadId: "w1",
    containerId: "c".repeat(64),
    name: "lattice-x",
    image: "busybox",
    state,
    exitCode: null,
    ports: [],
    startedAt: null,
  };
}

dbTest(
  "storeBatch() stores heartbeats and events once, in order, and moves acked_seq",
  async (db) => {
    const nodeId = await addNode(db);
    const at = new Date().toISOString();
    const batch = {
      metrics: [1, 3].map((seq) => ({ nodeId, seq, at, metrics: simMetrics(seq) })),
      events: [{ nodeId, seq: 2, at, kind: "docker", allocationId: null, data: { healthy: true } }],
      nodes: [{ nodeId, maxSeq: 3, metrics: simMetrics(3) }],
    };
    await storeBatch(db, batch);
    await storeBatch(db, batch); // a replay after a lost ack
    const [{ n }] = await db.query(
      `SELECT count(*)::int AS n FROM node_metrics WHERE node_id = $1`,
      [nodeId],
    );
    assert.equal(n, 2);
    assert.deepEqual(
      (await listNodeEvents(db, nodeId, { after: 0, limit: 10 })).map((e) => e.seq),
      [2],
    );
    const node = await getNodeForSession(db, nodeId);
    assert.equal(node!.ackedSeq, 3);
    const [row] = await db.query(`SELECT last_metrics, docker_healthy FROM nodes WHERE id = $1`, [
      nodeId,
    ]);
    assert.equal((row.last_metrics as { cpuPercent: number }).cpuPercent, 3);
    assert.equal(row.docker_healthy, true);
  },
);

dbTest("pruneMetrics() deletes only metrics older than the retention", async (db) => {
  const nodeId = await addNode(db);
  const old = new Date(Date.now() - 3 * 3600_000).toISOString();
  const fresh = new Date().toISOString();
  await storeBatch(db, {
    metrics: [
      { nodeId, seq: 1, at: old, metrics: simMetrics() },
      { nodeId, seq: 2, at: fresh, metrics: simMetrics() },
    ],
    events: [],
    nodes: [],
  });
  assert.equal(await pruneMetrics(db, 2), 1);
  const rows = await db.query(`SELECT seq::int FROM node_metrics WHERE node_id = $1`, [nodeId]);
  assert.deepEqual(rows.map((r) => r.seq), [2]);
});

dbTest(
  "reconcileInventory() applies a node's own containers, marks lost ones, refuses others'",
  async (db) => {
    const a = await addNode(db);
    const b = await addNode(db);
    const mine = crypto.randomUUID();
    const gone = crypto.randomUUID();
    const theirs = crypto.randomUUID();
    await reconcileInventory(db, a, [item(mine), item(gone)]);
    await reconcileInventory(db, b, [item(theirs)]);
    const result = await reconcileInventory(db, a, [item(mine, "exited"), item(theirs)]);
    assert.deepEqual(result.updated, [mine]);
    assert.deepEqual(result.missing, [gone]);
    assert.deepEqual(result.refused, [{ allocationId: theirs, ownerNodeId: b }]);
    const rows = await db.query(
      `SELECT allocation_id, node_id, state FROM node_containers ORDER BY state`,
    );
    const byId = Object.fromEntries(rows.map((r) => [r.allocation_id, [r.node_id, r.state]]));
    assert.deepEqual(byId[mine], [a, "exited"]);
    assert.deepEqual(byId[gone], [a, "missing"]);
    assert.deepEqual(byId[theirs], [b, "running"]);
  },
);

dbTest("claimAllocation() gives an allocation to one node only", async (db) => {
  const a = await addNode(db);
  const b = await addNode(db);
  const allocationId = crypto.randomUUID();
  const claim = { allocationId, workloadId: null, image: "busybox" };
  assert.equal(await claimAllocation(db, { ...claim, nodeId: a }), a);
  assert.equal(await claimAllocation(db, { ...claim, nodeId: a }), a);
  assert.equal(await claimAllocation(db, { ...claim, nodeId: b }), a);
});

dbTest(
  "online and offline transitions report only real changes; stale nodes are swept",
  async (db) => {
    const a = await addNode(db);
    const b = await addNode(db);
    for (const id of [a, b]) {
      await markNodeOnline(db, id, {
        agentVersion: "0.1.0",
        capabilities: SIM_CAPABILITIES,
        labels: {},
        remoteAddr: "127.0.0.1",
      });
    }
    assert.deepEqual(await markNodesOffline(db, [a]), [a]);
    assert.deepEqual(await markNodesOffline(db, [a]), []);
    await db.query(`UPDATE nodes SET last_seen_at = now() - interval '1 minute' WHERE id = $1`, [
      b,
    ]);
    assert.deepEqual(await sweepStaleNodes(db, 30_000, [b]), [], "a local session protects it");
    assert.deepEqual(await sweepStaleNodes(db, 30_000, []), [b]);
  },
);
