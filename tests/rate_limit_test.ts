import assert from "node:assert/strict";
import { ADMIN, appTest, errorOf, json, signUp } from "./helpers/app.ts";

// Fixed windows: a test whose requests straddle a window boundary would see the count reset,
// so the windows here are a week long (the production ones are a minute).
const WEEK_MS = 7 * 24 * 3600_000;
const TIGHT = {
  perAccount: { limit: 3, windowMs: WEEK_MS },
  perIp: { limit: 6, windowMs: WEEK_MS },
  registerPerIp: { limit: 2, windowMs: WEEK_MS },
};

appTest("too many failed logins for one account get 429 with Retry-After", async (app) => {
  await signUp(app);
  const wrong = { ...ADMIN, password: "wrong password 1" };
  for (let i = 0; i < 3; i++) {
    const res = await app.request("/api/v1/auth/login", json(wrong, { ip: `198.51.100.${i}` }));
    assert.equal(res.status, 401);
    await res.body?.cancel();
  }
  // Even the right password is refused now: the account is locked for the window.
  const locked = await app.request("/api/v1/auth/login", json(ADMIN, { ip: "198.51.100.50" }));
  assert.equal(locked.status, 429);
  const retry = Number(locked.headers.get("retry-after"));
  assert.ok(retry >= 1 && retry <= WEEK_MS / 1000, `Retry-After ${retry}`);
  const err = await errorOf(locked);
  assert.equal(err.code, "rate_limited");
  assert.match(err.message, /wait \d+ s/);
}, { loginLimits: TIGHT });

appTest("too many login attempts from one IP get 429 whatever the account", async (app) => {
  await signUp(app);
  let last = 0;
  for (let i = 0; i < 7; i++) {
    const res = await app.request(
      "/api/v1/auth/login",
      json({
        email: `someone${i}@example.com`,
        password: "whatever password",
      }, { ip: "192.0.2.7" }),
    );
    last = res.status;
    await res.body?.cancel();
  }
  assert.equal(last, 429);
  const other = await app.request("/api/v1/auth/login", json(ADMIN, { ip: "192.0.2.8" }));
  assert.equal(other.status, 200, "another IP is not affected");
  await other.body?.cancel();
}, { loginLimits: TIGHT });

appTest("a successful login clears the account's failure count", async (app) => {
  await signUp(app);
  for (let i = 0; i < 2; i++) {
    const res = await app.request(
      "/api/v1/auth/login",
      json({ ...ADMIN, password: "nope nope nope" }),
    );
    await res.body?.cancel();
  }
  const ok = await app.request("/api/v1/auth/login", json(ADMIN));
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  for (let i = 0; i < 2; i++) {
    const res = await app.request(
      "/api/v1/auth/login",
      json({ ...ADMIN, password: "nope nope nope" }, { ip: "10.1.1.1" }),
    );
    assert.equal(res.status, 401);
    await res.body?.cancel();
  }
}, { loginLimits: TIGHT });

appTest("too many registrations from one IP get 429", async (app) => {
  const statuses = [];
  for (let i = 0; i < 3; i++) {
    const res = await app.request(
      "/api/v1/auth/register",
      json({
        email: `person${i}@example.com`,
        password: "a long enough password",
      }, { ip: "192.0.2.44" }),
    );
    statuses.push(res.status);
    await res.body?.cancel();
  }
  assert.deepEqual(statuses, [201, 201, 429]);
  const users = await app.db.query<{ n: number }>("SELECT count(*)::int AS n FROM users");
  assert.equal(users[0].n, 2);
}, { loginLimits: TIGHT, env: { LATTICE_REGISTRATION: "open" } });
