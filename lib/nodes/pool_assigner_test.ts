import assert from "node:assert/strict";
import { dbTest, type TestDb } from "../../tests/helpers/databases.ts";
import type { Db } from "../../db/db.ts";
import { createJoinToken } from "../../db/join_tokens.ts";
import { createNode, getNode } from "../../db/nodes.ts";
import { assignNodePool, createPool, DEFAULT_POOL_ID, setNodePool } from "../../db/pools.ts";
import { createLogger, createMemorySink } from "../log.ts";
import { createNodeChanges, type NodeChange } from "./changes.ts";
import { startPoolAssigner } from "./pool_assigner.ts";

async function addNodes(db: TestDb, count: number, labels: Record<string, string>) {
  const token = await createJoinToken(db, {
    poolId: DEFAULT_POOL_ID,
    tokenHash: crypto.randomUUID(),
    prefix: "ljt_abcdef",
    description: "",
    createdBy: null,
    expiresAt: new Date(Date.now() + 3600_000),
    maxUses: 1000,
  });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const node = await createNode(db, {
      name: `n${i}`,
      publicKey: crypto.randomUUID(),
      labels,
      poolId: DEFAULT_POOL_ID,
      joinTokenId: token!.id,
      agentVersion: "0.1.0",
      approval: "approved",
    });
    ids.push(node.id);
  }
  return ids;
}

/** The database with a count of assignment runs (each reads the pools' criteria once). */
function countingRuns(db: Db): { db: Db; runs: () => number } {
  let runs = 0;
  const counted: Db = {
    ...db,
    query(sql, params) {
      if (sql.startsWith("SELECT id, name, criteria FROM pools")) runs++;
      return db.query(sql, params);
    },
    transaction: (fn) => db.transaction(fn),
  };
  return { db: counted, runs: () => runs };
}

dbTest("startPoolAssigner() coalesces a burst of changes into a few runs", async (db) => {
  const ids = await addNodes(db, 30, { zone: "x" });
  const zone = await createPool(db, {
    name: "zone-x",
    description: "",
    autoApprove: false,
    criteria: { labels: { zone: "x" } },
  });
  const counting = countingRuns(db);
  const changes = createNodeChanges();
  const published: NodeChange[] = [];
  changes.subscribe((c) => published.push(c));
  const assigner = startPoolAssigner({
    db: counting.db,
    log: createLogger({ level: "error", sink: createMemorySink() }),
    nodeChanges: changes,
  });
  try {
    for (const nodeId of ids) changes.emit({ kind: "joined", nodeId });
    await assigner.idle();
    for (const id of ids) assert.equal((await getNode(db, id))!.poolId, zone);
    // One run for the burst and one for the "updated" changes its moves published.
    assert.ok(counting.runs() >= 1 && counting.runs() <= 3, `${counting.runs()} runs`);
    assert.equal(published.filter((c) => c.kind === "updated").length, ids.length);
    // Everything is in place: another full pass moves nothing.
    assert.equal(await assigner.assignAll(), 0);
    // Changes that cannot affect membership start no run.
    const before = counting.runs();
    changes.emit({ kind: "metrics", nodeId: ids[0] });
    changes.emit({ kind: "status", nodeId: ids[0], status: "offline", dockerHealthy: null });
    await assigner.idle();
    assert.equal(counting.runs(), before);
  } finally {
    assigner.stop();
    await assigner.idle();
  }
});

dbTest("a stopped assigner answers 0 and moves nothing", async (db) => {
  const [id] = await addNodes(db, 1, { zone: "x" });
  await createPool(db, {
    name: "zone-x",
    description: "",
    autoApprove: false,
    criteria: { labels: { zone: "x" } },
  });
  const changes = createNodeChanges();
  const assigner = startPoolAssigner({
    db,
    log: createLogger({ level: "error", sink: createMemorySink() }),
    nodeChanges: changes,
  });
  assigner.stop();
  assert.equal(await assigner.assignAll(), 0);
  changes.emit({ kind: "joined", nodeId: id });
  await assigner.idle();
  assert.equal((await getNode(db, id))!.poolId, DEFAULT_POOL_ID);
});

dbTest("assignNodePool() leaves pinned nodes and nodes moved meanwhile alone", async (db) => {
  const [pinned, moved] = await addNodes(db, 2, {});
  const other = await createPool(db, {
    name: "other",
    description: "",
    autoApprove: false,
    criteria: {},
  });
  await setNodePool(db, pinned, DEFAULT_POOL_ID);
  assert.equal((await getNode(db, pinned))!.poolPinned, true);
  assert.equal(await assignNodePool(db, pinned, { from: DEFAULT_POOL_ID, to: other }), false);
  assert.equal(await assignNodePool(db, moved, { from: other, to: other }), false);
  assert.equal(await assignNodePool(db, moved, { from: DEFAULT_POOL_ID, to: other }), true);
  assert.equal((await getNode(db, moved))!.poolId, other);
  assert.equal((await getNode(db, moved))!.poolPinned, false);
});
