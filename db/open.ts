import type { Db } from "./db.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";

/** Open the configured database: a server at `databaseUrl`, else PGlite under `dataDir/pg`. */
export function openDb(options: { databaseUrl?: string; dataDir: string }): Promise<Db> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl);
  return openPglite(`${options.dataDir}/pg`);
}
