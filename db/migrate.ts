import type { Db } from "./db.ts";

/** One SQL migration file, `NNNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** An arbitrary constant shared by every replica, so only one applies migrations at a time. */
const MIGRATION_LOCK_KEY = 7_240_301;

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Read the migration files in `dir`, ordered by version. */
export async function readMigrations(
  dir = new URL("./migrations/", import.meta.url),
): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(entry.name);
    if (!entry.isFile || !match) continue;
    const sql = await Deno.readTextFile(new URL(entry.name, dir));
    migrations.push({
      version: Number(match[1]),
      name: match[2],
      sql,
      checksum: await sha256Hex(sql),
    });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version === migrations[i - 1].version) {
      throw new Error(`Two migrations share version ${migrations[i].version}: rename one`);
    }
  }
  return migrations;
}

/**
 * Apply pending migrations in one transaction under an advisory lock and return the versions
 * applied. Refuses to start when an applied migration's file has changed since.
 */
export async function migrate(db: Db, migrations: Migration[]): Promise<number[]> {
  return await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS lattice_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const applied = await tx.query<{ version: number; name: string; checksum: string }>(
      "SELECT version, name, checksum FROM lattice_migrations ORDER BY version",
    );
    const byVersion = new Map(applied.map((m) => [m.version, m]));
    const done: number[] = [];
    for (const m of migrations) {
      const prior = byVersion.get(m.version);
      if (prior) {
        if (prior.checksum !== m.checksum) {
          throw new Error(
            `Migration ${m.version}_${m.name} was changed after it was applied: ` +
              "restore the original file and add a new migration instead",
          );
        }
        continue;
      }
      await tx.exec(m.sql);
      await tx.query(
        "INSERT INTO lattice_migrations (version, name, checksum) VALUES ($1, $2, $3)",
        [m.version, m.name, m.checksum],
      );
      done.push(m.version);
    }
    return done;
  });
}
