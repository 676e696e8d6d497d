import { type Db, isUniqueViolation, type Queryable } from "./db.ts";
import { ConflictError } from "../lib/errors.ts";

/** A role decides what an account may do: admins manage nodes, pools and approvals. */
export type Role = "admin" | "user";

/** An account, without its password hash. */
export interface User {
  id: string;
  email: string;
  role: Role;
  createdAt: Date;
  disabledAt: Date | null;
}

/** An account with its password hash, for sign-in only. */
export interface UserWithHash extends User {
  passwordHash: string;
}

const COLUMNS = "id, email, role, created_at, disabled_at";

function toUser(row: Record<string, unknown>): User {
  return {
    id: row.id as string,
    email: row.email as string,
    role: row.role as Role,
    createdAt: row.created_at as Date,
    disabledAt: (row.disabled_at as Date | null) ?? null,
  };
}

/** An arbitrary constant: serialises first-account creation so exactly one admin is made. */
const FIRST_USER_LOCK_KEY = 7_240_302;

/**
 * Create an account. The first account ever made becomes admin; `allowOthers` false refuses
 * every account after the first (registration closed). Returns null when refused.
 */
export async function createUser(
  db: Db,
  input: { email: string; passwordHash: string; allowOthers: boolean },
): Promise<User | null> {
  return await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [FIRST_USER_LOCK_KEY]);
    const [{ n }] = await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM users");
    if (n > 0 && !input.allowOthers) return null;
    try {
      const rows = await tx.query(
        `INSERT INTO users (id, email, password_hash, role) VALUES ($1, $2, $3, $4)
         RETURNING ${COLUMNS}`,
        [crypto.randomUUID(), input.email, input.passwordHash, n === 0 ? "admin" : "user"],
      );
      return toUser(rows[0]);
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ConflictError(`An account for ${input.email} already exists: sign in instead`);
      }
      throw err;
    }
  });
}

/** True once any account exists. */
export async function hasUsers(db: Queryable): Promise<boolean> {
  const rows = await db.query("SELECT 1 FROM users LIMIT 1");
  return rows.length > 0;
}

/** Find an account by email (case-insensitive), with its hash, for sign-in. */
export async function findUserForLogin(db: Queryable, email: string): Promise<UserWithHash | null> {
  const rows = await db.query(
    `SELECT ${COLUMNS}, password_hash FROM users WHERE lower(email) = lower($1)`,
    [email],
  );
  if (rows.length === 0) return null;
  return { ...toUser(rows[0]), passwordHash: rows[0].password_hash as string };
}

/** Find an account by id. */
export async function getUser(db: Queryable, id: string): Promise<User | null> {
  const rows = await db.query(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
  return rows.length ? toUser(rows[0]) : null;
}

/** Replace an account's password hash (used to upgrade hashing parameters). */
export async function updatePasswordHash(db: Queryable, id: string, hash: string): Promise<void> {
  await db.query("UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1", [
    id,
    hash,
  ]);
}

/** List accounts, oldest first. */
export async function listUsers(db: Queryable, options: { limit: number }): Promise<User[]> {
  const rows = await db.query(`SELECT ${COLUMNS} FROM users ORDER BY created_at, id LIMIT $1`, [
    options.limit,
  ]);
  return rows.map(toUser);
}

/** An arbitrary constant: serialises role and disable changes, so two admins demoting each other
 * cannot both succeed and leave no admin. */
const ADMIN_CHANGE_LOCK_KEY = 7_240_303;

/** Take the admin-change lock for the rest of the transaction. */
export async function lockAdminChanges(tx: Queryable): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock($1)", [ADMIN_CHANGE_LOCK_KEY]);
}

/** How many admins can sign in (not disabled). */
export async function countEnabledAdmins(db: Queryable): Promise<number> {
  const [{ n }] = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL",
  );
  return n;
}

/** Set an account's role and/or disabled state; returns the account, or null when absent. */
export async function updateUser(
  db: Queryable,
  id: string,
  patch: { role?: Role; disabled?: boolean },
): Promise<User | null> {
  const rows = await db.query(
    `UPDATE users SET role = COALESCE($2, role),
       disabled_at = CASE WHEN $3::boolean IS NULL THEN disabled_at
                          WHEN $3::boolean THEN COALESCE(disabled_at, now()) ELSE NULL END,
       updated_at = now()
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, patch.role ?? null, patch.disabled ?? null],
  );
  return rows.length ? toUser(rows[0]) : null;
}
