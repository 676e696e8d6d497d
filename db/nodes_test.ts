import assert from "node:assert/strict";
import { dbTest, type TestDb } from "../tests/helpers/databases.ts";
import { isUniqueViolation } from "./db.ts";
import { createJoinToken } from "./join_tokens.ts";
import {
  createNode,
  getNode,
  getNodeByPublicKey,
  getNodeForSession,
  listNodeContainers,
  listNodes,
  setNodeApproval,
} from "./nodes.ts";

const DEFAULT_POOL = "00000000-0000-4000-8000-000000000001";

async function joinTokenId(db: TestDb): Promise<string> {
  const token = await createJoinToken(db, {
    poolId: DEFAULT_POOL,
    tokenHash: crypto.randomUUID(),
    prefix: "ljt_abcdef",
    description: "",
    createdBy: null,
    expiresAt: new Date(Date.now() + 3600_000),
    maxUses: 10,
  });
  return token!.id;
}

function nodeInput(tokenId: string, overrides: Partial<Parameters<typeof createNode>[1]> = {}) {
  return {
    name: "n1",
    publicKey: crypto.randomUUID(),
    labels: { zone: "a" },
    poolId: DEFAULT_POOL,
    joinTokenId: tokenId,
    agentVersion: "0.1.0",
    approval: "pending" as const,
    ...overrides,
  };
}

dbTest(
  "createNode() stores a joined node; a repeated public key is a unique violation",
  async (db) => {
    const tokenId = await joinTokenId(db);
    const node = await createNode(db, nodeInput(tokenId, { publicKey: "key-1" }));
    assert.equal(node.poolName, "default");
    assert.deepEqual(node.labels, { zone: "a" });
    assert.equal(node.capabilities, null);
    assert.equal(node.status, "unknown");
    assert.equal(node.approvedAt, null);
    assert.deepEqual(await getNode(db, node.id), node);
    assert.deepEqual(await getNodeByPublicKey(db, "key-1"), node);
    assert.equal(await getNodeByPublicKey(db, "key-2"), null);
    await assert.rejects(
      () => createNode(db, nodeInput(tokenId, { publicKey: "key-1" })),
      (err) => isUniqueViolation(err),
    );
    const auto = await createNode(db, nodeInput(tokenId, { approval: "approved" }));
    assert.ok(auto.approvedAt instanceof Date);
  },
);

dbTest("setNodeApproval() records decisions and keeps the approval time as history", async (db) => {
  const tokenId = await joinTokenId(db);
  const node = await createNode(db, nodeInput(tokenId));
  const approved = await setNodeApproval(db, node.id, {
    approval: "approved",
    reason: null,
    actorId: null,
  });
  assert.equal(approved?.approval, "approved");
  assert.ok(approved?.approvedAt instanceof Date);
  const revoked = await setNodeApproval(db, node.id, {
    approval: "revoked",
    reason: "gone",
    actorId: null,
  });
  assert.equal(revoked?.approval, "revoked");
  assert.equal(revoked?.approvalReason, "gone");
  assert.deepEqual(revoked?.approvedAt, approved?.approvedAt);
  assert.equal(
    await setNodeApproval(db, crypto.randomUUID(), {
      approval: "approved",
      reason: null,
      actorId: null,
    }),
    null,
  );
});

dbTest("listNodes() filters by approval, status and pool", async (db) => {
  const tokenId = await joinTokenId(db);
  const a = await createNode(db, nodeInput(tokenId, { name: "a" }));
  const b = await createNode(db, nodeInput(tokenId, { name: "b", approval: "approved" }));
  await db.query("UPDATE nodes SET status = 'online' WHERE id = $1", [a.id]);
  const names = async (f: Parameters<typeof listNodes>[1]) =>
    (await listNodes(db, f)).map((n) => n.name).sort();
  assert.deepEqual(await names({}), ["a", "b"]);
  assert.deepEqual(await names({ approval: "approved" }), ["b"]);
  assert.deepEqual(await names({ status: "online" }), ["a"]);
  assert.deepEqual(await names({ poolId: DEFAULT_POOL, approval: "pending" }), ["a"]);
  assert.deepEqual(await names({ poolId: crypto.randomUUID() }), []);
  assert.ok(b);
});

dbTest(
  "getNodeForSession() returns what a session needs, with acked_seq as a number",
  async (db) => {
    const tokenId = await joinTokenId(db);
    const node = await createNode(db, nodeInput(tokenId, { publicKey: "pk" }));
    await db.query("UPDATE nodes SET acked_seq = 9007199254740000 WHERE id = $1", [node.id]);
    assert.deepEqual(await getNodeForSession(db, node.id), {
      id: node.id,
      name: "n1",
      publicKey: "pk",
      approval: "pending",
      approvalReason: null,
      poolId: DEFAULT_POOL,
      ackedSeq: 9007199254740000,
    });
    assert.equal(await getNodeForSession(db, crypto.randomUUID()), null);
  },
);

dbTest("listNodeContainers() lists a node's containers by name", async (db) => {
  const tokenId = await joinTokenId(db);
  const node = await createNode(db, nodeInput(tokenId));
  const other = await createNode(db, nodeInput(tokenId));
  for (const [nodeId, name] of [[node.id, "b"], [node.id, "a"], [other.id, "c"]]) {
    await db.query(
      `INSERT INTO node_containers (allocation_id, node_id, name, image, state)
       VALUES ($1, $2, $3, 'img', 'running')`,
      [crypto.randomUUID(), nodeId, name],
    );
  }
  const listed = await listNodeContainers(db, node.id);
  assert.deepEqual(listed.map((c) => c.name), ["a", "b"]);
  assert.equal(listed[0].state, "running");
  assert.deepEqual(listed[0].ports, []);
  assert.equal(listed[0].exitCode, null);
});
