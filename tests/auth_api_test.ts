import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { signAccessToken } from "../lib/auth/jwt.ts";
import {
  ADMIN,
  appTest,
  errorOf,
  expiredAccessToken,
  json,
  signIn,
  signUp,
  TEST_KEYS,
  USER,
} from "./helpers/app.ts";

appTest(
  "the first account becomes admin; with registration closed nobody else can sign up",
  async (app) => {
    const first = await app.request("/api/v1/auth/register", json(ADMIN));
    assert.equal(first.status, 201);
    const { user } = await first.json();
    assert.equal(user.role, "admin");
    assert.equal(user.email, ADMIN.email);
    assert.ok(!("passwordHash" in user) && !("password_hash" in user));

    const second = await app.request("/api/v1/auth/register", json(USER));
    assert.equal(second.status, 403);
    assert.equal((await errorOf(second)).code, "registration_closed");
  },
);

appTest("with registration open, later accounts are plain users", async (app) => {
  await signUp(app, ADMIN);
  const res = await app.request("/api/v1/auth/register", json(USER));
  assert.equal(res.status, 201);
  assert.equal((await res.json()).user.role, "user");
  const dup = await app.request(
    "/api/v1/auth/register",
    json({ ...USER, email: "USER@example.com" }),
  );
  assert.equal(dup.status, 409);
  assert.equal((await errorOf(dup)).code, "conflict");
}, { env: { LATTICE_REGISTRATION: "open" } });

appTest("login returns a bearer token and sets HttpOnly SameSite=Lax cookies", async (app) => {
  await app.request("/api/v1/auth/register", json(ADMIN));
  const res = await app.request("/api/v1/auth/login", json(ADMIN));
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.match(body.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.ok(Date.parse(body.expiresAt) > Date.now());
  assert.equal(body.user.email, ADMIN.email);
  const cookies = res.headers.getSetCookie();
  assert.equal(cookies.length, 2);
  for (const c of cookies) {
    assert.match(c, /HttpOnly/);
    assert.match(c, /SameSite=Lax/);
    assert.match(c, /Path=\//);
    assert.doesNotMatch(c, /Secure/, "not Secure over plain HTTP");
  }

  const me = await app.request("/api/v1/me", {
    headers: { authorization: `Bearer ${body.token}` },
  });
  assert.equal(me.status, 200);
  const who = await me.json();
  assert.equal(who.user.email, ADMIN.email);
  assert.equal(who.auth.method, "session");
});

appTest("cookies are Secure and __Host- prefixed when the public URL is HTTPS", async (app) => {
  await app.request("/api/v1/auth/register", json(ADMIN));
  const res = await app.request("/api/v1/auth/login", json(ADMIN));
  for (const c of res.headers.getSetCookie()) {
    assert.match(c, /^__Host-lattice_/);
    assert.match(c, /Secure/);
  }
  assert.match(res.headers.get("strict-transport-security") ?? "", /max-age=/);
}, { env: { LATTICE_PUBLIC_URL: "https://lattice.example.com" } });

appTest("wrong passwords and unknown accounts get the same 401", async (app) => {
  await app.request("/api/v1/auth/register", json(ADMIN));
  const wrong = await app.request(
    "/api/v1/auth/login",
    json({ ...ADMIN, password: "wrong password!!" }),
  );
  const unknown = await app.request(
    "/api/v1/auth/login",
    json({ email: "nobody@example.com", password: "whatever password" }),
  );
  assert.equal(wrong.status, 401);
  assert.equal(unknown.status, 401);
  const a = await errorOf(wrong);
  const b = await errorOf(unknown);
  assert.equal(a.code, "unauthorized");
  assert.equal(a.message, b.message);
});

appTest("the session cookie authenticates /me and logout ends it at once", async (app) => {
  const { jar, csrfToken, token } = await signUp(app);
  const me = await app.request("/api/v1/me", { headers: { cookie: jar.header() } });
  assert.equal(me.status, 200);

  const out = await app.request("/api/v1/auth/logout", {
    method: "POST",
    headers: { cookie: jar.header(), "x-csrf-token": csrfToken },
  });
  assert.equal(out.status, 204);
  const cleared = jar.clone();
  cleared.take(out);
  assert.equal(cleared.cookies.size, 0, "logout clears both cookies");

  // The old cookie and the bearer form of the same session are now refused.
  const after = await app.request("/api/v1/me", { headers: { cookie: jar.header() } });
  assert.equal(after.status, 401);
  const bearer = await app.request("/api/v1/me", { headers: { authorization: `Bearer ${token}` } });
  assert.equal(bearer.status, 401);
});

appTest(
  "refresh rotates the refresh token; replaying the old one revokes the sign-in",
  async (app) => {
    const { jar, csrfToken } = await signUp(app);
    const first = await app.request("/api/v1/auth/refresh", {
      method: "POST",
      headers: { cookie: jar.header(), "x-csrf-token": csrfToken },
    });
    assert.equal(first.status, 200);
    const oldJar = jar.clone();
    jar.take(first);
    const fresh = await first.json();
    assert.notEqual(jar.cookies.get("lattice_refresh"), oldJar.cookies.get("lattice_refresh"));

    const me = await app.request("/api/v1/me", {
      headers: { authorization: `Bearer ${fresh.token}` },
    });
    assert.equal(me.status, 200);

    // Replay of the rotated token (grace window is 0 in this test): theft is assumed.
    const replay = await app.request("/api/v1/auth/refresh", {
      method: "POST",
      headers: { cookie: `lattice_refresh=${oldJar.cookies.get("lattice_refresh")}` },
    });
    assert.equal(replay.status, 401);
    const revoked = await app.request("/api/v1/me", {
      headers: { authorization: `Bearer ${fresh.token}` },
    });
    assert.equal(revoked.status, 401, "the whole sign-in family is revoked");
    const newer = await app.request("/api/v1/auth/refresh", {
      method: "POST",
      headers: { cookie: jar.header(), "x-csrf-token": fresh.csrfToken },
    });
    assert.equal(newer.status, 401);
  },
  { rotationGraceMs: 0 },
);

appTest(
  "an expired access cookie is renewed from the refresh cookie on the next request",
  async (app) => {
    const { jar, userId } = await signUp(app);
    const expired = await expiredAccessToken(app, userId);
    jar.cookies.set("lattice_session", expired.token);
    const res = await app.request("/api/v1/me", { headers: { cookie: jar.header() } });
    assert.equal(res.status, 200);
    jar.take(res);
    assert.notEqual(
      jar.cookies.get("lattice_session"),
      expired.token,
      "a new access cookie is set",
    );
  },
);

appTest("forged, expired, malformed and foreign tokens get 401, never 500", async (app) => {
  const { userId } = await signUp(app);
  const { sessionId, ...expired } = await expiredAccessToken(app, userId);
  const forged = await signAccessToken(new Uint8Array(32).fill(1), { userId, sessionId });
  const otherSession = await signAccessToken(TEST_KEYS.jwt, {
    userId,
    sessionId: crypto.randomUUID(),
  });
  const noneAlg = [
    btoa(JSON.stringify({ alg: "none", typ: "JWT" })),
    btoa(JSON.stringify({ sub: userId, sid: sessionId, typ: "access", exp: 9999999999 })),
    "",
  ].join(".").replace(/=/g, "");
  const wrongAudience = await new SignJWT({ sid: sessionId, typ: "access" })
    .setProtectedHeader({ alg: "HS256" }).setSubject(userId).setIssuer("lattice")
    .setAudience("agents").setExpirationTime("1h").sign(TEST_KEYS.jwt);
  const cases: Record<string, string> = {
    expired: `Bearer ${expired.token}`,
    forged: `Bearer ${forged.token}`,
    "unknown session": `Bearer ${otherSession.token}`,
    "alg none": `Bearer ${noneAlg}`,
    "wrong audience": `Bearer ${wrongAudience}`,
    "unknown api token": "Bearer lat_notarealtoken",
    garbage: "Bearer !!!",
    "no scheme": "token-without-scheme",
    "basic auth": "Basic YWRtaW46YWRtaW4=",
    empty: "",
  };
  for (const [name, header] of Object.entries(cases)) {
    const res = await app.request("/api/v1/me", { headers: { authorization: header } });
    assert.equal(res.status, 401, name);
    const err = await errorOf(res);
    assert.equal(err.code, "unauthorized", name);
    assert.match(res.headers.get("www-authenticate") ?? "", /Bearer/, name);
  }
  const anonymous = await app.request("/api/v1/me");
  assert.equal(anonymous.status, 401);
});

appTest("a plain user on an admin route gets 403; an admin gets 200", async (app) => {
  const admin = await signUp(app, ADMIN);
  const user = await signUp(app, USER);
  for (const path of ["/api/v1/users", "/api/v1/audit"]) {
    const denied = await app.request(path, { headers: { authorization: `Bearer ${user.token}` } });
    assert.equal(denied.status, 403, path);
    assert.equal((await errorOf(denied)).code, "forbidden");
    const ok = await app.request(path, { headers: { authorization: `Bearer ${admin.token}` } });
    assert.equal(ok.status, 200, path);
    await ok.body?.cancel();
  }
  const users = await app.request("/api/v1/users", {
    headers: { authorization: `Bearer ${admin.token}` },
  });
  assert.deepEqual((await users.json()).users.map((u: { email: string }) => u.email), [
    ADMIN.email,
    USER.email,
  ]);
}, { env: { LATTICE_REGISTRATION: "open" } });

appTest(
  "every auth event lands in the audit log with actor, outcome and source IP",
  async (app) => {
    const admin = await signUp(app);
    await app.request(
      "/api/v1/auth/login",
      json({ ...ADMIN, password: "not the password" }, { ip: "203.0.113.9" }),
    );
    const created = await app.request(
      "/api/v1/tokens",
      json({ name: "ci" }, {
        headers: { authorization: `Bearer ${admin.token}` },
      }),
    );
    const { token } = await created.json();
    await app.request(`/api/v1/tokens/${token.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${admin.token}` },
    });
    await app.request("/api/v1/auth/logout", {
      method: "POST",
      headers: { authorization: `Bearer ${admin.token}` },
    });
    const fresh = await signIn(app, ADMIN);

    const res = await app.request("/api/v1/audit?limit=50", {
      headers: { authorization: `Bearer ${fresh.token}` },
    });
    const { entries } = await res.json();
    const seen = entries.map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`)
      .reverse();
    assert.deepEqual(seen, [
      "auth.register:success",
      "auth.login:success",
      "auth.login:failure",
      "token.create:success",
      "token.revoke:success",
      "auth.logout:success",
      "auth.login:success",
    ]);
    const failure = entries.find((e: { outcome: string }) => e.outcome === "failure");
    assert.equal(failure.ip, "203.0.113.9");
    assert.equal(failure.actor, ADMIN.email);
    assert.equal(failure.details.reason, "wrong password");
    assert.ok(
      entries.every((e: { requestId: string | null }) => e.requestId),
      "request ids recorded",
    );
    const raw = JSON.stringify(entries);
    assert.ok(!raw.includes(ADMIN.password) && !raw.includes("not the password"), "no passwords");
  },
);
