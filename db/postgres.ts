import postgres from "postgres";
import { type Db, normaliseParams, type Queryable } from "./db.ts";

type Sql = postgres.Sql | postgres.TransactionSql;

function wrap(sql: Sql): Queryable {
  return {
    async query<T>(text: string, params?: readonly unknown[]) {
      const rows = await sql.unsafe(
        text,
        normaliseParams(params) as postgres.ParameterOrJSON<never>[],
        {
          prepare: true,
        },
      );
      return rows as unknown as T[];
    },
    async exec(text: string) {
      // Without parameters postgres.js uses the simple protocol, which runs several statements.
      await sql.unsafe(text);
    },
  };
}

/** Connect to the PostgreSQL server at `url` with a small pool. */
export async function openPostgres(url: string, options: { max?: number } = {}): Promise<Db> {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connect_timeout: 10,
    idle_timeout: 60,
    // Keep int8 and numeric as strings (the default): queries cast to int where a number is wanted.
  });
  // Fail at start, with the server's own message, rather than on the first request.
  await sql`SELECT 1`;
  const base = wrap(sql);
  return {
    kind: "postgres",
    ...base,
    transaction: (fn) => sql.begin((tx) => fn(wrap(tx))) as Promise<never>,
    close: () => sql.end({ timeout: 5 }),
  };
}
