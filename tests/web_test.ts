import assert from "node:assert/strict";
import { ADMIN, appTest, CookieJar, signUp } from "./helpers/app.ts";

const html = { accept: "text/html" };

appTest("a fresh install sends every page to the first-run setup", async (app) => {
  for (const path of ["/", "/nodes", "/settings", "/login", "/register"]) {
    const res = await app.request(path, { headers: html });
    assert.equal(res.status, 303, path);
    assert.equal(res.headers.get("location"), "/setup", path);
  }
  const setup = await app.request("/setup", { headers: html });
  assert.equal(setup.status, 200);
  const body = await setup.text();
  assert.match(body, /administrator/);
  assert.doesNotMatch(body, /<script/, "a page without islands ships no script");
});

appTest("the setup form creates the admin, signs in and opens the dashboard", async (app) => {
  const form = new URLSearchParams({
    email: ADMIN.email,
    password: ADMIN.password,
    confirm: ADMIN.password,
  });
  const res = await app.request("/setup", {
    method: "POST",
    headers: { ...html, "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/");
  const jar = new CookieJar();
  jar.take(res);
  const home = await app.request("/", { headers: { ...html, cookie: jar.header() } });
  assert.equal(home.status, 200);
  const page = await home.text();
  assert.match(page, new RegExp(ADMIN.email.replace(".", "\\.")));
  for (
    const label of ["Overview", "Nodes", "Workloads", "Pools", "Leaderboard", "Join", "Settings"]
  ) {
    assert.match(page, new RegExp(`>${label}</a>`), label);
  }
  assert.match(page, /<meta name="csrf-token" content="[\w-]+"/);
  // The island is rendered on the server with its props and hydrated by one module script.
  assert.match(
    page,
    /<lattice-island data-island="ServerHealth" data-src="\/_lattice\/js\/\w+\/[\w/]*ServerHealth\.js"/,
  );
  assert.match(page, /data-state="connecting"/);
  assert.equal(page.match(/<script/g)?.length, 1);
  const again = await app.request("/setup", { headers: html });
  assert.equal(again.headers.get("location"), "/login", "setup is offered only once");
});

appTest("form validation errors are shown next to their fields", async (app) => {
  const res = await app.request("/setup", {
    method: "POST",
    headers: { ...html, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email: "nope", password: "short", confirm: "other" }).toString(),
  });
  assert.equal(res.status, 422);
  const page = await res.text();
  assert.match(page, /data-field-error="email"/);
  assert.match(page, /data-field-error="password"[^>]*>Password must be at least 12 characters/);
  assert.match(page, /value="nope"/, "what the user typed is kept");
  assert.doesNotMatch(page, /value="short"/, "passwords are never echoed back");
});

appTest("the login form keeps `next` and refuses off-site redirects", async (app) => {
  await signUp(app);
  const deny = await app.request("/settings", { headers: html });
  assert.equal(deny.headers.get("location"), "/login?next=%2Fsettings");
  const login = (next: string) =>
    app.request("/login", {
      method: "POST",
      headers: { ...html, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...ADMIN, next }).toString(),
    });
  assert.equal((await login("/settings")).headers.get("location"), "/settings");
  assert.equal((await login("https://evil.example/")).headers.get("location"), "/");
  assert.equal((await login("//evil.example/")).headers.get("location"), "/");
  const wrong = await app.request("/login", {
    method: "POST",
    headers: { ...html, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email: ADMIN.email, password: "wrong password" }).toString(),
  });
  assert.equal(wrong.status, 401);
  assert.match(await wrong.text(), /Email or password is wrong/);
});

appTest("every response carries the security headers", async (app) => {
  for (const path of ["/setup", "/healthz", "/api/v1/me", "/styles.css", "/nope"]) {
    const res = await app.request(path, { headers: html });
    await res.body?.cancel();
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'/, path);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(res.headers.get("referrer-policy"), "strict-origin-when-cross-origin", path);
    assert.match(res.headers.get("x-request-id") ?? "", /^[\w-]+$/, path);
  }
});

appTest("request ids are kept from the caller when sane and logged", async (app) => {
  const res = await app.request("/healthz", { headers: { "x-request-id": "trace-123" } });
  assert.equal(res.headers.get("x-request-id"), "trace-123");
  await res.body?.cancel();
  const hostile = await app.request("/healthz", { headers: { "x-request-id": "a\tb<script>" } });
  assert.notEqual(hostile.headers.get("x-request-id"), "a\tb<script>");
  await hostile.body?.cancel();
  const line = app.logs.map((l) => JSON.parse(l)).find((l) => l.request_id === "trace-123");
  assert.equal(line?.msg, "request");
  assert.equal(line?.status, 200);
  assert.equal(line?.path, "/healthz");
});

appTest("static files and island bundles are cached by content hash", async (app) => {
  const page = await (await app.request("/setup", { headers: html })).text();
  const css = /href="(\/styles\.css\?v=(\w+))"/.exec(page);
  assert.ok(css, "the stylesheet URL carries its hash");
  const fresh = await app.request(css[1]);
  assert.equal(fresh.status, 200);
  assert.match(fresh.headers.get("cache-control") ?? "", /max-age=31536000, immutable/);
  assert.match(fresh.headers.get("content-type") ?? "", /text\/css/);
  const etag = fresh.headers.get("etag")!;
  await fresh.body?.cancel();
  const stale = await app.request("/styles.css?v=old");
  assert.equal(stale.headers.get("cache-control"), "no-cache");
  await stale.body?.cancel();
  const revalidated = await app.request("/styles.css", { headers: { "if-none-match": etag } });
  assert.equal(revalidated.status, 304);

  const { jar } = await signUp(app);
  const home = await (await app.request("/", { headers: { ...html, cookie: jar.header() } }))
    .text();
  const boot = /<script type="module" src="([^"]+)"/.exec(home)![1];
  const js = await app.request(boot);
  assert.equal(js.status, 200);
  assert.match(js.headers.get("cache-control") ?? "", /immutable/);
  assert.match(js.headers.get("content-type") ?? "", /javascript/);
  assert.match(await js.text(), /lattice-island/);
  const gone = await app.request("/_lattice/js/0000/boot.js");
  assert.equal(gone.status, 404);
  await gone.body?.cancel();
});

appTest("browsers get an HTML error page; API clients get JSON", async (app) => {
  const page = await app.request("/no-such-page", { headers: html });
  assert.equal(page.status, 404);
  assert.match(page.headers.get("content-type") ?? "", /text\/html/);
  assert.match(await page.text(), /Page not found/);
  const api = await app.request("/api/v1/no-such-thing", { headers: html });
  assert.equal(api.status, 404);
  assert.match(api.headers.get("content-type") ?? "", /application\/json/);
  await api.body?.cancel();
});

appTest("a plain user cannot open the audit log page", async (app) => {
  await signUp(app);
  const user = await signUp(app, { email: "u@example.com", password: "user password 123" });
  const res = await app.request("/audit", { headers: { ...html, cookie: user.jar.header() } });
  assert.equal(res.status, 403);
  assert.doesNotMatch(await res.text(), /auth\.login/);
}, { env: { LATTICE_REGISTRATION: "open" } });

appTest("the OpenAPI document is generated from the route schemas", async (app) => {
  const res = await app.request("/api/v1/openapi.json");
  assert.equal(res.status, 200);
  const doc = await res.json();
  assert.match(doc.openapi, /^3\./);
  const paths = Object.keys(doc.paths).sort();
  for (
    const p of [
      "/api/v1/auth/login",
      "/api/v1/auth/logout",
      "/api/v1/auth/refresh",
      "/api/v1/auth/register",
      "/api/v1/me",
      "/api/v1/tokens",
      "/api/v1/tokens/{id}",
      "/healthz",
      "/readyz",
    ]
  ) assert.ok(paths.includes(p), `${p} in ${paths}`);
  const login = doc.paths["/api/v1/auth/login"].post;
  const schema = login.requestBody.content["application/json"].schema;
  const resolved = schema.$ref ? doc.components.schemas[schema.$ref.split("/").pop()] : schema;
  assert.deepEqual(resolved.required.sort(), ["email", "password"]);
  assert.ok(login.responses["429"], "documents the rate limit");
  assert.deepEqual(doc.paths["/api/v1/me"].get.security, [{ bearerAuth: [] }, { cookieAuth: [] }]);
  assert.equal(doc.paths["/healthz"].get.security, undefined, "public routes need no auth");
  assert.equal(doc.paths["/api/v1/tokens/{id}"].delete.parameters[0].name, "id");
});

appTest("/readyz reports the database and KV; /healthz only liveness", async (app) => {
  const ready = await app.request("/readyz");
  assert.equal(ready.status, 200);
  const body = await ready.json();
  assert.equal(body.status, "ready");
  assert.equal(body.database.ok, true);
  assert.equal(body.kv.ok, true);
  assert.equal(typeof body.database.latencyMs, "number");
  const health = await app.request("/healthz");
  assert.deepEqual(await health.json(), { status: "ok" });
});

appTest("the status stream sends server-sent events to signed-in users only", async (app) => {
  const anon = await app.request("/api/v1/system/status/stream");
  assert.equal(anon.status, 401);
  await anon.body?.cancel();
  const { token } = await signUp(app);
  const res = await app.request("/api/v1/system/status/stream", {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  assert.match(text, /^event: status$/m);
  const data = JSON.parse(/^data: (.*)$/m.exec(text)![1]);
  assert.equal(data.database.ok, true);
  assert.equal(typeof data.uptimeSeconds, "number");
});

appTest("hostile text from users is rendered escaped", async (app) => {
  const { token, jar } = await signUp(app);
  const name = `<script>alert(1)</script><img src=x onerror=alert(2)>"'`;
  const res = await app.request("/api/v1/tokens", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  assert.equal(res.status, 201);
  await res.body?.cancel();
  const page =
    await (await app.request("/settings", { headers: { ...html, cookie: jar.header() } }))
      .text();
  assert.ok(!page.includes("<script>alert(1)"), "no live script tag");
  assert.ok(!page.includes("<img src=x"), "no live img tag");
  assert.match(page, /&lt;script>alert\(1\)&lt;\/script>/, "shown as text");
});

appTest("at info level refused requests are logged and successful ones are not", async (app) => {
  await (await app.request("/healthz", { headers: { "x-request-id": "ok-1" } })).body?.cancel();
  await (await app.request("/api/v1/me", { headers: { "x-request-id": "denied-1" } })).body
    ?.cancel();
  const lines = app.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
  assert.equal(lines.find((l) => l.request_id === "ok-1"), undefined);
  const denied = lines.find((l) => l.request_id === "denied-1");
  assert.equal(denied?.level, "info");
  assert.equal(denied?.status, 401);
}, { env: { LATTICE_LOG_LEVEL: "info" } });
