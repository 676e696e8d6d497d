import assert from "node:assert/strict";
import { base64url } from "../lib/auth/secrets.ts";
import { type Io, main } from "../agent/cli.ts";
import { loadState } from "../agent/state.ts";
import type { Browser } from "playwright-core";
import {
  ADMIN,
  appTest,
  type CookieJar,
  errorOf,
  json,
  signUp,
  startTestApp,
  type TestApp,
  USER,
} from "./helpers/app.ts";
import {
  chromiumPath,
  describeProblems,
  launchChromium,
  type PageProblem,
  signedInPage,
} from "./helpers/browser.ts";

const DEFAULT_POOL = "00000000-0000-4000-8000-000000000001";

async function start(app: TestApp, ip?: string) {
  const res = await app.request("/api/v1/agents/device-codes", { method: "POST", ip });
  assert.equal(res.status, 201, await res.clone().text());
  return await res.json();
}

function poll(app: TestApp, deviceCode: string) {
  return app.request("/api/v1/agents/device-codes/token", json({ deviceCode }));
}

/** Pretend the last poll was long enough ago, instead of sleeping through the interval. */
async function agePoll(app: TestApp) {
  await app.db.query(
    `UPDATE device_codes SET last_polled_at = last_polled_at - interval '10 seconds'`,
  );
}

async function pollError(app: TestApp, deviceCode: string): Promise<string> {
  const res = await poll(app, deviceCode);
  assert.equal(res.status, 400);
  return (await errorOf(res)).code;
}

async function newPublicKey(): Promise<string> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  return base64url(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)));
}

appTest("a device code, once approved, yields one join token that joins", async (app) => {
  const { token, userId } = await signUp(app);
  const auth = { authorization: `Bearer ${token}` };
  const started = await start(app, "203.0.113.9");
  assert.match(started.deviceCode, /^ldc_[\w-]{43}$/);
  assert.match(started.userCode, /^[ACDEFGHJKMNPQRTWXY34679]{4}-[ACDEFGHJKMNPQRTWXY34679]{4}$/);
  assert.equal(started.verificationUri, "http://localhost:8000/device");
  assert.equal(
    started.verificationUriComplete,
    `${started.verificationUri}?code=${started.userCode}`,
  );
  assert.equal(started.expiresIn, 600);
  assert.equal(started.interval, 5);
  // Only the hash is stored.
  const stored = await app.db.query<{ device_code_hash: string; user_code: string }>(
    "SELECT device_code_hash, user_code FROM device_codes",
  );
  assert.equal(stored.length, 1);
  assert.notEqual(stored[0].device_code_hash, started.deviceCode);
  assert.equal(stored[0].user_code, started.userCode.replace("-", ""));

  assert.equal(await pollError(app, started.deviceCode), "authorization_pending");
  // Polling again at once is too fast.
  assert.equal(await pollError(app, started.deviceCode), "slow_down");
  await agePoll(app);
  assert.equal(await pollError(app, started.deviceCode), "authorization_pending");

  // Admins look codes up case-insensitively, with or without the dash.
  const typed = started.userCode.replace("-", "").toLowerCase();
  const approved = await app.request(
    `/api/v1/device-codes/${typed}/approve`,
    json({ poolId: DEFAULT_POOL }, { headers: auth }),
  );
  assert.equal(approved.status, 200, await approved.clone().text());
  const body = await approved.json();
  assert.equal(body.status, "approved");
  assert.equal(body.ip, "203.0.113.9");
  assert.equal(body.userCode, started.userCode);
  assert.ok(!JSON.stringify(body).includes(started.deviceCode));
  // Approving twice is a conflict.
  const again = await app.request(
    `/api/v1/device-codes/${typed}/approve`,
    json({}, { headers: auth }),
  );
  assert.equal(again.status, 409);

  // The token comes back on the next poll, however soon, and only once.
  const got = await poll(app, started.deviceCode);
  assert.equal(got.status, 200, await got.clone().text());
  const { joinToken } = await got.json();
  assert.match(joinToken, /^ljt_/);
  await agePoll(app);
  assert.equal(await pollError(app, started.deviceCode), "expired_token");

  const [row] = await app.db.query<{ max_uses: number; created_by: string }>(
    "SELECT max_uses, created_by FROM join_tokens",
  );
  assert.equal(row.max_uses, 1);
  assert.equal(row.created_by, userId);

  const joined = await app.request(
    "/api/v1/agents/join",
    json({
      token: joinToken,
      publicKey: await newPublicKey(),
      name: "device-a",
      labels: {},
      agentVersion: "0.1.0",
    }),
  );
  assert.equal(joined.status, 201, await joined.clone().text());
  assert.equal((await joined.json()).poolId, DEFAULT_POOL);

  const audit = await app.db.query<{ action: string }>(
    "SELECT action FROM audit_log WHERE action LIKE 'device_code.%' ORDER BY action",
  );
  assert.deepEqual(audit.map((a) => a.action), ["device_code.approve", "device_code.consume"]);
});

appTest("a denied device code answers access_denied", async (app) => {
  const { token } = await signUp(app);
  const started = await start(app);
  const denied = await app.request(`/api/v1/device-codes/${started.userCode}/deny`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(denied.status, 200, await denied.clone().text());
  assert.equal((await denied.json()).status, "denied");
  assert.equal(await pollError(app, started.deviceCode), "access_denied");
  const audit = await app.db.query("SELECT 1 FROM audit_log WHERE action = 'device_code.deny'");
  assert.equal(audit.length, 1);
});

appTest("an expired device code can be neither approved nor redeemed", async (app) => {
  const { token } = await signUp(app);
  const started = await start(app);
  await app.db.query(`UPDATE device_codes SET expires_at = now() - interval '1 second'`);
  assert.equal(await pollError(app, started.deviceCode), "expired_token");
  const res = await app.request(`/api/v1/device-codes/${started.userCode}/approve`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 409);
  assert.match((await errorOf(res)).message, /expired/);
});

appTest("codes expired over an hour ago are deleted when a new code is started", async (app) => {
  const old = await start(app);
  const recent = await start(app);
  await app.db.query(
    `UPDATE device_codes SET expires_at = now() - interval '61 minutes' WHERE user_code = $1`,
    [old.userCode.replace("-", "")],
  );
  await app.db.query(
    `UPDATE device_codes SET expires_at = now() - interval '5 minutes' WHERE user_code = $1`,
    [recent.userCode.replace("-", "")],
  );
  await start(app);
  const left = await app.db.query("SELECT user_code FROM device_codes ORDER BY created_at");
  assert.equal(left.length, 2, "the long-expired code is gone");
  assert.equal(left[0].user_code, recent.userCode.replace("-", ""));
  // A recently expired code still answers expired_token, not an unknown code.
  assert.equal(await pollError(app, recent.deviceCode), "expired_token");
});

appTest("only admins decide device codes, and bad input is refused plainly", async (app) => {
  const { token } = await signUp(app);
  const user = await signUp(app, USER);
  const started = await start(app);
  const asUser = await app.request(`/api/v1/device-codes/${started.userCode}/approve`, {
    method: "POST",
    headers: { authorization: `Bearer ${user.token}` },
  });
  assert.equal(asUser.status, 403);
  const anonymous = await app.request(`/api/v1/device-codes/${started.userCode}/deny`, {
    method: "POST",
  });
  assert.equal(anonymous.status, 401);

  const auth = { authorization: `Bearer ${token}` };
  const badPool = await app.request(
    `/api/v1/device-codes/${started.userCode}/approve`,
    json({ poolId: "not-a-uuid" }, { headers: auth }),
  );
  assert.equal(badPool.status, 422);
  const noPool = await app.request(
    `/api/v1/device-codes/${started.userCode}/approve`,
    json({ poolId: crypto.randomUUID() }, { headers: auth }),
  );
  assert.equal(noPool.status, 404);
  const unknown = await app.request(`/api/v1/device-codes/AAAA-AAAA/approve`, {
    method: "POST",
    headers: auth,
  });
  assert.equal(unknown.status, 404);
  const malformed = await app.request(`/api/v1/device-codes/0OIL-1111/approve`, {
    method: "POST",
    headers: auth,
  });
  assert.equal(malformed.status, 404);

  const noBody = await app.request("/api/v1/agents/device-codes/token", json({}));
  assert.equal(noBody.status, 422);
  assert.equal((await errorOf(noBody)).code, "validation_failed");

  // A wrong device code reads exactly like an expired one.
  const wrong = await poll(app, "ldc_" + "x".repeat(43));
  assert.equal(wrong.status, 400);
  const wrongError = await errorOf(wrong);
  assert.equal(wrongError.code, "expired_token");
  assert.ok(!JSON.stringify(wrongError).includes(started.userCode));
  // And the real code is still pending, untouched.
  assert.equal(await pollError(app, started.deviceCode), "authorization_pending");
}, { env: { LATTICE_REGISTRATION: "open" } });

appTest("starting device codes is rate-limited per address", async (app) => {
  for (let i = 0; i < 30; i++) await start(app, "198.51.100.7");
  const res = await app.request("/api/v1/agents/device-codes", {
    method: "POST",
    ip: "198.51.100.7",
  });
  assert.equal(res.status, 429);
  assert.ok(res.headers.get("retry-after"));
  // Another address is unaffected.
  await start(app, "198.51.100.8");
});

/** Run `lattice-agent join` without a token against the listening app; output is captured. */
function agentJoin(app: TestApp, dir: string, signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    confirm: () => Promise.resolve(false),
    env: { LATTICE_AGENT_STATE_DIR: dir },
    signal,
  };
  const exit = main(["join", "--server", app.listen(), "--name", "coded"], io);
  return { out, err, exit };
}

/** The user code the agent printed, once it has printed it. */
async function printedCode(out: string[]): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const line = out.find((l) => l.startsWith("To add this machine"));
    const code = line?.match(/enter the code ([A-Z0-9]{4}-[A-Z0-9]{4}) \(valid 10 minutes\)/)?.[1];
    if (code) return code;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no code printed: ${out.join("\n")}`);
}

appTest("lattice-agent join without a token joins once the shown code is approved", async (app) => {
  const { token } = await signUp(app);
  const dir = await Deno.makeTempDir();
  try {
    const run = agentJoin(app, dir);
    const code = await printedCode(run.out);
    assert.ok(run.out.some((l) => l.includes(`/device?code=${code}`)), run.out.join("\n"));
    const approved = await app.request(`/api/v1/device-codes/${code}/approve`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(approved.status, 200);
    assert.equal(await run.exit, 0, run.err.join("\n"));
    assert.match(run.out.join("\n"), /Joined .* as node .* \("coded"\) in pool default/);
    const nodes = await app.db.query<{ name: string }>("SELECT name FROM nodes");
    assert.deepEqual(nodes.map((n) => n.name), ["coded"]);
    const saved = await loadState(dir);
    assert.equal(saved?.state.name, "coded");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

appTest("lattice-agent join without a token stops on denial and on Ctrl-C", async (app) => {
  const { token } = await signUp(app);
  const dir = await Deno.makeTempDir();
  try {
    const denied = agentJoin(app, dir);
    const code = await printedCode(denied.out);
    const res = await app.request(`/api/v1/device-codes/${code}/deny`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    assert.equal(await denied.exit, 1);
    assert.match(denied.err.join("\n"), /An admin denied this sign-in/);

    const abort = new AbortController();
    const stopped = agentJoin(app, dir, abort.signal);
    await printedCode(stopped.out);
    abort.abort();
    assert.equal(await stopped.exit, 130);
    assert.match(stopped.err.join("\n"), /Stopped: this machine did not join/);
    assert.equal((await Array.fromAsync(Deno.readDir(dir))).length, 0, "nothing saved");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

appTest("/device shows who is asking to admins and a plain 403 to others", async (app) => {
  const admin = await signUp(app);
  const user = await signUp(app, USER);
  const started = await start(app, "192.0.2.44");
  const page = async (jar: CookieJar, path: string) => {
    const res = await app.request(path, { headers: { cookie: jar.header() } });
    return { status: res.status, html: await res.text() };
  };
  const denied = await page(user.jar, `/device?code=${started.userCode}`);
  assert.equal(denied.status, 403);
  assert.match(denied.html, /Only admins can sign machines in with a code/);
  assert.ok(!denied.html.includes("192.0.2.44"));

  const blank = await page(admin.jar, "/device");
  assert.equal(blank.status, 200);
  assert.match(blank.html, /name="code"/);
  const shown = await page(admin.jar, `/device?code=${started.userCode.toLowerCase()}`);
  assert.equal(shown.status, 200);
  assert.match(shown.html, /192\.0\.2\.44/);
  assert.ok(shown.html.includes(`value="${started.userCode.toLowerCase()}"`), "prefilled");
  assert.match(shown.html, /DeviceApproval/);
  const missing = await page(admin.jar, "/device?code=AAAA-AAAA");
  assert.equal(missing.status, 200);
  assert.match(missing.html, /data-testid="device-not-found"/);

  const join = await page(admin.jar, "/join");
  assert.match(join.html, /href="\/device"/);
}, { env: { LATTICE_REGISTRATION: "open" } });

Deno.test("an admin approves a machine's code on /device in Chromium", async () => {
  chromiumPath();
  const app = await startTestApp("pglite");
  const url = app.listen();
  const problems: PageProblem[] = [];
  let browser: Browser | undefined;
  try {
    await signUp(app, ADMIN);
    const started = await start(app, "192.0.2.45");
    browser = await launchChromium();
    const { page } = await signedInPage(browser, url, ADMIN, { problems, timeoutMs: 15_000 });
    await page.goto(`${url}/device`);
    await page.getByLabel("Code shown by the agent").fill(started.userCode.toLowerCase());
    await page.getByRole("button", { name: "Look up" }).click();
    await page.getByTestId("device-details").waitFor();
    assert.match(await page.getByTestId("device-details").innerText(), /192\.0\.2\.45/);
    await page.getByLabel("Pool").selectOption({ label: "default" });
    await page.getByRole("button", { name: "Approve" }).click();
    assert.match(await page.getByTestId("device-result").innerText(), /Approved/);
    const got = await poll(app, started.deviceCode);
    assert.equal(got.status, 200);
    assert.match((await got.json()).joinToken, /^ljt_/);
    assert.equal(problems.length, 0, describeProblems(problems));
  } finally {
    await browser?.close();
    await app.close();
  }
});

appTest("the OpenAPI document describes device sign-in", async (app) => {
  const res = await app.request("/api/v1/openapi.json");
  assert.equal(res.status, 200);
  const doc = await res.json();
  for (
    const path of [
      "/api/v1/agents/device-codes",
      "/api/v1/agents/device-codes/token",
      "/api/v1/device-codes/{userCode}/approve",
      "/api/v1/device-codes/{userCode}/deny",
    ]
  ) {
    assert.ok(doc.paths[path]?.post, path);
  }
  assert.equal(doc.paths["/api/v1/agents/device-codes/token"].post.security, undefined);
  assert.ok(doc.components.schemas.DeviceCodeStarted.properties.verificationUriComplete);
});
