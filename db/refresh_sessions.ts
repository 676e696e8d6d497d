import type { Queryable } from "./db.ts";
import type { Role } from "./users.ts";

/** One refresh token of a sign-in family. */
export interface RefreshSession {
  id: string;
  familyId: string;
  userId: string;
  expiresAt: Date;
  familyExpiresAt: Date;
  rotatedAt: Date | null;
  revokedAt: Date | null;
}

/** The account behind a live sign-in. */
export interface SessionOwner {
  familyId: string;
  userId: string;
  email: string;
  role: Role;
  createdAt: Date;
}

function toSession(row: Record<string, unknown>): RefreshSession {
  return {
    id: row.id as string,
    familyId: row.family_id as string,
    userId: row.user_id as string,
    expiresAt: row.expires_at as Date,
    familyExpiresAt: row.family_expires_at as Date,
    rotatedAt: (row.rotated_at as Date | null) ?? null,
    revokedAt: (row.revoked_at as Date | null) ?? null,
  };
}

/** Store a refresh token's hash, starting a family or continuing one. */
export async function insertRefreshSession(
  db: Queryable,
  input: {
    familyId: string;
    userId: string;
    tokenHash: string;
    expiresAt: Date;
    familyExpiresAt: Date;
    ip: string | null;
    userAgent: string | null;
  },
): Promise<RefreshSession> {
  const rows = await db.query(
    `INSERT INTO refresh_sessions
       (id, family_id, user_id, token_hash, expires_at, family_expires_at, ip, user_agent)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [
      crypto.randomUUID(),
      input.familyId,
      input.userId,
      input.tokenHash,
      input.expiresAt,
      input.familyExpiresAt,
      input.ip,
      input.userAgent?.slice(0, 300) ?? null,
    ],
  );
  return toSession(rows[0]);
}

/** Find a refresh token by hash and lock its row for the rest of the transaction. */
export async function findRefreshSessionForUpdate(
  tx: Queryable,
  tokenHash: string,
): Promise<RefreshSession | null> {
  const rows = await tx.query("SELECT * FROM refresh_sessions WHERE token_hash = $1 FOR UPDATE", [
    tokenHash,
  ]);
  return rows.length ? toSession(rows[0]) : null;
}

/** Mark a refresh token as used; its family continues in a new row. */
export async function markRotated(tx: Queryable, id: string): Promise<void> {
  await tx.query("UPDATE refresh_sessions SET rotated_at = now() WHERE id = $1", [id]);
}

/** Revoke every token of a sign-in (logout, or theft detected). */
export async function revokeFamily(db: Queryable, familyId: string): Promise<void> {
  await db.query(
    "UPDATE refresh_sessions SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL",
    [familyId],
  );
}

/** The owner of a sign-in that is still live (not revoked, not expired, account enabled). */
export async function findSessionOwner(
  db: Queryable,
  familyId: string,
): Promise<SessionOwner | null> {
  const rows = await db.query<{ user_id: string; email: string; role: Role; created_at: Date }>(
    `SELECT u.id AS user_id, u.email, u.role, u.created_at
     FROM refresh_sessions s JOIN users u ON u.id = s.user_id
     WHERE s.family_id = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
       AND u.disabled_at IS NULL
     LIMIT 1`,
    [familyId],
  );
  if (rows.length === 0) return null;
  const r = rows[0];
  return { familyId, userId: r.user_id, email: r.email, role: r.role, createdAt: r.created_at };
}

/** Revoke every live sign-in of an account (it was disabled). */
export async function revokeUserSessions(db: Queryable, userId: string): Promise<void> {
  await db.query(
    "UPDATE refresh_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
    [userId],
  );
}
