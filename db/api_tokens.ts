import type { Queryable } from "./db.ts";
import type { Role } from "./users.ts";

/** An API token as its owner sees it; the secret itself is never stored. */
export interface ApiToken {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** The account a live token belongs to. */
export interface TokenOwner {
  tokenId: string;
  userId: string;
  email: string;
  role: Role;
  createdAt: Date;
}

const COLUMNS = "id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at";

function toToken(row: Record<string, unknown>): ApiToken {
  return {
    id: row.id as string,
    userId: row.user_id as string,
    name: row.name as string,
    prefix: row.prefix as string,
    createdAt: row.created_at as Date,
    expiresAt: (row.expires_at as Date | null) ?? null,
    lastUsedAt: (row.last_used_at as Date | null) ?? null,
    revokedAt: (row.revoked_at as Date | null) ?? null,
  };
}

/** Store a new token's hash. */
export async function createApiToken(
  db: Queryable,
  input: {
    userId: string;
    name: string;
    tokenHash: string;
    prefix: string;
    expiresAt: Date | null;
  },
): Promise<ApiToken> {
  const rows = await db.query(
    `INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [crypto.randomUUID(), input.userId, input.name, input.tokenHash, input.prefix, input.expiresAt],
  );
  return toToken(rows[0]);
}

/** A user's tokens, newest first, revoked ones included (so the list explains itself). */
export async function listApiTokens(db: Queryable, userId: string): Promise<ApiToken[]> {
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id`,
    [userId],
  );
  return rows.map(toToken);
}

/** Revoke one of `userId`'s tokens; returns false when there is no such live token. */
export async function revokeApiToken(db: Queryable, userId: string, id: string): Promise<boolean> {
  const rows = await db.query(
    `UPDATE api_tokens SET revoked_at = now()
     WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id`,
    [id, userId],
  );
  return rows.length === 1;
}

/** The owner of a live (unrevoked, unexpired, enabled account) token with this hash. */
export async function findTokenOwner(db: Queryable, tokenHash: string): Promise<TokenOwner | null> {
  const rows = await db.query<
    { token_id: string; user_id: string; email: string; role: Role; created_at: Date }
  >(
    `SELECT t.id AS token_id, u.id AS user_id, u.email, u.role, u.created_at
     FROM api_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.token_hash = $1 AND t.revoked_at IS NULL
       AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.disabled_at IS NULL`,
    [tokenHash],
  );
  if (rows.length === 0) return null;
  const r = rows[0];
  return {
    tokenId: r.token_id,
    userId: r.user_id,
    email: r.email,
    role: r.role,
    createdAt: r.created_at,
  };
}

/** Record that a token was used (called at most once a minute per token). */
export async function touchApiToken(db: Queryable, id: string): Promise<void> {
  await db.query("UPDATE api_tokens SET last_used_at = now() WHERE id = $1", [id]);
}
