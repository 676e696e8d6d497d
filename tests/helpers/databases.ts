// Test databases of both kinds. Every test that touches SQL runs once on embedded PGlite and
// once on the real PostgreSQL server that `deno task test` provisions.
import { PGlite } from "@electric-sql/pglite";
import type { Db } from "../../db/db.ts";
import { migrate, readMigrations } from "../../db/migrate.ts";
import { wrapPglite } from "../../db/pglite.ts";
import { openPostgres } from "../../db/postgres.ts";

/** The database kinds the suite covers. */
export const DB_KINDS = ["pglite", "postgres"] as const;
export type DbKind = (typeof DB_KINDS)[number];

/** A migrated, empty database that `drop()` throws away. */
export interface TestDb extends Db {
  drop(): Promise<void>;
}

/** The PostgreSQL URL the suite uses; a missing one fails the test rather than skipping it. */
export function testDatabaseUrl(): string {
  const url = Deno.env.get("LATTICE_TEST_DATABASE_URL");
  if (!url) {
    throw new Error(
      "LATTICE_TEST_DATABASE_URL is not set: run the suite with `deno task test`, which " +
        "installs and starts PostgreSQL and sets it",
    );
  }
  return url;
}

// Initialising PGlite takes seconds; cloning a migrated one takes a fraction of that.
let template: Promise<PGlite> | null = null;
function pgliteTemplate(): Promise<PGlite> {
  template ??= (async () => {
    const pg = new PGlite();
    await pg.waitReady;
    await migrate(wrapPglite(pg), await readMigrations());
    return pg;
  })();
  return template;
}

/** Open a fresh migrated database of `kind`. */
export async function openTestDb(kind: DbKind): Promise<TestDb> {
  if (kind === "pglite") {
    const pg = await (await pgliteTemplate()).clone() as PGlite;
    const db = wrapPglite(pg);
    return { ...db, drop: () => db.close() };
  }
  const adminUrl = testDatabaseUrl();
  const name = `lattice_t_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = await openPostgres(adminUrl, { max: 1 });
  await admin.exec(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString(), { max: 5 });
  await migrate(db, await readMigrations());
  return {
    ...db,
    async drop() {
      await db.close();
      // FORCE cannot end a session of another role, such as an autovacuum worker that happens
      // to be in the database: those finish within moments, so try again for a while.
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          break;
        } catch (err) {
          if (Date.now() > deadline || !/must be a member of the role/.test(String(err))) {
            await admin.close();
            throw err;
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      await admin.close();
    },
  };
}

/** Register `fn` as one test per database kind, named "<name> [kind]". */
export function dbTest(name: string, fn: (db: TestDb, kind: DbKind) => Promise<void>): void {
  for (const kind of DB_KINDS) {
    Deno.test(`${name} [${kind}]`, async () => {
      const db = await openTestDb(kind);
      try {
        await fn(db, kind);
      } finally {
        await db.drop();
      }
    });
  }
}
