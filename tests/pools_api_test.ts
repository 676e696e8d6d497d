import assert from "node:assert/strict";
import { appTest, errorOf, json, signUp, type TestApp, USER } from "./helpers/app.ts";
import { createJoinToken, SimAgent } from "./helpers/sim_agent.ts";

const DEFAULT_POOL = "00000000-0000-4000-8000-000000000001";

async function admin(app: TestApp) {
  const { token } = await signUp(app);
  const auth = { authorization: `Bearer ${token}` };
  return {
    token,
    call: (path: string, init: RequestInit = {}) =>
      app.request(`/api/v1${path}`, { ...init, headers: { ...auth, ...init.headers } }),
  };
}

appTest("admins create, list, change and delete pools; the default pool stays", async (app) => {
  const { call } = await admin(app);
  const created = await call(
    "/pools",
    json({ name: "gpu-lab", criteria: { labels: { gpu: "nvidia" }, environment: "dev" } }),
  );
  assert.equal(created.status, 201);
  const { pool } = await created.json();
  assert.equal(pool.name, "gpu-lab");
  assert.equal(pool.autoApprove, false);
  assert.deepEqual(pool.criteria, { labels: { gpu: "nvidia" }, environment: "dev" });
  assert.equal(pool.nodeCount, 0);

  const dup = await call("/pools", json({ name: "gpu-lab" }));
  assert.equal(dup.status, 409);
  assert.match((await errorOf(dup)).message, /already exists/);

  const list = await (await call("/pools")).json();
  assert.deepEqual(list.pools.map((p: { name: string }) => p.name), ["default", "gpu-lab"]);

  const patched = await call(`/pools/${pool.id}`, json({ autoApprove: true }, { method: "PATCH" }));
  assert.equal(patched.status, 200);
  assert.equal((await patched.json()).pool.autoApprove, true);

  assert.equal((await call(`/pools/${DEFAULT_POOL}`, { method: "DELETE" })).status, 409);
  assert.equal((await call(`/pools/${pool.id}`, { method: "DELETE" })).status, 204);
  assert.equal((await call(`/pools/${pool.id}`)).status, 404);
  const audit = await app.db.query(
    `SELECT action FROM audit_log WHERE action LIKE 'pool.%' ORDER BY id`,
  );
  assert.deepEqual(audit.map((r) => r.action), ["pool.create", "pool.update", "pool.delete"]);
});

appTest("bad pool input gets field errors and stores nothing", async (app) => {
  const { call } = await admin(app);
  for (
    const body of [
      { name: "Has Spaces" },
      { name: "" },
      { name: "ok", autoApprove: "yes" },
      { name: "ok", criteria: { gpu: "nvidia" } },
      { name: "ok", criteria: { labels: { "bad key!": "x" } } },
      { name: "ok", criteria: { environment: "production" } },
      { name: "ok", criteria: { gpu: "yes" } },
      { name: "ok", extra: 1 },
    ]
  ) {
    const res = await call("/pools", json(body));
    assert.equal(res.status, 422, JSON.stringify(body));
    assert.equal((await errorOf(res)).code, "validation_failed");
  }
  const empty = await call(`/pools/${DEFAULT_POOL}`, json({}, { method: "PATCH" }));
  assert.equal(empty.status, 422);
  const [{ n }] = await app.db.query(`SELECT count(*)::int AS n FROM pools`);
  assert.equal(n, 1);
});

appTest("only admins manage pools", async (app) => {
  await admin(app);
  const user = await signUp(app, USER);
  const res = await app.request("/api/v1/pools", {
    headers: { authorization: `Bearer ${user.token}` },
  });
  assert.equal(res.status, 403);
  assert.equal((await app.request("/api/v1/pools")).status, 401);
}, { env: { LATTICE_REGISTRATION: "open" } });

appTest(
  "an auto-approving pool approves joined nodes, and nodes move between pools",
  async (app) => {
    const { call, token } = await admin(app);
    const { pool } = await (await call("/pools", json({ name: "lab", autoApprove: true }))).json();
    const baseUrl = app.listen();
    const joinToken = await createJoinToken(baseUrl, token, { poolId: pool.id });
    const agent = await SimAgent.join(baseUrl, joinToken, "lab-1");
    const answer = await agent.handshake();
    assert.equal(answer.type, "welcome");
    agent.heartbeat();
    await agent.acked(1);
    const health = (await (await call(`/pools/${pool.id}`)).json()).pool;
    assert.equal(health.nodeCount, 1);
    assert.equal(health.onlineNodes, 1);
    assert.equal(health.cpuCores, 4);

    const moved = await call(
      `/nodes/${agent.nodeId}/pool`,
      json({ poolId: DEFAULT_POOL }, { method: "PUT" }),
    );
    assert.equal(moved.status, 204);
    const node = await (await call(`/nodes/${agent.nodeId}`)).json();
    assert.equal(node.node.poolId, DEFAULT_POOL);
    const missing = await call(
      `/nodes/${crypto.randomUUID()}/pool`,
      json({ poolId: DEFAULT_POOL }, { method: "PUT" }),
    );
    assert.equal(missing.status, 404);
    agent.close();
  },
);
