import type { Queryable, Row } from "./db.ts";

/** A join token as admins see it; the secret itself is never stored, only its SHA-256. */
export interface JoinToken {
  id: string;
  poolId: string;
  poolName: string;
  prefix: string;
  description: string;
  createdBy: string | null;
  createdAt: Date;
  expiresAt: Date;
  maxUses: number;
  uses: number;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A token found by its prefix, with the hash to compare and what a join needs of its pool. */
export interface JoinTokenCandidate extends JoinToken {
  tokenHash: string;
  poolAutoApprove: boolean;
}

const COLUMNS = `t.id, t.pool_id, p.name AS pool_name, t.prefix, t.description, t.created_by,
  t.created_at, t.expires_at, t.max_uses, t.uses, t.last_used_at, t.revoked_at`;

function toJoinToken(row: Row): JoinToken {
  return {
    id: row.id as string,
    poolId: row.pool_id as string,
    poolName: row.pool_name as string,
    prefix: row.prefix as string,
    description: row.description as string,
    createdBy: (row.created_by as string | null) ?? null,
    createdAt: row.created_at as Date,
    expiresAt: row.expires_at as Date,
    maxUses: row.max_uses as number,
    uses: row.uses as number,
    lastUsedAt: (row.last_used_at as Date | null) ?? null,
    revokedAt: (row.revoked_at as Date | null) ?? null,
  };
}

/** Store a new join token's hash; null when the pool does not exist. */
export async function createJoinToken(
  db: Queryable,
  input: {
    poolId: string;
    tokenHash: string;
    prefix: string;
    description: string;
    createdBy: string | null;
    expiresAt: Date;
    maxUses: number;
  },
): Promise<JoinToken | null> {
  // Inserting from the pool row makes "unknown pool" a missing row rather than an FK error.
  const rows = await db.query(
    `WITH t AS (
       INSERT INTO join_tokens (id, pool_id, token_hash, prefix, description, created_by,
         expires_at, max_uses)
       SELECT $1, p.id, $3, $4, $5, $6, $7, $8 FROM pools p WHERE p.id = $2
       RETURNING *
     )
     SELECT ${COLUMNS} FROM t JOIN pools p ON p.id = t.pool_id`,
    [
      crypto.randomUUID(),
      input.poolId,
      input.tokenHash,
      input.prefix,
      input.description,
      input.createdBy,
      input.expiresAt,
      input.maxUses,
    ],
  );
  return rows.length === 0 ? null : toJoinToken(rows[0]);
}

/** Every join token, newest first, revoked and used-up ones included. */
export async function listJoinTokens(db: Queryable): Promise<JoinToken[]> {
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM join_tokens t JOIN pools p ON p.id = t.pool_id
     ORDER BY t.created_at DESC, t.id`,
  );
  return rows.map(toJoinToken);
}

/** One join token, or null. */
export async function getJoinToken(db: Queryable, id: string): Promise<JoinToken | null> {
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM join_tokens t JOIN pools p ON p.id = t.pool_id WHERE t.id = $1`,
    [id],
  );
  return rows.length === 0 ? null : toJoinToken(rows[0]);
}

/** Tokens whose display prefix is `prefix` (normally one), with their hashes for comparison. */
export async function findJoinTokensByPrefix(
  db: Queryable,
  prefix: string,
): Promise<JoinTokenCandidate[]> {
  const rows = await db.query(
    `SELECT ${COLUMNS}, t.token_hash, p.auto_approve
     FROM join_tokens t JOIN pools p ON p.id = t.pool_id WHERE t.prefix = $1`,
    [prefix],
  );
  return rows.map((r) => ({
    ...toJoinToken(r),
    tokenHash: r.token_hash as string,
    poolAutoApprove: r.auto_approve as boolean,
  }));
}

/**
 * Count one use of a live token. The condition sits in the UPDATE itself, so concurrent joins
 * queue on the row lock and re-check it: a token never admits more than `max_uses` nodes.
 * Returns false when the token is used up, expired or revoked by now.
 */
export async function consumeJoinToken(db: Queryable, id: string): Promise<boolean> {
  const rows = await db.query(
    `UPDATE join_tokens SET uses = uses + 1, last_used_at = now()
     WHERE id = $1 AND uses < max_uses AND revoked_at IS NULL AND expires_at > now()
     RETURNING id`,
    [id],
  );
  return rows.length === 1;
}

/**
 * Revoke a token. Returns "revoked" when this call revoked it, "already" when it was revoked
 * before, and null when there is no such token.
 */
export async function revokeJoinToken(
  db: Queryable,
  id: string,
): Promise<"revoked" | "already" | null> {
  const rows = await db.query<{ changed: boolean }>(
    `WITH old AS (SELECT id, revoked_at IS NULL AS live FROM join_tokens WHERE id = $1 FOR UPDATE)
     UPDATE join_tokens t SET revoked_at = COALESCE(t.revoked_at, now())
     FROM old WHERE t.id = old.id RETURNING old.live AS changed`,
    [id],
  );
  if (rows.length === 0) return null;
  return rows[0].changed ? "revoked" : "already";
}
