import type { Db } from "../../db/db.ts";
import type { AuditEntry } from "../../db/audit_log.ts";
import * as apiTokens from "../../db/api_tokens.ts";
import { NotFoundError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { TtlCache } from "../ttl_cache.ts";
import {
  type CachedPrincipal,
  cachedPrincipal,
  type Principal,
  type RequestMeta,
} from "./principal.ts";
import { hashToken, newApiToken } from "./secrets.ts";

/** A token's "last used" time is written at most this often, off the request path. */
const TOKEN_TOUCH_INTERVAL_MS = 60_000;

/** API tokens: creation (secret shown once), listing, revocation and authentication. */
export function createApiTokenService(deps: {
  db: Db;
  log: Logger;
  /** The authentication cache shared with sessions. */
  cache: TtlCache<string, CachedPrincipal>;
  audit: (entry: AuditEntry, meta?: RequestMeta) => Promise<void>;
}) {
  const { db, log, cache, audit } = deps;
  const touched = new TtlCache<string, true>(TOKEN_TOUCH_INTERVAL_MS, 50_000);

  return {
    /** Resolve an API token to a principal, or null when it is unknown, expired or revoked. */
    async authenticateApiToken(secret: string): Promise<Principal | null> {
      // Keyed by the secret itself (process memory only), so a cache hit needs no hashing.
      const key = `t:${secret}`;
      let cached = cache.get(key);
      if (cached === undefined) {
        const owner = await apiTokens.findTokenOwner(db, hashToken(secret));
        cached = owner ? cachedPrincipal(owner, { tokenId: owner.tokenId }) : null;
        cache.set(key, cached);
      }
      if (!cached) return null;
      const tokenId = cached.tokenId!;
      if (touched.get(tokenId) === undefined) {
        touched.set(tokenId, true);
        apiTokens.touchApiToken(db, tokenId).catch((err) =>
          log.warn("could not record token use", { token_id: tokenId, err })
        );
      }
      return { ...cached, viaCookie: false };
    },

    /** Create an API token for the caller; the secret is returned once and never stored. */
    async createApiToken(
      principal: Principal,
      input: { name: string; expiresInDays?: number | null },
      meta: RequestMeta,
    ) {
      const { secret, prefix } = newApiToken();
      const expiresAt = input.expiresInDays
        ? new Date(Date.now() + input.expiresInDays * 24 * 3600_000)
        : null;
      const token = await apiTokens.createApiToken(db, {
        userId: principal.userId,
        name: input.name,
        tokenHash: hashToken(secret),
        prefix,
        expiresAt,
      });
      await audit({
        actorId: principal.userId,
        actor: principal.email,
        action: "token.create",
        outcome: "success",
        targetType: "api_token",
        targetId: token.id,
        details: { name: token.name, expiresAt: expiresAt?.toISOString() ?? null },
      }, meta);
      return { token, secret };
    },

    /** The caller's API tokens. */
    listApiTokens(principal: Principal) {
      return apiTokens.listApiTokens(db, principal.userId);
    },

    /** Revoke one of the caller's tokens; it stops working at once on this replica. */
    async revokeApiToken(principal: Principal, id: string, meta: RequestMeta) {
      const revoked = await apiTokens.revokeApiToken(db, principal.userId, id);
      if (!revoked) {
        throw new NotFoundError(
          `No live API token ${id} belongs to you: list them with GET /api/v1/tokens`,
        );
      }
      cache.deleteWhere((v) => v?.tokenId === id);
      await audit({
        actorId: principal.userId,
        actor: principal.email,
        action: "token.revoke",
        outcome: "success",
        targetType: "api_token",
        targetId: id,
      }, meta);
    },
  };
}
