import assert from "node:assert/strict";
import { base64url } from "../lib/auth/secrets.ts";
import { type NodeChange } from "../lib/nodes/changes.ts";
import { appTest, errorOf, json, signUp, type TestApp, USER } from "./helpers/app.ts";

const DEFAULT_POOL = "00000000-0000-4000-8000-000000000001";

/** A fresh Ed25519 public key, raw and base64url, as an agent makes at join. */
async function newPublicKey(): Promise<string> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  return base64url(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)));
}

/** Create a join token as the admin; returns the created body. */
async function createToken(app: TestApp, auth: Record<string, string>, body: unknown = {}) {
  const res = await app.request("/api/v1/join-tokens", json(body, { headers: auth }));
  assert.equal(res.status, 201, await res.clone().text());
  return await res.json();
}

/** What an agent sends to join. */
async function joinBody(token: string, extra: Record<string, unknown> = {}) {
  return {
    token,
    publicKey: await newPublicKey(),
    name: "laptop-a",
    labels: { "zone": "home" },
    agentVersion: "0.1.0",
    ...extra,
  };
}

/** POST /api/v1/agents/join the way the agent does: plain JSON, no cookies, no Origin. */
function join(app: TestApp, body: unknown, ip?: string) {
  return app.request("/api/v1/agents/join", json(body, { ip }));
}

appTest(
  "a join token is shown once, stored as a hash, listed with its state and revoked",
  async (app) => {
    const { token } = await signUp(app);
    const auth = { authorization: `Bearer ${token}` };
    const created = await createToken(app, auth, {
      description: "rack 2",
      expiresInHours: 48,
      maxUses: 3,
    });
    assert.match(created.secret, /^ljt_[\w-]{43}$/);
    assert.equal(created.token.prefix, created.secret.slice(0, 10));
    assert.equal(created.token.poolId, DEFAULT_POOL);
    assert.equal(created.token.poolName, "default");
    assert.equal(created.token.description, "rack 2");
    assert.equal(created.token.maxUses, 3);
    assert.equal(created.token.uses, 0);
    assert.equal(created.token.state, "active");
    const hours = (Date.parse(created.token.expiresAt) - Date.now()) / 3600_000;
    assert.ok(hours > 47.9 && hours <= 48, `expires in 48 h, got ${hours}`);

    const stored = await app.db.query<{ token_hash: string; prefix: string }>(
      "SELECT token_hash, prefix FROM join_tokens",
    );
    assert.equal(stored.length, 1);
    assert.match(stored[0].token_hash, /^[0-9a-f]{64}$/);
    assert.ok(!stored[0].token_hash.includes(created.secret.slice(4)), "only a hash is kept");
    assert.equal(stored[0].prefix, created.token.prefix);

    const list = await (await app.request("/api/v1/join-tokens", { headers: auth })).json();
    assert.equal(list.tokens.length, 1);
    assert.deepEqual(list.tokens[0], created.token);
    assert.ok(!JSON.stringify(list).includes(created.secret), "the secret is never listed");
    assert.ok(!JSON.stringify(list).includes(stored[0].token_hash), "nor its hash");

    const del = await app.request(`/api/v1/join-tokens/${created.token.id}`, {
      method: "DELETE",
      headers: auth,
    });
    assert.equal(del.status, 204);
    const again = await app.request(`/api/v1/join-tokens/${created.token.id}`, {
      method: "DELETE",
      headers: auth,
    });
    assert.equal(again.status, 204, "revoking twice is harmless");
    const after = await (await app.request("/api/v1/join-tokens", { headers: auth })).json();
    assert.equal(after.tokens[0].state, "revoked");
    assert.ok(after.tokens[0].revokedAt);

    const unknown = await app.request(`/api/v1/join-tokens/${crypto.randomUUID()}`, {
      method: "DELETE",
      headers: auth,
    });
    assert.equal(unknown.status, 404);
    assert.match((await errorOf(unknown)).message, /GET \/api\/v1\/join-tokens/);
    const bad = await app.request("/api/v1/join-tokens/not-a-uuid", {
      method: "DELETE",
      headers: auth,
    });
    assert.equal(bad.status, 422);
    await bad.body?.cancel();

    const audit = await app.db.query<{ action: string; target_id: string; details: unknown }>(
      "SELECT action, target_id, details FROM audit_log WHERE action LIKE 'join_token.%' ORDER BY id",
    );
    assert.deepEqual(audit.map((a) => a.action), ["join_token.create", "join_token.revoke"]);
    assert.ok(audit.every((a) => a.target_id === created.token.id));
    assert.ok(!JSON.stringify(audit).includes(created.secret), "the audit log has no secret");
  },
);

appTest("join token defaults: default pool, 24 hours, one use, even with no body", async (app) => {
  const { token } = await signUp(app);
  const res = await app.request("/api/v1/join-tokens", {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 201);
  const created = await res.json();
  assert.equal(created.token.poolId, DEFAULT_POOL);
  assert.equal(created.token.maxUses, 1);
  assert.equal(created.token.description, "");
  const hours = (Date.parse(created.token.expiresAt) - Date.now()) / 3600_000;
  assert.ok(hours > 23.9 && hours <= 24, `expires in 24 h, got ${hours}`);
});

appTest("join tokens are for admins only", async (app) => {
  await signUp(app);
  const user = await signUp(app, USER);
  const auth = { authorization: `Bearer ${user.token}` };
  for (
    const [path, init] of [
      ["/api/v1/join-tokens", {}],
      ["/api/v1/join-tokens", json({})],
      [`/api/v1/join-tokens/${crypto.randomUUID()}`, { method: "DELETE" }],
    ] as const
  ) {
    const anon = await app.request(path, init);
    assert.equal(anon.status, 401, `${path} anonymous`);
    assert.equal((await errorOf(anon)).code, "unauthorized");
    const res = await app.request(path, { ...init, headers: { ...init.headers, ...auth } });
    assert.equal(res.status, 403, `${path} as a user`);
    assert.equal((await errorOf(res)).code, "forbidden");
  }
  assert.equal((await app.db.query("SELECT id FROM join_tokens")).length, 0);
}, { env: { LATTICE_REGISTRATION: "open" } });

appTest("creating a join token refuses bad input and unknown pools clearly", async (app) => {
  const { token } = await signUp(app);
  const auth = { authorization: `Bearer ${token}` };
  for (
    const body of [
      { expiresInHours: 0 },
      { expiresInHours: 721 },
      { expiresInHours: 1.5 },
      { maxUses: 0 },
      { maxUses: 10_001 },
      { maxUses: "3" },
      { poolId: "default" },
      { description: "x".repeat(501) },
      [],
      "token",
    ]
  ) {
    const res = await app.request("/api/v1/join-tokens", json(body, { headers: auth }));
    assert.equal(res.status, 422, JSON.stringify(body));
    assert.equal((await errorOf(res)).code, "validation_failed");
  }
  const pool = crypto.randomUUID();
  const res = await app.request("/api/v1/join-tokens", json({ poolId: pool }, { headers: auth }));
  assert.equal(res.status, 404);
  const err = await errorOf(res);
  assert.match(err.message, new RegExp(`pool ${pool}: no such pool`));
  const broken = await app.request("/api/v1/join-tokens", {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: "{not json",
  });
  assert.equal(broken.status, 400);
  assert.equal((await errorOf(broken)).code, "invalid_json");
  assert.equal((await app.db.query("SELECT id FROM join_tokens")).length, 0);
});

appTest(
  "an agent joins with a valid token as a pending node, without a session or CSRF token",
  async (app) => {
    const { token } = await signUp(app);
    const auth = { authorization: `Bearer ${token}` };
    const { secret, token: jt } = await createToken(app, auth);
    const changes: NodeChange[] = [];
    app.plane.ctx.nodeChanges.subscribe((c) => changes.push(c));
    const body = await joinBody(secret);
    const res = await join(app, body);
    assert.equal(res.status, 201, await res.clone().text());
    const joined = await res.json();
    assert.deepEqual(Object.keys(joined).sort(), ["approval", "nodeId", "poolId", "poolName"]);
    assert.equal(joined.approval, "pending");
    assert.equal(joined.poolId, DEFAULT_POOL);
    assert.equal(joined.poolName, "default");
    assert.deepEqual(changes, [{ kind: "joined", nodeId: joined.nodeId }]);

    const [node] = await app.db.query<Record<string, unknown>>(
      "SELECT * FROM nodes WHERE id = $1",
      [joined.nodeId],
    );
    assert.equal(node.name, "laptop-a");
    assert.equal(node.public_key, body.publicKey);
    assert.deepEqual(node.labels, { zone: "home" });
    assert.equal(node.pool_id, DEFAULT_POOL);
    assert.equal(node.join_token_id, jt.id);
    assert.equal(node.agent_version, "0.1.0");
    assert.equal(node.approval, "pending");
    assert.equal(node.approved_at, null);

    const [listed] = (await (await app.request("/api/v1/join-tokens", { headers: auth })).json())
      .tokens;
    assert.equal(listed.uses, 1);
    assert.equal(listed.state, "used_up");
    assert.ok(listed.lastUsedAt);

    const [audit] = await app.db.query<{ outcome: string; target_id: string; details: never }>(
      "SELECT outcome, target_id, details FROM audit_log WHERE action = 'node.join'",
    );
    assert.equal(audit.outcome, "success");
    assert.equal(audit.target_id, joined.nodeId);
    assert.equal((audit.details as { joinTokenId: string }).joinTokenId, jt.id);
    assert.ok(!JSON.stringify(audit).includes(secret), "the audit log has no secret");
  },
);

appTest("a node joining a pool with auto-approve is approved at once", async (app) => {
  const { token } = await signUp(app);
  const auth = { authorization: `Bearer ${token}` };
  const edge = crypto.randomUUID();
  await app.db.query("INSERT INTO pools (id, name, auto_approve) VALUES ($1, 'edge', true)", [
    edge,
  ]);
  const { secret } = await createToken(app, auth, { poolId: edge });
  const res = await join(app, await joinBody(secret));
  assert.equal(res.status, 201);
  const joined = await res.json();
  assert.equal(joined.approval, "approved");
  assert.equal(joined.poolName, "edge");
  const [node] = await app.db.query<{ approval: string; approved_at: Date | null }>(
    "SELECT approval, approved_at FROM nodes WHERE id = $1",
    [joined.nodeId],
  );
  assert.equal(node.approval, "approved");
  assert.ok(node.approved_at instanceof Date);
});

appTest("expired, revoked, used-up and unknown join tokens each say what to do", async (app) => {
  const { token } = await signUp(app);
  const auth = { authorization: `Bearer ${token}` };

  const expired = await createToken(app, auth);
  await app.db.query(
    "UPDATE join_tokens SET expires_at = now() - interval '1 hour' WHERE id = $1",
    [expired.token.id],
  );
  const revoked = await createToken(app, auth);
  await (await app.request(`/api/v1/join-tokens/${revoked.token.id}`, {
    method: "DELETE",
    headers: auth,
  })).body?.cancel();
  const used = await createToken(app, auth);
  assert.equal((await join(app, await joinBody(used.secret))).status, 201);

  const cases: [string, string, RegExp][] = [
    [expired.secret, "join_token_expired", /expired on \d{4}-\d\d-\d\dT/],
    [revoked.secret, "join_token_revoked", /revoked on \d{4}-/],
    [used.secret, "join_token_used_up", /used 1 of 1 times/],
    ["ljt_" + "A".repeat(43), "join_token_invalid", /not valid/],
    [expired.secret.slice(0, -1) + "x", "join_token_invalid", /not valid/],
    ["lat_" + "A".repeat(43), "join_token_invalid", /not valid/],
    ["ljt_", "join_token_invalid", /not valid/],
    ["garbage", "join_token_invalid", /not valid/],
  ];
  for (const [secret, code, message] of cases) {
    const res = await join(app, await joinBody(secret));
    assert.equal(res.status, 401, `${code} for ${secret}`);
    const err = await errorOf(res);
    assert.equal(err.code, code, secret);
    assert.match(err.message, message);
    assert.match(err.message, /POST \/api\/v1\/join-tokens/);
  }
  assert.equal((await app.db.query("SELECT id FROM nodes")).length, 1);
  const denied = await app.db.query<{ details: { reason: string } }>(
    "SELECT details FROM audit_log WHERE action = 'node.join' AND outcome = 'denied' ORDER BY id",
  );
  assert.deepEqual(denied.map((d) => d.details.reason), cases.map(([, code]) => code));
});

appTest("a token with maxUses 2 admits exactly 2 of 5 concurrent joins", async (app) => {
  const { token } = await signUp(app);
  const auth = { authorization: `Bearer ${token}` };
  const { secret, token: jt } = await createToken(app, auth, { maxUses: 2 });
  const bodies = await Promise.all([1, 2, 3, 4, 5].map((i) => joinBody(secret, { name: `n${i}` })));
  const responses = await Promise.all(bodies.map((b) => join(app, b)));
  const statuses = responses.map((r) => r.status).sort();
  assert.deepEqual(statuses, [201, 201, 401, 401, 401]);
  for (const res of responses) {
    if (res.status === 401) assert.equal((await errorOf(res)).code, "join_token_used_up");
    else await res.body?.cancel();
  }
  const [row] = await app.db.query<{ uses: number }>(
    "SELECT uses FROM join_tokens WHERE id = $1",
    [jt.id],
  );
  assert.equal(row.uses, 2);
  assert.equal((await app.db.query("SELECT id FROM nodes")).length, 2);
});

appTest(
  "a public key can join only once, and the refusal does not use up the token",
  async (app) => {
    const { token } = await signUp(app);
    const auth = { authorization: `Bearer ${token}` };
    const { secret, token: jt } = await createToken(app, auth, { maxUses: 5 });
    const body = await joinBody(secret);
    assert.equal((await join(app, body)).status, 201);
    const res = await join(app, { ...body, name: "again" });
    assert.equal(res.status, 409);
    const err = await errorOf(res);
    assert.equal(err.code, "node_key_exists");
    assert.match(err.message, /already joined/);
    const [row] = await app.db.query<{ uses: number }>(
      "SELECT uses FROM join_tokens WHERE id = $1",
      [jt.id],
    );
    assert.equal(row.uses, 1, "the refused join was rolled back");

    // Two joins with one new key at the same time: one wins, the other is told why.
    const racing = await joinBody(secret);
    const both = await Promise.all([join(app, racing), join(app, racing)]);
    assert.deepEqual(both.map((r) => r.status).sort(), [201, 409]);
    for (const r of both) await r.body?.cancel();
    assert.equal((await app.db.query("SELECT id FROM nodes")).length, 2);
  },
);

appTest("malformed join requests are refused with 4xx, never 500", async (app) => {
  const { token } = await signUp(app);
  const { secret } = await createToken(app, { authorization: `Bearer ${token}` }, {
    maxUses: 100,
  });
  const good = await joinBody(secret);
  const bodies: unknown[] = [
    {},
    [],
    "join",
    null,
    { ...good, token: "" },
    { ...good, token: "x".repeat(201) },
    { ...good, publicKey: "short" },
    { ...good, publicKey: "!".repeat(43) },
    { ...good, name: "" },
    { ...good, name: "   " },
    { ...good, name: "n".repeat(101) },
    { ...good, labels: { "bad key!": "v" } },
    { ...good, labels: { k: 1 } },
    { ...good, labels: "zone=home" },
    { ...good, agentVersion: 1 },
    { ...good, agentVersion: undefined },
  ];
  for (const body of bodies) {
    const res = await join(app, body);
    assert.equal(res.status, 422, JSON.stringify(body));
    assert.equal((await errorOf(res)).code, "validation_failed");
  }
  const notJson = await app.request("/api/v1/agents/join", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{",
  });
  assert.equal(notJson.status, 400);
  await notJson.body?.cancel();
  const form = await app.request("/api/v1/agents/join", {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: JSON.stringify(good),
  });
  assert.equal(form.status, 415);
  await form.body?.cancel();
  assert.equal((await app.db.query("SELECT id FROM nodes")).length, 0);
});

appTest("joins are rate-limited per address", async (app) => {
  // The limit is 30 per fixed one-minute window; should the attempts straddle a window
  // boundary, the 429 comes within the next window's 30, so at most 61 attempts are needed.
  let refused = 0;
  let limited: Response | null = null;
  for (let i = 0; i < 61 && !limited; i++) {
    const res = await join(app, await joinBody("ljt_guess" + i), "203.0.113.7");
    if (res.status === 429) limited = res;
    else {
      assert.equal(res.status, 401);
      await res.body?.cancel();
      refused++;
    }
  }
  assert.ok(limited, "no 429 within two windows of attempts");
  assert.ok(refused >= 30, `limited after only ${refused} attempts`);
  assert.ok(Number(limited.headers.get("retry-after")) >= 1);
  assert.equal((await errorOf(limited)).code, "rate_limited");
  const other = await join(app, await joinBody("ljt_guess"), "203.0.113.8");
  assert.equal(other.status, 401, "another address is not affected");
  await other.body?.cancel();
});

appTest("a cross-site browser cannot join on a visitor's behalf", async (app) => {
  const res = await app.request("/api/v1/agents/join", {
    ...json(await joinBody("ljt_x")),
    headers: { "content-type": "application/json", origin: "https://evil.example" },
  });
  assert.equal(res.status, 403);
  assert.equal((await errorOf(res)).code, "csrf_failed");
});
