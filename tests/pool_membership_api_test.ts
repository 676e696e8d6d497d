// Automatic pool membership: pools pick up the nodes their criteria match, re-evaluated when a
// node's labels or capabilities change and when pools change; nodes placed by hand stay put.
import assert from "node:assert/strict";
import { base64url } from "../lib/auth/secrets.ts";
import { appTest, json, signUp, type TestApp } from "./helpers/app.ts";
import { createJoinToken, SIM_CAPABILITIES, SimAgent } from "./helpers/sim_agent.ts";
import { waitFor } from "./helpers/server.ts";

const DEFAULT_POOL = "00000000-0000-4000-8000-000000000001";

async function admin(app: TestApp) {
  const { token } = await signUp(app);
  const auth = { authorization: `Bearer ${token}` };
  const call = (path: string, init: RequestInit = {}) =>
    app.request(`/api/v1${path}`, { ...init, headers: { ...auth, ...init.headers } });
  /** A join token's secret for `poolId` (the default pool when omitted). */
  const joinToken = async (poolId?: string) => {
    const res = await call("/join-tokens", json({ maxUses: 10, poolId }));
    assert.equal(res.status, 201);
    return (await res.json()).secret as string;
  };
  /** Join a node over HTTP with `labels`; returns its id once membership has settled. */
  const join = async (secret: string, name: string, labels: Record<string, string> = {}) => {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    const publicKey = base64url(
      new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)),
    );
    const res = await app.request(
      "/api/v1/agents/join",
      json({ token: secret, publicKey, name, labels, agentVersion: "0.1.0" }),
    );
    assert.equal(res.status, 201, await res.clone().text());
    await app.plane.ctx.poolAssigner.idle();
    return (await res.json()).nodeId as string;
  };
  const node = async (id: string) => (await (await call(`/nodes/${id}`)).json()).node;
  const createPool = async (body: Record<string, unknown>) => {
    const res = await call("/pools", json(body));
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()).pool;
  };
  const patchNode = async (id: string, body: Record<string, unknown>) => {
    const res = await call(`/nodes/${id}`, json(body, { method: "PATCH" }));
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()).node;
  };
  return { token, call, joinToken, join, node, createPool, patchNode };
}

appTest("pools pick up the nodes their labels, region and gpu criteria match", async (app) => {
  const { token, call, joinToken, join, node, createPool } = await admin(app);
  const secret = await joinToken();
  const zoned = await join(secret, "zoned", { zone: "x" });
  const european = await join(secret, "european", { region: "eu", zone: "y" });
  const plain = await join(secret, "plain", { zone: "y" });
  for (const id of [zoned, european, plain]) assert.equal((await node(id)).poolId, DEFAULT_POOL);

  // The answer to the create already counts the nodes the criteria brought in.
  const zone = await createPool({ name: "zone-x", criteria: { labels: { zone: "x" } } });
  assert.equal(zone.nodeCount, 1);
  const eu = await createPool({ name: "eu", criteria: { region: "eu" } });
  assert.equal(eu.nodeCount, 1);
  assert.equal((await node(zoned)).poolName, "zone-x");
  assert.equal((await node(european)).poolName, "eu");
  assert.equal((await node(plain)).poolName, "default");
  const empty = await createPool({ name: "aaa-empty" });
  assert.equal(empty.nodeCount, 0, "empty criteria match nothing");

  // GPUs arrive with the agent's hello: the node moves once it connects.
  const gpu = await createPool({ name: "gpu", criteria: { gpu: true } });
  assert.equal(gpu.nodeCount, 0);
  const baseUrl = app.listen();
  const agent = await SimAgent.join(baseUrl, await createJoinToken(baseUrl, token), "gpu-box");
  try {
    assert.equal((await call(`/nodes/${agent.nodeId}/approve`, { method: "POST" })).status, 200);
    const answer = await agent.handshake({
      capabilities: {
        ...SIM_CAPABILITIES,
        gpus: [{ index: 0, model: "Simulated GPU", memoryBytes: 8 * 1024 ** 3 }],
      },
    });
    assert.equal(answer.type, "welcome");
    await waitFor(async () => (await node(agent.nodeId)).poolName === "gpu", {
      timeoutMs: 5_000,
      what: "the GPU node to join the gpu pool",
    });
  } finally {
    agent.close();
  }

  const moves = await app.db.query(
    `SELECT actor, target_id, details FROM audit_log WHERE action = 'node.pool_assign' ORDER BY id`,
  );
  assert.deepEqual(moves.map((r) => r.target_id), [zoned, european, agent.nodeId]);
  assert.equal(moves[0].actor, "system");
  assert.deepEqual(
    (moves[0].details as Record<string, unknown>).matched,
    "zone-x",
  );
});

appTest("new labels move a node; a pinned node stays until unpinned", async (app) => {
  const { call, joinToken, join, node, createPool, patchNode } = await admin(app);
  const secret = await joinToken();
  const id = await join(secret, "mover");
  const zone = await createPool({ name: "zone-x", criteria: { labels: { zone: "x" } } });
  assert.equal(zone.nodeCount, 0);

  const labelled = await patchNode(id, { labels: { zone: "x" } });
  assert.equal(labelled.poolName, "zone-x", "the PATCH answer shows the new pool");
  assert.equal(labelled.labelsPinned, true);
  assert.equal(labelled.poolPinned, false);

  // By hand: pinned to the default pool, whatever the criteria say.
  const moved = await call(`/nodes/${id}/pool`, json({ poolId: DEFAULT_POOL }, { method: "PUT" }));
  assert.equal(moved.status, 204);
  assert.equal((await node(id)).poolPinned, true);
  const changed = await call(
    `/pools/${zone.id}`,
    json({ description: "still matches" }, { method: "PATCH" }),
  );
  assert.equal(changed.status, 200);
  assert.equal((await changed.json()).pool.nodeCount, 0);
  const relabelled = await patchNode(id, { labels: { zone: "x", rack: "r1" } });
  assert.equal(relabelled.poolId, DEFAULT_POOL);

  // Unpinned: criteria decide again, at once.
  const unpinned = await patchNode(id, { poolPinned: false });
  assert.equal(unpinned.poolPinned, false);
  assert.equal(unpinned.poolName, "zone-x");

  // The pool with more matching criteria wins.
  await createPool({ name: "zone-x-rack", criteria: { labels: { zone: "x", rack: "r1" } } });
  assert.equal((await node(id)).poolName, "zone-x-rack");
  const less = await patchNode(id, { labels: { zone: "x" } });
  assert.equal(less.poolName, "zone-x");
  const none = await patchNode(id, { labels: {} });
  assert.equal(none.poolId, DEFAULT_POOL);
});

appTest("deleting a pool returns its nodes to default, pinned ones too", async (app) => {
  const { call, joinToken, join, node, createPool } = await admin(app);
  const secret = await joinToken();
  const matched = await join(secret, "matched", { zone: "x" });
  const byHand = await join(secret, "by-hand");
  const zone = await createPool({ name: "zone-x", criteria: { labels: { zone: "x" } } });
  const put = await call(`/nodes/${byHand}/pool`, json({ poolId: zone.id }, { method: "PUT" }));
  assert.equal(put.status, 204);
  assert.equal((await (await call(`/pools/${zone.id}`)).json()).pool.nodeCount, 2);

  assert.equal((await call(`/pools/${zone.id}`, { method: "DELETE" })).status, 204);
  const [a, b] = [await node(matched), await node(byHand)];
  assert.equal(a.poolId, DEFAULT_POOL);
  assert.equal(b.poolId, DEFAULT_POOL);
  assert.equal(b.poolPinned, false, "the pool it was pinned to is gone");

  // Matching criteria elsewhere take the node at once.
  await createPool({ name: "zone-x-again", criteria: { labels: { zone: "x" } } });
  assert.equal((await node(matched)).poolName, "zone-x-again");
});

appTest(
  "a node that joined with a pool's token goes back there when nothing matches",
  async (app) => {
    const { joinToken, join, node, createPool, patchNode } = await admin(app);
    const lab = await createPool({ name: "lab" });
    const id = await join(await joinToken(lab.id), "lab-1", { zone: "y" });
    assert.equal(
      (await node(id)).poolName,
      "lab",
      "a pool without criteria keeps its token's nodes",
    );

    await createPool({ name: "zone-x", criteria: { labels: { zone: "x" } } });
    assert.equal((await patchNode(id, { labels: { zone: "x" } })).poolName, "zone-x");
    assert.equal((await patchNode(id, { labels: { zone: "y" } })).poolName, "lab");
  },
);

appTest(
  "pool criteria are structured: flat label maps and unknown keys are refused",
  async (app) => {
    const { call } = await admin(app);
    for (
      const criteria of [
        { zone: "x" },
        { labels: { zone: "x" }, colour: "blue" },
        { region: 3 },
        { environment: "qa" },
      ]
    ) {
      const res = await call("/pools", json({ name: "p", criteria }));
      assert.equal(res.status, 422, JSON.stringify(criteria));
    }
    const ok = await call(
      "/pools",
      json({ name: "p", criteria: { region: "eu", environment: "prod", gpu: false } }),
    );
    assert.equal(ok.status, 201);
    assert.deepEqual((await ok.json()).pool.criteria, {
      region: "eu",
      environment: "prod",
      gpu: false,
    });
  },
);
