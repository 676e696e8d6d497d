/**
 * Account administration: change a user's role, disable or enable an account. Never leaves the
 * server without an admin who can sign in; a disabled account's sign-ins end at once and its
 * API tokens stop working.
 */
import type { Db } from "../../db/db.ts";
import type { AuditEntry } from "../../db/audit_log.ts";
import * as sessions from "../../db/refresh_sessions.ts";
import * as users from "../../db/users.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { TtlCache } from "../ttl_cache.ts";
import type { CachedPrincipal, Principal, RequestMeta } from "./principal.ts";

/** What an admin may change about an account. */
export interface UserPatch {
  role?: users.Role;
  disabled?: boolean;
}

/**
 * Why `patch` may not be applied to `target` (pure), or null when it may. `enabledAdmins`
 * counts admins who can sign in, the target included.
 */
export function userChangeProblem(
  actorId: string,
  target: { id: string; role: users.Role; disabledAt: Date | null },
  patch: UserPatch,
  enabledAdmins: number,
): string | null {
  if (patch.disabled === true && target.id === actorId) {
    return "You cannot disable your own account: ask another admin";
  }
  const isEnabledAdmin = target.role === "admin" && target.disabledAt === null;
  const staysEnabledAdmin = (patch.role ?? target.role) === "admin" &&
    (patch.disabled ?? target.disabledAt !== null) === false;
  if (isEnabledAdmin && !staysEnabledAdmin && enabledAdmins <= 1) {
    return "This is the last admin: make another account admin first";
  }
  return null;
}

/** The account administration part of the auth service. */
export function createUserAdminService(deps: {
  db: Db;
  log: Logger;
  /** The authentication cache: a changed account's cached decisions are dropped at once. */
  cache: TtlCache<string, CachedPrincipal>;
  audit: (entry: AuditEntry, meta?: RequestMeta) => Promise<void>;
}) {
  const { db, log, cache, audit } = deps;
  return {
    /** Apply `patch` to account `id` (audited); 404 when absent, 409 when it would lock admins out. */
    async updateUser(
      principal: Principal,
      id: string,
      patch: UserPatch,
      meta: RequestMeta,
    ): Promise<users.User> {
      const outcome = await db.transaction(async (tx) => {
        await users.lockAdminChanges(tx);
        const target = await users.getUser(tx, id);
        if (!target) return { kind: "missing" as const };
        const problem = userChangeProblem(
          principal.userId,
          target,
          patch,
          await users.countEnabledAdmins(tx),
        );
        if (problem) return { kind: "refused" as const, target, problem };
        const updated = (await users.updateUser(tx, id, patch))!;
        if (patch.disabled === true) await sessions.revokeUserSessions(tx, id);
        return { kind: "updated" as const, target, updated };
      });
      const base = {
        actorId: principal.userId,
        actor: principal.email,
        action: "user.update",
        targetType: "user",
        targetId: id,
      };
      if (outcome.kind === "missing") {
        throw new NotFoundError(`No account ${id}: list them with GET /api/v1/users`);
      }
      if (outcome.kind === "refused") {
        await audit({
          ...base,
          outcome: "denied",
          details: { email: outcome.target.email, ...patch, reason: outcome.problem },
        }, meta);
        throw new ConflictError(outcome.problem, { role: outcome.target.role });
      }
      const { target, updated } = outcome;
      cache.deleteWhere((p) => p?.userId === id);
      await audit({
        ...base,
        outcome: "success",
        details: {
          email: target.email,
          ...(patch.role !== undefined ? { from_role: target.role, to_role: updated.role } : {}),
          ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
        },
      }, meta);
      log.info("account changed", {
        user_id: id,
        role: updated.role,
        disabled: !!updated.disabledAt,
      });
      return updated;
    },
  };
}
