import assert from "node:assert/strict";
import { openPostgres } from "../db/postgres.ts";
import { testDatabaseUrl } from "./helpers/databases.ts";
import { ADMIN } from "./helpers/app.ts";
import { startServer, waitFor } from "./helpers/server.ts";

const ROOT = new URL("../", import.meta.url).pathname;

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

Deno.test("`deno task start` runs on embedded defaults and keeps data across restarts", async () => {
  const first = await startServer();
  let second;
  try {
    const reg = await post(`${first.url}/api/v1/auth/register`, ADMIN);
    assert.equal(reg.status, 201);
    await reg.body?.cancel();
    const ready = await (await fetch(`${first.url}/readyz`)).json();
    assert.equal(ready.database.kind, "pglite");

    const key = await Deno.stat(`${first.dataDir}/secret.key`);
    assert.equal(key.mode! & 0o777, 0o600, "the generated secret key is private");
    assert.equal((await Deno.stat(first.dataDir)).mode! & 0o777, 0o700);
    await Deno.stat(`${first.dataDir}/pg`);
    await Deno.stat(`${first.dataDir}/kv.sqlite3`);

    const lines = first.output().split("\n").filter((l) => l.startsWith("{"));
    const listening = lines.map((l) => JSON.parse(l)).find((l) =>
      l.msg === "control plane listening"
    );
    assert.ok(listening, "logs a structured start-up line");
    assert.equal(typeof listening.startup_ms, "number");

    assert.equal(await first.stop(), 0, "SIGTERM stops it cleanly");
    second = await startServer({ dataDir: first.dataDir });
    const login = await post(`${second.url}/api/v1/auth/login`, ADMIN);
    assert.equal(login.status, 200, "the account survived the restart");
    const { token } = await login.json();
    const me = await fetch(`${second.url}/api/v1/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal((await me.json()).user.role, "admin");
    const keyAgain = await Deno.readTextFile(`${first.dataDir}/secret.key`);
    assert.ok(keyAgain.trim().length >= 32, "the key was reused, not regenerated");
  } finally {
    await first.stop();
    await second?.stop();
    await Deno.remove(first.dataDir, { recursive: true });
  }
});

Deno.test("a bad setting stops start-up with one line naming the variable", async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [
      { LATTICE_PORT: "eighty" },
      /^lattice: invalid LATTICE_PORT="eighty": must be an integer from 1 to 65535$/,
    ],
    [
      { LATTICE_LOG_LEVEL: "chatty" },
      /^lattice: invalid LATTICE_LOG_LEVEL="chatty": must be one of debug, info, warn, error$/,
    ],
    [
      { DATABASE_URL: "mysql://x" },
      /^lattice: invalid DATABASE_URL="mysql:\/\/x": must be a postgres:\/\//,
    ],
  ];
  for (const [env, expected] of cases) {
    const out = await new Deno.Command("deno", {
      args: ["task", "start"],
      cwd: ROOT,
      env: { ...env, LATTICE_DATA_DIR: await Deno.makeTempDir(), NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2, JSON.stringify(env));
    const lines = new TextDecoder().decode(out.stderr).split("\n").filter((l) =>
      l.startsWith("lattice:")
    );
    assert.equal(lines.length, 1, JSON.stringify(env));
    assert.match(lines[0], expected);
  }
});

Deno.test("start-up against an unreachable database fails with the driver's reason", async () => {
  const out = await new Deno.Command("deno", {
    args: ["task", "start"],
    cwd: ROOT,
    env: {
      DATABASE_URL: "postgres://nobody:nothing@127.0.0.1:1/none",
      LATTICE_DATA_DIR: await Deno.makeTempDir(),
      NO_COLOR: "1",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  const line = new TextDecoder().decode(out.stdout).split("\n").find((l) =>
    l.includes("start-up failed")
  );
  assert.ok(line, "logs why it failed");
  assert.match(JSON.parse(line).err.message, /ECONNREFUSED|connect/i);
});

Deno.test("with DATABASE_URL the control plane runs on the PostgreSQL server", async () => {
  const adminUrl = testDatabaseUrl();
  const name = `lattice_srv_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = await openPostgres(adminUrl, { max: 1 });
  await admin.exec(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const server = await startServer({ env: { DATABASE_URL: url.toString() } });
  try {
    const ready = await (await fetch(`${server.url}/readyz`)).json();
    assert.equal(ready.database.kind, "postgres");
    const reg = await post(`${server.url}/api/v1/auth/register`, ADMIN);
    assert.equal(reg.status, 201);
    await reg.body?.cancel();
    const db = await openPostgres(url.toString(), { max: 1 });
    const rows = await db.query<{ email: string; role: string; password_hash: string }>(
      "SELECT email, role, password_hash FROM users",
    );
    await db.close();
    assert.equal(rows[0].email, ADMIN.email);
    assert.match(rows[0].password_hash, /^\$argon2id\$/);
    assert.ok(!rows[0].password_hash.includes(ADMIN.password));
  } finally {
    await server.stop();
    await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
    await Deno.remove(server.dataDir, { recursive: true });
  }
});

Deno.test("SIGTERM ends open event streams and exits cleanly", async () => {
  const server = await startServer();
  try {
    await (await post(`${server.url}/api/v1/auth/register`, ADMIN)).body?.cancel();
    const { token } = await (await post(`${server.url}/api/v1/auth/login`, ADMIN)).json();
    const stream = await fetch(`${server.url}/api/v1/system/status/stream`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    await reader.read();
    const code = await server.stop();
    assert.equal(code, 0);
    await waitFor(async () => (await reader.read().catch(() => ({ done: true }))).done, {
      what: "the stream to end",
    });
    assert.match(server.output(), /"msg":"shutting down"/);
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true });
  }
});
