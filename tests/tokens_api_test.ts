import assert from "node:assert/strict";
import { ADMIN, appTest, errorOf, json, signUp, USER } from "./helpers/app.ts";

appTest(
  "an API token is shown once, listed without its secret, and works as a bearer",
  async (app) => {
    const { token } = await signUp(app);
    const auth = { authorization: `Bearer ${token}` };
    const res = await app.request(
      "/api/v1/tokens",
      json({ name: "ci deploys", expiresInDays: 30 }, { headers: auth }),
    );
    assert.equal(res.status, 201);
    const created = await res.json();
    assert.match(created.secret, /^lat_[\w-]{43}$/);
    assert.equal(created.token.name, "ci deploys");
    assert.ok(created.secret.startsWith(created.token.prefix));
    const days = (Date.parse(created.token.expiresAt) - Date.now()) / 86400_000;
    assert.ok(days > 29.9 && days <= 30, `expires in 30 days, got ${days}`);

    const list = await (await app.request("/api/v1/tokens", { headers: auth })).json();
    assert.equal(list.tokens.length, 1);
    assert.ok(!JSON.stringify(list).includes(created.secret), "the secret is never listed");
    const stored = await app.db.query<{ token_hash: string }>("SELECT token_hash FROM api_tokens");
    assert.notEqual(stored[0].token_hash, created.secret);
    assert.match(stored[0].token_hash, /^[0-9a-f]{64}$/);

    const me = await app.request("/api/v1/me", {
      headers: { authorization: `Bearer ${created.secret}` },
    });
    assert.equal(me.status, 200);
    const body = await me.json();
    assert.equal(body.auth.method, "token");
    assert.equal(body.auth.tokenId, created.token.id);
    assert.equal(body.user.email, ADMIN.email);
  },
);

appTest("a revoked API token stops working at once", async (app) => {
  const { token } = await signUp(app);
  const auth = { authorization: `Bearer ${token}` };
  const created =
    await (await app.request("/api/v1/tokens", json({ name: "t" }, { headers: auth }))).json();
  const bearer = { authorization: `Bearer ${created.secret}` };
  assert.equal(
    (await app.request("/api/v1/me", { headers: bearer })).status,
    200,
    "cached as valid",
  );

  const del = await app.request(`/api/v1/tokens/${created.token.id}`, {
    method: "DELETE",
    headers: auth,
  });
  assert.equal(del.status, 204);
  const after = await app.request("/api/v1/me", { headers: bearer });
  assert.equal(after.status, 401);
  assert.equal((await errorOf(after)).code, "unauthorized");

  const again = await app.request(`/api/v1/tokens/${created.token.id}`, {
    method: "DELETE",
    headers: auth,
  });
  assert.equal(again.status, 404);
  const list = await (await app.request("/api/v1/tokens", { headers: auth })).json();
  assert.ok(list.tokens[0].revokedAt, "the list shows it revoked");
});

appTest("nobody can see or revoke another account's tokens", async (app) => {
  const admin = await signUp(app, ADMIN);
  const user = await signUp(app, USER);
  const created = await (await app.request(
    "/api/v1/tokens",
    json({ name: "mine" }, {
      headers: { authorization: `Bearer ${user.token}` },
    }),
  )).json();
  const adminList = await (await app.request("/api/v1/tokens", {
    headers: { authorization: `Bearer ${admin.token}` },
  })).json();
  assert.equal(adminList.tokens.length, 0);
  const steal = await app.request(`/api/v1/tokens/${created.token.id}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${admin.token}` },
  });
  assert.equal(steal.status, 404);
  const still = await app.request("/api/v1/me", {
    headers: { authorization: `Bearer ${created.secret}` },
  });
  assert.equal(still.status, 200);
}, { env: { LATTICE_REGISTRATION: "open" } });

appTest("an expired API token is refused", async (app) => {
  const { token } = await signUp(app);
  const created = await (await app.request(
    "/api/v1/tokens",
    json({ name: "old", expiresInDays: 1 }, {
      headers: { authorization: `Bearer ${token}` },
    }),
  )).json();
  await app.db.query(
    "UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1",
    [
      created.token.id,
    ],
  );
  const res = await app.request("/api/v1/me", {
    headers: { authorization: `Bearer ${created.secret}` },
  });
  assert.equal(res.status, 401);
});
