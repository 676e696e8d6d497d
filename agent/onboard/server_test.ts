import assert from "node:assert/strict";
import { z } from "zod";
import { OnboardError } from "./backend.ts";
import { createHandler, post, randomToken, type Routes, startOnboardServer } from "./server.ts";

const ORIGIN = "http://127.0.0.1:4567";
const HOST = "127.0.0.1:4567";

function setup() {
  const token = randomToken();
  const saved: unknown[] = [];
  const routes: Routes = {
    get: { state: () => ({ ok: true }) },
    post: {
      save: post(z.strictObject({ n: z.number().int() }), (body) => {
        saved.push(body);
        return { saved: body.n };
      }),
      refuse: post(z.strictObject({}), () => {
        throw new OnboardError(409, "not_joined", "join first");
      }),
    },
  };
  const handler = createHandler({ origin: () => ORIGIN, token, routes });
  const request = (path: string, init: RequestInit & { host?: string } = {}) => {
    const headers = new Headers(init.headers);
    headers.set("host", init.host ?? HOST);
    return handler(new Request(`${ORIGIN}${path}`, { ...init, headers }));
  };
  return { token, saved, request };
}

async function errorOf(res: Response, status: number, code: string) {
  assert.equal(res.status, status);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const body = await res.json();
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, "string");
  assert.ok("details" in body.error);
  return body.error;
}

/** Exchange the one-time token for the session cookie. */
async function signIn(s: ReturnType<typeof setup>): Promise<string> {
  const res = await s.request(`/?t=${s.token}`);
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), "/");
  const cookie = res.headers.get("set-cookie")!;
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  return cookie.split(";")[0];
}

Deno.test("the one-time token becomes a session cookie, once", async () => {
  const s = setup();
  assert.match(s.token, /^[A-Za-z0-9_-]{43}$/);
  await errorOf(await s.request("/"), 403, "no_session");
  await errorOf(await s.request("/?t=wrong"), 403, "bad_token");
  const cookie = await signIn(s);
  await errorOf(await s.request(`/?t=${s.token}`), 403, "link_used");
  const page = await s.request("/", { headers: { cookie } });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script type="module" src="\/app.js">/);
  const csp = page.headers.get("content-security-policy")!;
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(page.headers.get("x-content-type-options"), "nosniff");
  for (const path of ["/app.js", "/app.css", "/favicon.svg"]) {
    assert.equal((await s.request(path, { headers: { cookie } })).status, 200, path);
    await errorOf(await s.request(path), 403, "no_session");
  }
  await errorOf(
    await s.request("/api/state", { headers: { cookie: "lattice_onboard=guess" } }),
    403,
    "no_session",
  );
  assert.deepEqual(await (await s.request("/api/state", { headers: { cookie } })).json(), {
    ok: true,
  });
});

Deno.test("a wrong Host header is refused, even with the token (DNS rebinding)", async () => {
  const s = setup();
  await errorOf(await s.request(`/?t=${s.token}`, { host: "evil.example:4567" }), 403, "bad_host");
  await errorOf(await s.request(`/?t=${s.token}`, { host: "localhost:4567" }), 403, "bad_host");
  // The refused attempts did not use the token up.
  const cookie = await signIn(s);
  await errorOf(
    await s.request("/api/state", { host: "127.0.0.1:9999", headers: { cookie } }),
    403,
    "bad_host",
  );
});

Deno.test("POSTs need the page's origin, JSON, a valid body", async () => {
  const s = setup();
  const cookie = await signIn(s);
  const send = (body: string, headers: Record<string, string> = {}, path = "/api/save") =>
    s.request(path, {
      method: "POST",
      body,
      headers: { cookie, origin: ORIGIN, "content-type": "application/json", ...headers },
    });
  await errorOf(await send('{"n":1}', { origin: "http://evil.example" }), 403, "bad_origin");
  await errorOf(
    await s.request("/api/save", {
      method: "POST",
      body: '{"n":1}',
      headers: { cookie, "content-type": "application/json" },
    }),
    403,
    "bad_origin",
  );
  await errorOf(
    await send('{"n":1}', { "content-type": "text/plain" }),
    415,
    "unsupported_media_type",
  );
  await errorOf(
    await send("n=1", { "content-type": "application/x-www-form-urlencoded" }),
    415,
    "unsupported_media_type",
  );
  await errorOf(await send("{not json"), 400, "bad_json");
  const invalid = await errorOf(await send('{"n":"one"}'), 422, "validation_failed");
  assert.equal(invalid.details[0].path, "n");
  await errorOf(await send('{"n":1,"extra":true}'), 422, "validation_failed");
  await errorOf(await send(JSON.stringify({ n: 1, pad: "x".repeat(70_000) })), 413, "too_large");
  await errorOf(await send("{}", {}, "/api/refuse"), 409, "not_joined");
  await errorOf(await send("{}", {}, "/api/nothing"), 404, "not_found");
  await errorOf(await s.request("/api/save", { headers: { cookie } }), 405, "method_not_allowed");
  await errorOf(
    await s.request("/api/state", { method: "DELETE", headers: { cookie, origin: ORIGIN } }),
    405,
    "method_not_allowed",
  );
  assert.equal(s.saved.length, 0, "nothing refused was run");
  const ok = await send('{"n":7}', { "content-type": "application/json; charset=utf-8" });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { saved: 7 });
  assert.deepEqual(s.saved, [{ n: 7 }]);
});

Deno.test("the server listens on 127.0.0.1 only, on a random port", async () => {
  const server = startOnboardServer({ routes: { get: {}, post: {} } });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?t=[A-Za-z0-9_-]{43}$/);
    assert.notEqual(server.port, 0);
    const res = await fetch(server.url, { redirect: "manual" });
    await res.body?.cancel();
    assert.equal(res.status, 302);
    const again = await fetch(server.url, { redirect: "manual" });
    assert.equal(again.status, 403);
    assert.equal((await again.json()).error.code, "link_used");
  } finally {
    await server.close();
  }
});
