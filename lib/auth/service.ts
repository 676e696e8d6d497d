import type { Db } from "../../db/db.ts";
import { appendAudit, type AuditEntry } from "../../db/audit_log.ts";
import * as sessions from "../../db/refresh_sessions.ts";
import * as users from "../../db/users.ts";
import { ForbiddenError, HttpError, RateLimitedError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Keys } from "../secret_key.ts";
import { TtlCache } from "../ttl_cache.ts";
import { signAccessToken, verifyAccessToken } from "./jwt.ts";
import { hashPassword, needsRehash, verifyPassword } from "./password.ts";
import { createApiTokenService } from "./api_tokens.ts";
import { createUserAdminService } from "./user_admin.ts";
import {
  type CachedPrincipal,
  cachedPrincipal,
  type Principal,
  type RequestMeta,
} from "./principal.ts";
import { hitLimit, type Limit, peekLimit, resetLimit } from "./rate_limit.ts";
import { hashToken, hmac, randomSecret, safeEqual } from "./secrets.ts";

/** A refresh token lives a week unless used; a sign-in lasts at most 30 days. */
export const REFRESH_TOKEN_TTL_MS = 7 * 24 * 3600_000;
export const SESSION_MAX_AGE_MS = 30 * 24 * 3600_000;
/** A token rotated this recently may be presented again (two tabs refreshing at once). */
const ROTATION_GRACE_MS = 10_000;
/** How stale an authentication decision may be; revocations on this replica apply at once. */
const AUTH_CACHE_TTL_MS = 10_000;

/** Default sign-in limits: OWASP asks for at most 100 failures an hour per account. */
export const DEFAULT_LOGIN_LIMITS = {
  perAccount: { limit: 10, windowMs: 15 * 60_000 },
  perIp: { limit: 50, windowMs: 15 * 60_000 },
  /** Account creation per IP: each costs a 19 MiB argon2id hash. */
  registerPerIp: { limit: 20, windowMs: 60 * 60_000 },
};

/** What a successful sign-in or refresh hands back to the transport layer. */
export interface SessionTokens {
  user: users.User;
  sessionId: string;
  accessToken: string;
  accessExpiresAt: Date;
  /** Absent when a refresh fell in the rotation grace window: the newer token stays valid. */
  refreshToken?: string;
  refreshExpiresAt?: Date;
}

/** Options that tune the service; tests inject tighter limits. */
export interface AuthOptions {
  keys: Keys;
  registration: "open" | "closed";
  loginLimits?: { perAccount: Limit; perIp: Limit; registerPerIp: Limit };
  cacheTtlMs?: number;
  rotationGraceMs?: number;
}

/** Accounts, sign-in, sessions and API tokens. */
export type AuthService = ReturnType<typeof createAuthService>;

/** Build the auth service over a database, a KV store (rate limits) and a logger. */
export function createAuthService(
  deps: { db: Db; kv: Deno.Kv; log: Logger },
  options: AuthOptions,
) {
  const { db, kv, log } = deps;
  const limits = options.loginLimits ?? DEFAULT_LOGIN_LIMITS;
  const cache = new TtlCache<string, CachedPrincipal>(
    options.cacheTtlMs ?? AUTH_CACHE_TTL_MS,
    50_000,
  );
  let knownToHaveUsers = false;
  let dummyHash: Promise<string> | null = null;

  async function audit(entry: AuditEntry, meta?: RequestMeta) {
    await appendAudit(db, {
      ...entry,
      ip: entry.ip ?? meta?.ip ?? null,
      requestId: entry.requestId ?? meta?.requestId ?? null,
    });
  }

  async function startSession(user: users.User, meta: RequestMeta): Promise<SessionTokens> {
    const now = Date.now();
    const familyId = crypto.randomUUID();
    const refreshToken = randomSecret();
    const familyExpiresAt = new Date(now + SESSION_MAX_AGE_MS);
    const refreshExpiresAt = new Date(now + REFRESH_TOKEN_TTL_MS);
    await sessions.insertRefreshSession(db, {
      familyId,
      userId: user.id,
      tokenHash: hashToken(refreshToken),
      expiresAt: refreshExpiresAt,
      familyExpiresAt,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
    const access = await signAccessToken(options.keys.jwt, {
      userId: user.id,
      sessionId: familyId,
    });
    return {
      user,
      sessionId: familyId,
      accessToken: access.token,
      accessExpiresAt: access.expiresAt,
      refreshToken,
      refreshExpiresAt,
    };
  }

  return {
    /** True once the first account exists (so the first-run page is no longer offered). */
    async hasUsers(): Promise<boolean> {
      if (knownToHaveUsers) return true;
      knownToHaveUsers = await users.hasUsers(db);
      return knownToHaveUsers;
    },

    /** Whether new accounts (after the first) may register themselves. */
    registrationOpen(): boolean {
      return options.registration === "open";
    },

    /** Create an account; the first one becomes admin. */
    async register(
      input: { email: string; password: string },
      meta: RequestMeta,
    ): Promise<users.User> {
      const ipState = await hitLimit(
        kv,
        ["register-ip", meta.ip ?? "unknown"],
        limits.registerPerIp,
      );
      if (!ipState.allowed) {
        await audit({
          actorId: null,
          actor: input.email,
          action: "auth.register",
          outcome: "denied",
          details: { reason: "ip rate limit" },
        }, meta);
        throw new RateLimitedError(
          `Too many accounts created from this address: wait ${ipState.retryAfter} s`,
          ipState.retryAfter,
        );
      }
      const passwordHash = await hashPassword(input.password);
      const user = await users.createUser(db, {
        email: input.email,
        passwordHash,
        allowOthers: options.registration === "open",
      });
      if (!user) {
        await audit({
          actorId: null,
          actor: input.email,
          action: "auth.register",
          outcome: "denied",
          details: { reason: "registration closed" },
        }, meta);
        throw new ForbiddenError(
          "Registration is closed on this server: ask an administrator for an account",
          "registration_closed",
        );
      }
      knownToHaveUsers = true;
      await audit({
        actorId: user.id,
        actor: user.email,
        action: "auth.register",
        outcome: "success",
        targetType: "user",
        targetId: user.id,
        details: { role: user.role },
      }, meta);
      log.info("account created", { user_id: user.id, role: user.role });
      return user;
    },

    /** Check credentials under per-IP and per-account limits and start a sign-in. */
    async login(
      input: { email: string; password: string },
      meta: RequestMeta,
    ): Promise<SessionTokens> {
      const accountScope = ["login-account", hashToken(input.email.toLowerCase())];
      const ipScope = ["login-ip", meta.ip ?? "unknown"];
      const ipState = await hitLimit(kv, ipScope, limits.perIp);
      const accountState = await peekLimit(kv, accountScope, limits.perAccount);
      if (!ipState.allowed || !accountState.allowed) {
        const retryAfter = Math.max(
          ipState.allowed ? 0 : ipState.retryAfter,
          accountState.allowed ? 0 : accountState.retryAfter,
        );
        await audit({
          actorId: null,
          actor: input.email,
          action: "auth.login",
          outcome: "denied",
          details: { reason: ipState.allowed ? "account rate limit" : "ip rate limit" },
        }, meta);
        throw new RateLimitedError(
          `Too many sign-in attempts: wait ${retryAfter} s and try again`,
          retryAfter,
        );
      }
      const found = await users.findUserForLogin(db, input.email);
      // Verify against a dummy hash for unknown accounts, so timing does not reveal which exist.
      dummyHash ??= hashPassword("not a real password, only for timing");
      const ok = await verifyPassword(input.password, found?.passwordHash ?? await dummyHash);
      if (!found || !ok || found.disabledAt) {
        await hitLimit(kv, accountScope, limits.perAccount);
        await audit({
          actorId: found?.id ?? null,
          actor: input.email,
          action: "auth.login",
          outcome: "failure",
          details: { reason: !found ? "unknown account" : !ok ? "wrong password" : "disabled" },
        }, meta);
        throw new HttpError(401, "unauthorized", "Email or password is wrong");
      }
      await resetLimit(kv, accountScope, limits.perAccount);
      if (needsRehash(found.passwordHash)) {
        await users.updatePasswordHash(db, found.id, await hashPassword(input.password));
      }
      const { passwordHash: _, ...user } = found;
      const tokens = await startSession(user, meta);
      await audit({
        actorId: user.id,
        actor: user.email,
        action: "auth.login",
        outcome: "success",
        targetType: "session",
        targetId: tokens.sessionId,
      }, meta);
      return tokens;
    },

    /**
     * Exchange a refresh token for a new access token and a new refresh token. A token used
     * twice outside the grace window revokes the whole sign-in (it was probably stolen).
     */
    async refresh(refreshToken: string, meta: RequestMeta): Promise<SessionTokens> {
      const unauthorized = () =>
        new HttpError(401, "unauthorized", "The sign-in has ended: sign in again");
      const result = await db.transaction(async (tx) => {
        const row = await sessions.findRefreshSessionForUpdate(tx, hashToken(refreshToken));
        if (!row || row.revokedAt || row.expiresAt.getTime() <= Date.now()) return null;
        if (row.rotatedAt) {
          if (
            Date.now() - row.rotatedAt.getTime() < (options.rotationGraceMs ?? ROTATION_GRACE_MS)
          ) {
            return { row, next: null, reused: false };
          }
          await sessions.revokeFamily(tx, row.familyId);
          return { row, next: null, reused: true };
        }
        await sessions.markRotated(tx, row.id);
        const next = randomSecret();
        const expiresAt = new Date(
          Math.min(Date.now() + REFRESH_TOKEN_TTL_MS, row.familyExpiresAt.getTime()),
        );
        await sessions.insertRefreshSession(tx, {
          familyId: row.familyId,
          userId: row.userId,
          tokenHash: hashToken(next),
          expiresAt,
          familyExpiresAt: row.familyExpiresAt,
          ip: meta.ip,
          userAgent: meta.userAgent,
        });
        return { row, next: { token: next, expiresAt }, reused: false };
      });
      if (!result) throw unauthorized();
      const user = await users.getUser(db, result.row.userId);
      if (result.reused || !user || user.disabledAt) {
        cache.delete(`s:${result.row.familyId}`);
        await audit({
          actorId: result.row.userId,
          actor: user?.email ?? result.row.userId,
          action: "auth.refresh",
          outcome: "denied",
          targetType: "session",
          targetId: result.row.familyId,
          details: { reason: result.reused ? "refresh token reused; sign-in revoked" : "account" },
        }, meta);
        if (result.reused) log.warn("refresh token reused", { session_id: result.row.familyId });
        throw unauthorized();
      }
      const access = await signAccessToken(options.keys.jwt, {
        userId: user.id,
        sessionId: result.row.familyId,
      });
      await audit({
        actorId: user.id,
        actor: user.email,
        action: "auth.refresh",
        outcome: "success",
        targetType: "session",
        targetId: result.row.familyId,
      }, meta);
      return {
        user,
        sessionId: result.row.familyId,
        accessToken: access.token,
        accessExpiresAt: access.expiresAt,
        refreshToken: result.next?.token,
        refreshExpiresAt: result.next?.expiresAt,
      };
    },

    /** End a sign-in: its access tokens stop working at once on this replica. */
    async logout(sessionId: string, principal: Principal | null, meta: RequestMeta) {
      await sessions.revokeFamily(db, sessionId);
      cache.delete(`s:${sessionId}`);
      await audit({
        actorId: principal?.userId ?? null,
        actor: principal?.email ?? "anonymous",
        action: "auth.logout",
        outcome: "success",
        targetType: "session",
        targetId: sessionId,
      }, meta);
    },

    /** The sign-in a refresh token belongs to, if it is still live; for logout by cookie. */
    async sessionOfRefreshToken(refreshToken: string): Promise<string | null> {
      return await db.transaction(async (tx) => {
        const row = await sessions.findRefreshSessionForUpdate(tx, hashToken(refreshToken));
        return row && !row.revokedAt ? row.familyId : null;
      });
    },

    /** Resolve a session access token (JWT) to a principal, or null when it is not valid. */
    async authenticateAccessToken(token: string, viaCookie: boolean): Promise<Principal | null> {
      const claims = await verifyAccessToken(options.keys.jwt, token);
      if (!claims) return null;
      const key = `s:${claims.sessionId}`;
      let cached = cache.get(key);
      if (cached === undefined) {
        const owner = await sessions.findSessionOwner(db, claims.sessionId);
        cached = owner ? cachedPrincipal(owner, { sessionId: claims.sessionId }) : null;
        cache.set(key, cached);
      }
      if (!cached || cached.userId !== claims.userId) return null;
      return { ...cached, viaCookie };
    },

    /** The CSRF token that cookie-authenticated changes in `sessionId` must carry. */
    csrfToken(sessionId: string): string {
      return hmac(options.keys.csrf, `csrf:${sessionId}`);
    },

    /** True when `presented` is the CSRF token of `sessionId`. */
    checkCsrf(sessionId: string, presented: string | null | undefined): boolean {
      return !!presented && safeEqual(presented, hmac(options.keys.csrf, `csrf:${sessionId}`));
    },

    ...createApiTokenService({ db, log, cache, audit }),
    ...createUserAdminService({ db, log, cache, audit }),

    /** Record an audit entry on behalf of a caller. */
    audit,
  };
}
