import assert from "node:assert/strict";
import { dbTest } from "../tests/helpers/databases.ts";
import { migrate, type Migration, readMigrations } from "./migrate.ts";

dbTest("migrate() is idempotent: a second run applies nothing", async (db) => {
  // The test database is already migrated by the helper.
  assert.deepEqual(await migrate(db, await readMigrations()), []);
  const rows = await db.query<{ version: number }>(
    "SELECT version FROM lattice_migrations ORDER BY version",
  );
  assert.deepEqual(rows.map((r) => r.version), (await readMigrations()).map((m) => m.version));
});

dbTest("migrate() refuses to start when an applied migration was edited", async (db) => {
  const migrations = await readMigrations();
  const edited: Migration[] = migrations.map((m, i) =>
    i === 0 ? { ...m, checksum: "0".repeat(64) } : m
  );
  await assert.rejects(() => migrate(db, edited), /was changed after it was applied/);
});

dbTest("migrate() applies a new migration once, in a transaction", async (db) => {
  const extra: Migration = {
    version: 9999,
    name: "test_extra",
    sql: "CREATE TABLE test_extra (id int PRIMARY KEY); INSERT INTO test_extra VALUES (1);",
    checksum: "e".repeat(64),
  };
  const all = [...await readMigrations(), extra];
  const [a, b] = await Promise.all([migrate(db, all), migrate(db, all)]);
  assert.deepEqual([...a, ...b], [9999], "exactly one of two concurrent runs applies it");
  const rows = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM test_extra");
  assert.equal(rows[0].n, 1);
});

dbTest("a failing migration leaves nothing behind", async (db) => {
  const broken: Migration = {
    version: 9998,
    name: "broken",
    sql: "CREATE TABLE half_done (id int); SELECT no_such_function();",
    checksum: "b".repeat(64),
  };
  const all = [...await readMigrations(), broken];
  await assert.rejects(() => migrate(db, all));
  const rows = await db.query(
    "SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'",
  );
  assert.equal(rows.length, 0);
  const recorded = await db.query("SELECT 1 FROM lattice_migrations WHERE version = 9998");
  assert.equal(recorded.length, 0);
});

Deno.test("readMigrations() finds the numbered SQL files in order", async () => {
  const migrations = await readMigrations();
  assert.ok(migrations.length >= 1);
  assert.equal(migrations[0].version, 1);
  for (let i = 1; i < migrations.length; i++) {
    assert.ok(migrations[i].version > migrations[i - 1].version);
  }
  assert.match(migrations[0].checksum, /^[0-9a-f]{64}$/);
});
