import assert from "node:assert/strict";
import { appTest, errorOf, json, signUp } from "./helpers/app.ts";

appTest("missing and wrongly typed fields get 422 with a message per field", async (app) => {
  const cases: [unknown, string[]][] = [
    [{}, ["email", "password"]],
    [{ email: "admin@example.com" }, ["password"]],
    [{ email: 42, password: true }, ["email", "password"]],
    [{ email: "not-an-email", password: "long enough password" }, ["email"]],
    [{ email: "a@example.com", password: "short" }, ["password"]],
    [{ email: "a@example.com", password: "x".repeat(129) }, ["password"]],
    [[], [""]],
    ["just a string", [""]],
    [null, [""]],
  ];
  for (const [body, fields] of cases) {
    const res = await app.request("/api/v1/auth/register", json(body));
    assert.equal(res.status, 422, JSON.stringify(body));
    const err = await errorOf(res);
    assert.equal(err.code, "validation_failed");
    const paths = (err.details as { path: string; message: string }[]).map((d) => d.path);
    for (const f of fields) {
      assert.ok(paths.includes(f), `${JSON.stringify(body)} names ${f}: ${paths}`);
    }
  }
});

appTest("a body that is not JSON gets 400 invalid_json", async (app) => {
  for (const body of ["{", '{"email":', "nope", "\u0000\u0001"]) {
    const res = await app.request("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    assert.equal(res.status, 400, body);
    assert.equal((await errorOf(res)).code, "invalid_json");
  }
});

appTest("a body that is not declared as JSON gets 415", async (app) => {
  for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/xml"]) {
    const res = await app.request("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": type },
      body: JSON.stringify({ email: "a@example.com", password: "x" }),
    });
    assert.equal(res.status, 415, type);
    assert.equal((await errorOf(res)).code, "unsupported_media_type");
  }
  const none = await app.request("/api/v1/auth/login", {
    method: "POST",
    body: new TextEncoder().encode("{}"),
  });
  assert.ok([415, 422].includes(none.status), `no content type: ${none.status}`);
});

appTest("bodies over 1 MiB get 413, with or without Content-Length", async (app) => {
  const big = JSON.stringify({ email: "a@example.com", password: "x".repeat(2 * 1024 * 1024) });
  const res = await app.request("/api/v1/auth/register", json(JSON.parse(big)));
  assert.equal(res.status, 413);
  const err = await errorOf(res);
  assert.equal(err.code, "payload_too_large");

  const chunks = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 40; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(32));
      controller.close();
    },
  });
  const streamed = await app.request("/api/v1/auth/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: chunks,
  });
  assert.equal(streamed.status, 413);
  await streamed.body?.cancel();
});

appTest("path and query parameters are validated", async (app) => {
  const { token } = await signUp(app);
  const auth = { authorization: `Bearer ${token}` };
  const bad = await app.request("/api/v1/tokens/not-a-uuid", { method: "DELETE", headers: auth });
  assert.equal(bad.status, 422);
  assert.equal((await errorOf(bad)).code, "validation_failed");
  for (const q of ["limit=0", "limit=abc", "limit=100000", "before=drop%20table", "actorId=x"]) {
    const res = await app.request(`/api/v1/audit?${q}`, { headers: auth });
    assert.equal(res.status, 422, q);
    await res.body?.cancel();
  }
});

appTest("unknown paths get 404 and wrong methods 405, as JSON errors", async (app) => {
  const missing = await app.request("/api/v1/nope");
  assert.equal(missing.status, 404);
  assert.equal((await errorOf(missing)).code, "not_found");
  const wrong = await app.request("/api/v1/me", { method: "DELETE" });
  assert.equal(wrong.status, 405);
  assert.equal((await errorOf(wrong)).code, "method_not_allowed");
  assert.match(wrong.headers.get("allow") ?? "", /GET/);
});

appTest("no malformed request makes the server answer 500", async (app) => {
  const { token, jar, csrfToken } = await signUp(app);
  const bodies: (string | undefined)[] = [
    undefined,
    "",
    "null",
    "[]",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    '{"email":{"$gt":""},"password":{"$ne":null}}',
    '{"name":"' + "\u202e".repeat(200) + '"}',
    '{"name":' + "1".repeat(400) + "}",
    '{"__proto__":{"admin":true},"name":"x"}',
    '{"expiresInDays":1e308,"name":"x"}',
    '{"email":"a@b.c","password":"' + "\ud800" + 'xxxxxxxxxxxx"}',
  ];
  const targets: [string, string][] = [
    ["POST", "/api/v1/auth/register"],
    ["POST", "/api/v1/auth/login"],
    ["POST", "/api/v1/auth/refresh"],
    ["POST", "/api/v1/auth/logout"],
    ["POST", "/api/v1/tokens"],
    ["DELETE", "/api/v1/tokens/00000000-0000-0000-0000-000000000000"],
    ["DELETE", "/api/v1/tokens/%00"],
    ["GET", "/api/v1/audit?limit=%ff"],
    ["POST", "/login"],
    ["POST", "/setup"],
    ["POST", "/settings"],
    ["POST", "/logout"],
  ];
  const authModes: Record<string, Record<string, string>> = {
    anonymous: {},
    bearer: { authorization: `Bearer ${token}` },
    cookie: { cookie: jar.header(), "x-csrf-token": csrfToken },
  };
  for (const [method, path] of targets) {
    for (const body of bodies) {
      for (const type of ["application/json", "application/x-www-form-urlencoded"]) {
        for (const [mode, headers] of Object.entries(authModes)) {
          const res = await app.request(path, {
            method,
            headers: { ...headers, "content-type": type },
            body: method === "GET" ? undefined : body,
          });
          assert.ok(
            res.status < 500,
            `${method} ${path} ${mode} ${type} ${body?.slice(0, 40)} → ${res.status}`,
          );
          await res.body?.cancel();
        }
      }
    }
  }
  const errors = app.logs.filter((l) => JSON.parse(l).level === "error");
  assert.deepEqual(errors, [], "nothing was logged as an unhandled error");
});
