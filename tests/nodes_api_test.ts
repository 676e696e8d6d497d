import assert from "node:assert/strict";
import { base64url } from "../lib/auth/secrets.ts";
import type { NodeChange } from "../lib/nodes/changes.ts";
import { appTest, errorOf, json, signUp, type TestApp, USER } from "./helpers/app.ts";
import { EventReader } from "./helpers/event_reader.ts";

const DEFAULT_POOL = "00000000-0000-4000-8000-000000000001";

/** Sign up the admin, create a join token for `uses` nodes and join `names` with it. */
async function adminWithNodes(app: TestApp, names: string[], poolId?: string) {
  const { token } = await signUp(app);
  const auth = { authorization: `Bearer ${token}` };
  const created = await (await app.request(
    "/api/v1/join-tokens",
    json({ maxUses: Math.max(names.length, 1), poolId }, { headers: auth }),
  )).json();
  const ids: string[] = [];
  const keys: string[] = [];
  for (const name of names) {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    const publicKey = base64url(
      new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)),
    );
    const res = await app.request(
      "/api/v1/agents/join",
      json({ token: created.secret, publicKey, name, agentVersion: "0.1.0" }),
    );
    assert.equal(res.status, 201, await res.clone().text());
    ids.push((await res.json()).nodeId);
    keys.push(publicKey);
  }
  return { auth, ids, keys };
}

function post(app: TestApp, path: string, auth: Record<string, string>, body?: unknown) {
  return app.request(
    path,
    body === undefined ? { method: "POST", headers: auth } : json(body, { headers: auth }),
  );
}

appTest("nodes are listed and shown with their pool, fingerprint and containers", async (app) => {
  const { auth, ids, keys } = await adminWithNodes(app, ["alpha", "beta"]);
  const list = await app.request("/api/v1/nodes", { headers: auth });
  assert.equal(list.status, 200);
  const { nodes } = await list.json();
  assert.deepEqual(nodes.map((n: { name: string }) => n.name).sort(), ["alpha", "beta"]);
  const alpha = nodes.find((n: { name: string }) => n.name === "alpha");
  assert.deepEqual(Object.keys(alpha).sort(), [
    "agentVersion",
    "approval",
    "approvalReason",
    "approvedAt",
    "capabilities",
    "connectedAt",
    "createdAt",
    "dockerHealthy",
    "drained",
    "evacuateOutsideHours",
    "id",
    "labels",
    "labelsPinned",
    "lastMetrics",
    "lastSeenAt",
    "name",
    "offer",
    "poolId",
    "poolName",
    "poolPinned",
    "publicKeyFingerprint",
    "rank",
    "rankParts",
    "rankUpdatedAt",
    "schedule",
    "settingsPinned",
    "status",
  ]);
  assert.equal(alpha.id, ids[0]);
  assert.equal(alpha.approval, "pending");
  assert.equal(alpha.poolId, DEFAULT_POOL);
  assert.equal(alpha.poolName, "default");
  assert.equal(alpha.status, "unknown");
  assert.equal(alpha.capabilities, null);
  assert.equal(alpha.lastMetrics, null);
  assert.deepEqual(alpha.labels, {});
  assert.match(alpha.publicKeyFingerprint, /^[0-9a-f]{16}$/);
  assert.ok(!JSON.stringify(nodes).includes(keys[0]), "the public key itself is not shown");

  const allocation = crypto.randomUUID();
  await app.db.query(
    `INSERT INTO node_containers (allocation_id, node_id, name, image, state, ports)
     VALUES ($1, $2, 'pg-1', 'postgres:17', 'running', $3::text::jsonb)`,
    [allocation, ids[0], JSON.stringify([{ container: 5432, protocol: "tcp" }])],
  );
  const one = await app.request(`/api/v1/nodes/${ids[0]}`, { headers: auth });
  assert.equal(one.status, 200);
  const detail = await one.json();
  assert.deepEqual(detail.node, alpha);
  assert.equal(detail.containers.length, 1);
  assert.equal(detail.containers[0].allocationId, allocation);
  assert.equal(detail.containers[0].state, "running");
  assert.deepEqual(detail.containers[0].ports, [{ container: 5432, protocol: "tcp" }]);

  const missing = await app.request(`/api/v1/nodes/${crypto.randomUUID()}`, { headers: auth });
  assert.equal(missing.status, 404);
  assert.match((await errorOf(missing)).message, /GET \/api\/v1\/nodes/);
  const bad = await app.request("/api/v1/nodes/nope", { headers: auth });
  assert.equal(bad.status, 422);
  assert.equal((await errorOf(bad)).code, "validation_failed");
});

appTest("the node list filters by approval, status and pool", async (app) => {
  const { auth, ids } = await adminWithNodes(app, ["a", "b", "c"]);
  await app.db.query("UPDATE nodes SET status = 'online' WHERE id = $1", [ids[1]]);
  (await post(app, `/api/v1/nodes/${ids[0]}/approve`, auth)).body?.cancel();
  const names = async (query: string) => {
    const res = await app.request(`/api/v1/nodes${query}`, { headers: auth });
    assert.equal(res.status, 200, query);
    return (await res.json()).nodes.map((n: { name: string }) => n.name).sort();
  };
  assert.deepEqual(await names("?approval=approved"), ["a"]);
  assert.deepEqual(await names("?approval=pending"), ["b", "c"]);
  assert.deepEqual(await names("?status=online"), ["b"]);
  assert.deepEqual(await names("?status=online&approval=approved"), []);
  assert.deepEqual(await names(`?poolId=${DEFAULT_POOL}`), ["a", "b", "c"]);
  assert.deepEqual(await names(`?poolId=${crypto.randomUUID()}`), []);
  for (const q of ["?approval=maybe", "?status=up", "?poolId=default"]) {
    const res = await app.request(`/api/v1/nodes${q}`, { headers: auth });
    assert.equal(res.status, 422, q);
    await res.body?.cancel();
  }
});

appTest("node endpoints are for admins only", async (app) => {
  const { ids } = await adminWithNodes(app, ["a"]);
  const user = await signUp(app, USER);
  const auth = { authorization: `Bearer ${user.token}` };
  const calls: [string, RequestInit][] = [
    ["/api/v1/nodes", {}],
    [`/api/v1/nodes/${ids[0]}`, {}],
    ["/api/v1/nodes/stream", {}],
    [`/api/v1/nodes/${ids[0]}/approve`, { method: "POST" }],
    [`/api/v1/nodes/${ids[0]}/reject`, json({ reason: "no" })],
    [`/api/v1/nodes/${ids[0]}/revoke`, { method: "POST" }],
  ];
  for (const [path, init] of calls) {
    const anon = await app.request(path, init);
    assert.equal(anon.status, 401, `${path} anonymous`);
    await anon.body?.cancel();
    const res = await app.request(path, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), ...auth },
    });
    assert.equal(res.status, 403, `${path} as a user`);
    assert.equal((await errorOf(res)).code, "forbidden");
  }
  const [node] = await app.db.query<{ approval: string }>("SELECT approval FROM nodes");
  assert.equal(node.approval, "pending");
}, { env: { LATTICE_REGISTRATION: "open" } });

appTest("approve, reject and revoke move a node, audit it and publish the change", async (app) => {
  const { auth, ids } = await adminWithNodes(app, ["a"]);
  const id = ids[0];
  const changes: NodeChange[] = [];
  app.plane.ctx.nodeChanges.subscribe((c) => changes.push(c));

  const noReason = await post(app, `/api/v1/nodes/${id}/reject`, auth, {});
  assert.equal(noReason.status, 422);
  await noReason.body?.cancel();
  const blank = await post(app, `/api/v1/nodes/${id}/reject`, auth, { reason: "  " });
  assert.equal(blank.status, 422);
  await blank.body?.cancel();
  const long = await post(app, `/api/v1/nodes/${id}/reject`, auth, { reason: "r".repeat(501) });
  assert.equal(long.status, 422);
  await long.body?.cancel();

  const rejected = await post(app, `/api/v1/nodes/${id}/reject`, auth, { reason: "unknown box" });
  assert.equal(rejected.status, 200);
  const r = await rejected.json();
  assert.equal(r.approval, "rejected");
  assert.equal(r.approvalReason, "unknown box");
  assert.equal(r.approvedAt, null);

  const approved = await post(app, `/api/v1/nodes/${id}/approve`, auth);
  assert.equal(approved.status, 200);
  const a = await approved.json();
  assert.equal(a.approval, "approved");
  assert.equal(a.approvalReason, null);
  assert.ok(Date.parse(a.approvedAt) > Date.now() - 60_000);

  const again = await post(app, `/api/v1/nodes/${id}/approve`, auth);
  assert.equal(again.status, 200, "approving twice changes nothing");
  assert.equal((await again.json()).approvedAt, a.approvedAt);

  const rejectApproved = await post(app, `/api/v1/nodes/${id}/reject`, auth, { reason: "x" });
  assert.equal(rejectApproved.status, 409);
  assert.match((await errorOf(rejectApproved)).message, /revoke it instead/);

  const revoked = await post(app, `/api/v1/nodes/${id}/revoke`, auth, { reason: "stolen laptop" });
  assert.equal(revoked.status, 200);
  const v = await revoked.json();
  assert.equal(v.approval, "revoked");
  assert.equal(v.approvalReason, "stolen laptop");

  const reapprove = await post(app, `/api/v1/nodes/${id}/approve`, auth);
  assert.equal(reapprove.status, 409);
  const err = await errorOf(reapprove);
  assert.equal(err.code, "conflict");
  assert.match(err.message, /revoked nodes must join again with a new key/);

  assert.deepEqual(changes, [
    { kind: "approval", nodeId: id, approval: "rejected", reason: "unknown box" },
    { kind: "approval", nodeId: id, approval: "approved", reason: null },
    { kind: "approval", nodeId: id, approval: "revoked", reason: "stolen laptop" },
  ]);
  const audit = await app.db.query<
    { action: string; target_id: string; details: { reason: string | null; from: string } }
  >(
    `SELECT action, target_id, details FROM audit_log
     WHERE action IN ('node.approve', 'node.reject', 'node.revoke') ORDER BY id`,
  );
  assert.deepEqual(audit.map((e) => [e.action, e.details.from, e.details.reason]), [
    ["node.reject", "pending", "unknown box"],
    ["node.approve", "rejected", null],
    ["node.revoke", "approved", "stolen laptop"],
  ]);
  assert.ok(audit.every((e) => e.target_id === id));
});

appTest("revoke needs no body, and unknown or malformed node ids are refused", async (app) => {
  const { auth, ids } = await adminWithNodes(app, ["a"]);
  const revoked = await post(app, `/api/v1/nodes/${ids[0]}/revoke`, auth);
  assert.equal(revoked.status, 200);
  const body = await revoked.json();
  assert.equal(body.approval, "revoked");
  assert.equal(body.approvalReason, null);
  for (const action of ["approve", "revoke"]) {
    const missing = await post(app, `/api/v1/nodes/${crypto.randomUUID()}/${action}`, auth);
    assert.equal(missing.status, 404, action);
    assert.equal((await errorOf(missing)).code, "not_found");
    const bad = await post(app, `/api/v1/nodes/123/${action}`, auth);
    assert.equal(bad.status, 422, action);
    await bad.body?.cancel();
  }
  const missing = await post(app, `/api/v1/nodes/${crypto.randomUUID()}/reject`, auth, {
    reason: "x",
  });
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

appTest("the node stream sends a snapshot, then the fresh node after an approval", async (app) => {
  const { auth, ids } = await adminWithNodes(app, ["a", "b"]);
  const res = await app.request("/api/v1/nodes/stream", { headers: auth });
  assert.equal(res.status, 200, "stream.ts wins over [id].ts");
  assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
  const events = new EventReader(res);
  try {
    const snapshot = await events.next();
    assert.equal(snapshot.event, "snapshot");
    const listed = (snapshot.data as { nodes: { id: string; approval: string }[] }).nodes;
    assert.deepEqual(listed.map((n) => n.id).sort(), [...ids].sort());
    assert.ok(listed.every((n) => n.approval === "pending"));

    const approved = await post(app, `/api/v1/nodes/${ids[1]}/approve`, auth);
    assert.equal(approved.status, 200);
    await approved.body?.cancel();
    const update = await events.next();
    assert.equal(update.event, "node");
    const node = update.data as { id: string; approval: string; publicKeyFingerprint: string };
    assert.equal(node.id, ids[1]);
    assert.equal(node.approval, "approved");
    assert.match(node.publicKeyFingerprint, /^[0-9a-f]{16}$/);

    // A burst of changes to one node arrives as few events, the last showing the final state.
    for (let i = 0; i < 20; i++) {
      app.plane.ctx.nodeChanges.emit({ kind: "metrics", nodeId: ids[0] });
    }
    await app.db.query("UPDATE nodes SET status = 'online' WHERE id = $1", [ids[0]]);
    app.plane.ctx.nodeChanges.emit({
      kind: "status",
      nodeId: ids[0],
      status: "online",
      dockerHealthy: true,
    });
    const seen: { status: string }[] = [];
    await events.until((e) => {
      if (e.event === "node") seen.push(e.data as { status: string });
      return e.event === "node" && (e.data as { status: string }).status === "online";
    });
    assert.ok(seen.length <= 3, `coalesced into ${seen.length} events`);

    await app.db.query("DELETE FROM nodes WHERE id = $1", [ids[0]]);
    app.plane.ctx.nodeChanges.emit({ kind: "deleted", nodeId: ids[0] });
    const gone = await events.until((e) => e.event === "deleted");
    assert.deepEqual(gone.data, { id: ids[0] });
  } finally {
    await events.close();
  }
});

appTest("the node stream ends when the server shuts down", async (app) => {
  const { auth } = await adminWithNodes(app, []);
  const res = await app.request("/api/v1/nodes/stream", { headers: auth });
  const events = new EventReader(res);
  assert.equal((await events.next()).event, "snapshot");
  app.plane.endStreams();
  await assert.rejects(() => events.next(), /the stream ended/);
});

appTest("the OpenAPI document describes joining and the node endpoints", async (app) => {
  const res = await app.request("/api/v1/openapi.json");
  assert.equal(res.status, 200);
  const doc = await res.json();
  for (
    const [path, method] of [
      ["/api/v1/agents/join", "post"],
      ["/api/v1/join-tokens", "post"],
      ["/api/v1/join-tokens/{id}", "delete"],
      ["/api/v1/nodes", "get"],
      ["/api/v1/nodes/{id}", "get"],
      ["/api/v1/nodes/stream", "get"],
      ["/api/v1/nodes/{id}/approve", "post"],
      ["/api/v1/nodes/{id}/reject", "post"],
      ["/api/v1/nodes/{id}/revoke", "post"],
    ]
  ) {
    assert.ok(doc.paths[path]?.[method], `${method} ${path}`);
  }
  assert.equal(doc.paths["/api/v1/agents/join"].post.security, undefined, "join is public");
  assert.ok(doc.components.schemas.Node.properties.publicKeyFingerprint);
  assert.ok(doc.components.schemas.JoinToken.properties.state);
});
