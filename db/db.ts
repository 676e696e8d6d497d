/** A row as the drivers return it: column name to value. */
export type Row = Record<string, unknown>;

/** What both drivers offer inside and outside a transaction. */
export interface Queryable {
  /** Run one parameterised statement ($1, $2, …) and return its rows. */
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Run a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** The one database handle the control plane passes around. */
export interface Db extends Queryable {
  /** "pglite" for the embedded default, "postgres" for a server at DATABASE_URL. */
  readonly kind: "pglite" | "postgres";
  /** Run `fn` in a transaction; it commits when `fn` resolves and rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Close connections; the handle is unusable afterwards. */
  close(): Promise<void>;
}

/** SQLSTATE of an error raised by either driver, if it has one. */
export function sqlState(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** True when `err` is a unique-constraint violation. */
export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === "23505";
}

/**
 * Replace undefined with null: postgres.js rejects undefined parameters. JSON goes in as a
 * string bound to `$n::text::jsonb`: bound straight to jsonb, postgres.js would encode the
 * string a second time.
 */
export function normaliseParams(params: readonly unknown[] | undefined): unknown[] {
  return (params ?? []).map((p) => p === undefined ? null : p);
}
