import type { Db } from "../../db/db.ts";
import * as joinTokens from "../../db/join_tokens.ts";
import type { JoinToken } from "../../db/join_tokens.ts";
import type { Principal, RequestMeta } from "../auth/principal.ts";
import { hashToken, randomSecret } from "../auth/secrets.ts";
import { NotFoundError } from "../errors.ts";
import { auditWithMeta } from "./audit.ts";

/** Prefix of join tokens, so they are recognisable (and distinct from `lat_` API tokens). */
export const JOIN_TOKEN_PREFIX = "ljt_";
/** Characters of a join token kept for display and lookup: the marker and six more. */
export const JOIN_TOKEN_PREFIX_LENGTH = JOIN_TOKEN_PREFIX.length + 6;
/** The pool every installation starts with (seeded by migration 0001). */
export const DEFAULT_POOL_ID = "00000000-0000-4000-8000-000000000001";

/** Whether a join token can still admit nodes, and if not, why. */
export type JoinTokenState = "active" | "expired" | "used_up" | "revoked";

/** A token's state at `now`. Revocation wins over exhaustion, which wins over expiry. */
export function joinTokenState(
  token: Pick<JoinToken, "revokedAt" | "uses" | "maxUses" | "expiresAt">,
  now: Date,
): JoinTokenState {
  if (token.revokedAt) return "revoked";
  if (token.uses >= token.maxUses) return "used_up";
  if (token.expiresAt.getTime() <= now.getTime()) return "expired";
  return "active";
}

/** A new join token: the secret shown once, and the prefix kept for display and lookup. */
export function newJoinToken(): { secret: string; prefix: string } {
  const secret = JOIN_TOKEN_PREFIX + randomSecret();
  return { secret, prefix: secret.slice(0, JOIN_TOKEN_PREFIX_LENGTH) };
}

/** Join tokens: creation (secret shown once), listing and revocation, all audited. */
export function createJoinTokenService(deps: { db: Db; now?: () => Date }) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    /** Create a token for a pool; the secret is returned once and only its hash is stored. */
    async createJoinToken(
      principal: Principal,
      input: { poolId?: string; description?: string; expiresInHours?: number; maxUses?: number },
      meta: RequestMeta,
    ): Promise<{ token: JoinToken; secret: string }> {
      const { secret, prefix } = newJoinToken();
      const poolId = input.poolId ?? DEFAULT_POOL_ID;
      const expiresAt = new Date(now().getTime() + (input.expiresInHours ?? 24) * 3600_000);
      return await db.transaction(async (tx) => {
        const token = await joinTokens.createJoinToken(tx, {
          poolId,
          tokenHash: hashToken(secret),
          prefix,
          description: input.description ?? "",
          createdBy: principal.userId,
          expiresAt,
          maxUses: input.maxUses ?? 1,
        });
        if (!token) {
          throw new NotFoundError(
            `Cannot create a join token for pool ${poolId}: no such pool ` +
              `(omit poolId to use the default pool)`,
          );
        }
        await auditWithMeta(tx, {
          actorId: principal.userId,
          actor: principal.email,
          action: "join_token.create",
          outcome: "success",
          targetType: "join_token",
          targetId: token.id,
          details: {
            prefix: token.prefix,
            poolId: token.poolId,
            description: token.description,
            expiresAt: token.expiresAt.toISOString(),
            maxUses: token.maxUses,
          },
        }, meta);
        return { token, secret };
      });
    },

    /** Every join token, newest first. */
    listJoinTokens(): Promise<JoinToken[]> {
      return joinTokens.listJoinTokens(db);
    },

    /** Revoke a token so no further node can join with it; revoking twice is harmless. */
    async revokeJoinToken(principal: Principal, id: string, meta: RequestMeta): Promise<void> {
      await db.transaction(async (tx) => {
        const result = await joinTokens.revokeJoinToken(tx, id);
        if (result === null) {
          throw new NotFoundError(
            `No join token ${id}: list them with GET /api/v1/join-tokens`,
          );
        }
        if (result === "already") return;
        await auditWithMeta(tx, {
          actorId: principal.userId,
          actor: principal.email,
          action: "join_token.revoke",
          outcome: "success",
          targetType: "join_token",
          targetId: id,
        }, meta);
      });
    },
  };
}
