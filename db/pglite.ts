import { PGlite, type Transaction } from "@electric-sql/pglite";
import { type Db, normaliseParams, type Queryable } from "./db.ts";

function wrap(conn: PGlite | Transaction): Queryable {
  return {
    async query<T>(sql: string, params?: readonly unknown[]) {
      const result = await conn.query<T>(sql, normaliseParams(params));
      return result.rows;
    },
    async exec(sql: string) {
      await conn.exec(sql);
    },
  };
}

/** Open (creating if needed) the embedded PGlite database in `dir`. */
export async function openPglite(dir: string): Promise<Db> {
  const pg = new PGlite(dir);
  await pg.waitReady;
  return wrapPglite(pg);
}

/** The Db interface over an open PGlite instance. */
export function wrapPglite(pg: PGlite): Db {
  const base = wrap(pg);
  return {
    kind: "pglite",
    ...base,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    close: () => pg.close(),
  };
}
