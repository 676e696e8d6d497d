import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "./config.ts";

Deno.test("loadConfig() applies the documented defaults to an empty environment", () => {
  const c = loadConfig({});
  assert.equal(c.port, 8000);
  assert.equal(c.hostname, "0.0.0.0");
  assert.equal(c.dataDir, "./data");
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.kvPath, "./data/kv.sqlite3");
  assert.equal(c.secretKey, undefined);
  assert.equal(c.publicUrl, "http://localhost:8000");
  assert.equal(c.secureCookies, false);
  assert.equal(c.logLevel, "info");
  assert.equal(c.registration, "closed");
  assert.equal(c.trustProxy, false);
  assert.equal(c.rankIntervalMs, 300_000);
  assert.equal(c.localAgent, "auto");
});

Deno.test("loadConfig() reads every variable it documents", () => {
  const c = loadConfig({
    LATTICE_PORT: "9000",
    LATTICE_HOSTNAME: "127.0.0.1",
    LATTICE_DATA_DIR: "/var/lib/lattice/",
    DATABASE_URL: "postgres://u:p@db:5432/lattice",
    LATTICE_KV_PATH: "/tmp/kv.db",
    LATTICE_SECRET_KEY: "x".repeat(40),
    LATTICE_PUBLIC_URL: "https://lattice.example.com/",
    LATTICE_LOG_LEVEL: "debug",
    LATTICE_REGISTRATION: "open",
    LATTICE_TRUST_PROXY: "true",
    LATTICE_RANK_INTERVAL_SECONDS: "60",
    LATTICE_LOCAL_AGENT: "off",
  });
  assert.equal(c.port, 9000);
  assert.equal(c.dataDir, "/var/lib/lattice");
  assert.equal(c.databaseUrl, "postgres://u:p@db:5432/lattice");
  assert.equal(c.kvPath, "/tmp/kv.db");
  assert.equal(c.publicUrl, "https://lattice.example.com");
  assert.equal(c.secureCookies, true);
  assert.equal(c.logLevel, "debug");
  assert.equal(c.registration, "open");
  assert.equal(c.trustProxy, true);
  assert.equal(c.rankIntervalMs, 60_000);
  assert.equal(c.localAgent, "off");
});

Deno.test("loadConfig() treats empty variables as unset", () => {
  assert.equal(loadConfig({ LATTICE_PORT: "", DATABASE_URL: "" }).port, 8000);
});

const BAD: [string, string, RegExp][] = [
  ["LATTICE_PORT", "abc", /integer from 1 to 65535/],
  ["LATTICE_PORT", "70000", /integer from 1 to 65535/],
  ["LATTICE_PORT", "80.5", /integer from 1 to 65535/],
  ["DATABASE_URL", "mysql://x", /postgres:\/\//],
  ["LATTICE_SECRET_KEY", "short", /at least 32 characters/],
  ["LATTICE_PUBLIC_URL", "ftp://x", /http:\/\/ or https:\/\//],
  ["LATTICE_PUBLIC_URL", "not a url", /http:\/\/ or https:\/\//],
  ["LATTICE_LOG_LEVEL", "loud", /debug, info, warn, error/],
  ["LATTICE_REGISTRATION", "maybe", /open or closed/],
  ["LATTICE_TRUST_PROXY", "yes", /true or false/],
  ["LATTICE_RANK_INTERVAL_SECONDS", "5", /seconds, 10 to 86400/],
  ["LATTICE_RANK_INTERVAL_SECONDS", "ten", /seconds, 10 to 86400/],
  ["LATTICE_LOCAL_AGENT", "on", /auto or off/],
];

for (const [name, value, allowed] of BAD) {
  Deno.test(`loadConfig() refuses ${name}=${value} with one line naming it`, () => {
    assert.throws(() => loadConfig({ [name]: value }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 1);
      assert.match(err.problems[0], new RegExp(`^invalid ${name}=`));
      assert.match(err.problems[0], allowed);
      return true;
    });
  });
}

Deno.test("loadConfig() reports every bad variable at once", () => {
  assert.throws(
    () => loadConfig({ LATTICE_PORT: "x", LATTICE_LOG_LEVEL: "y" }),
    (err: unknown) => err instanceof ConfigError && err.problems.length === 2,
  );
});
