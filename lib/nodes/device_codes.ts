import type { Db } from "../../db/db.ts";
import * as deviceCodes from "../../db/device_codes.ts";
import type { DeviceCode } from "../../db/device_codes.ts";
import * as joinTokens from "../../db/join_tokens.ts";
import type { Principal, RequestMeta } from "../auth/principal.ts";
import { hitLimit, type Limit } from "../auth/rate_limit.ts";
import { hashToken, randomSecret } from "../auth/secrets.ts";
import { ConflictError, HttpError, NotFoundError, RateLimitedError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { auditWithMeta } from "./audit.ts";
import { DEFAULT_JOIN_LIMIT } from "./join.ts";
import { DEFAULT_POOL_ID, newJoinToken } from "./join_tokens.ts";

/** How long a device code can be approved and polled. */
export const DEVICE_CODE_TTL_MS = 10 * 60_000;
/** Seconds an agent waits between polls. */
export const DEVICE_POLL_INTERVAL = 5;
/** Polls this much sooner than the interval still count as on time (timer and network jitter). */
const POLL_SLACK_MS = 1_000;
/** How long the join token handed out on approval lasts. */
const DEVICE_JOIN_TOKEN_TTL_MS = 10 * 60_000;
/** User codes avoid characters that are easily confused (0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V). */
export const USER_CODE_ALPHABET = "ACDEFGHJKMNPQRTWXY34679";

/** A fresh user code: eight characters, stored without the dash. */
export function newUserCode(): string {
  const out: string[] = [];
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % USER_CODE_ALPHABET.length);
  while (out.length < 8) {
    for (const b of crypto.getRandomValues(new Uint8Array(16))) {
      if (b < limit && out.length < 8) out.push(USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length]);
    }
  }
  return out.join("");
}

/** A user code as people read it: "WDJBMJHT" → "WDJB-MJHT". */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** A typed user code normalised for lookup (case and dashes/spaces ignored); null if malformed. */
export function normaliseUserCode(typed: string): string | null {
  const code = typed.replace(/[\s-]/g, "").toUpperCase();
  if (code.length !== 8) return null;
  for (const ch of code) if (!USER_CODE_ALPHABET.includes(ch)) return null;
  return code;
}

/** What a poll answers: still waiting, too fast, refused, gone, or ready to hand out a token. */
export type PollOutcome =
  | "authorization_pending"
  | "slow_down"
  | "access_denied"
  | "expired_token"
  | "issue";

/**
 * The answer to a poll of `code` (as it was before this poll) at `now`. Unknown, consumed and
 * expired codes all answer expired_token, so a guessed device code learns nothing.
 */
export function pollOutcome(
  code: Pick<DeviceCode, "status" | "expiresAt" | "lastPolledAt"> | null,
  now: Date,
  intervalSeconds = DEVICE_POLL_INTERVAL,
): PollOutcome {
  if (!code || code.status === "consumed") return "expired_token";
  if (code.status === "denied") return "access_denied";
  if (code.expiresAt.getTime() <= now.getTime()) return "expired_token";
  if (code.status === "approved") return "issue";
  const since = code.lastPolledAt ? now.getTime() - code.lastPolledAt.getTime() : Infinity;
  if (since < intervalSeconds * 1000 - POLL_SLACK_MS) return "slow_down";
  return "authorization_pending";
}

const POLL_MESSAGES: Record<Exclude<PollOutcome, "issue">, string> = {
  authorization_pending: "Not approved yet: keep polling every interval seconds",
  slow_down: "Polling too fast: wait at least interval seconds between polls",
  access_denied: "An admin denied this sign-in: ask them, then run join again",
  expired_token: "The device code is unknown, used or expired: run join again for a new code",
};

/** A refused poll: 400 with the RFC 8628 error code, like an OAuth token endpoint. */
export class DevicePollError extends HttpError {
  constructor(outcome: Exclude<PollOutcome, "issue">) {
    super(400, outcome, POLL_MESSAGES[outcome]);
    this.name = "DevicePollError";
  }
}

/** Device sign-in: an agent gets a code, an admin approves it, the agent gets a join token. */
export function createDeviceCodeService(deps: {
  db: Db;
  kv: Deno.Kv;
  log: Logger;
  publicUrl: string;
  limit?: Limit;
  now?: () => Date;
}) {
  const { db, kv, log } = deps;
  const now = deps.now ?? (() => new Date());
  const limit = deps.limit ?? DEFAULT_JOIN_LIMIT;

  async function pendingByUserCode(typed: string): Promise<DeviceCode> {
    const userCode = normaliseUserCode(typed);
    const code = userCode ? await deviceCodes.getDeviceCodeByUserCode(db, userCode) : null;
    if (!code) {
      throw new NotFoundError(
        `No device code ${typed}: check the code the agent printed (it looks like WDJB-MJHT)`,
      );
    }
    return code;
  }

  return {
    /** Start a device sign-in: the secret device code for the agent, the user code for people. */
    async startDeviceCode(meta: RequestMeta) {
      const rate = await hitLimit(kv, ["device-code-ip", meta.ip ?? "unknown"], limit);
      if (!rate.allowed) {
        throw new RateLimitedError(
          `Too many sign-in codes requested from this address: wait ${rate.retryAfter} s`,
          rate.retryAfter,
        );
      }
      const deviceCode = "ldc_" + randomSecret();
      const expiresAt = new Date(now().getTime() + DEVICE_CODE_TTL_MS);
      // Old codes go as new ones come: the table stays as small as the codes in use.
      await deviceCodes.pruneExpiredDeviceCodes(db);
      let created: DeviceCode | null = null;
      // 23^8 codes: a collision with a live one is rare, and a retry resolves it.
      for (let i = 0; i < 5 && !created; i++) {
        created = await deviceCodes.createDeviceCode(db, {
          deviceCodeHash: hashToken(deviceCode),
          userCode: newUserCode(),
          ip: meta.ip,
          userAgent: meta.userAgent,
          expiresAt,
        });
      }
      if (!created) throw new ConflictError("Could not allocate a user code: try again");
      const userCode = formatUserCode(created.userCode);
      const verificationUri = `${deps.publicUrl}/device`;
      log.info("device code started", { device_code_id: created.id, ip: meta.ip });
      return {
        deviceCode,
        userCode,
        verificationUri,
        verificationUriComplete: `${verificationUri}?code=${userCode}`,
        expiresIn: Math.round(DEVICE_CODE_TTL_MS / 1000),
        interval: DEVICE_POLL_INTERVAL,
      };
    },

    /**
     * Poll with the device code. Once approved, one transaction marks the code consumed and
     * creates a single-use join token for the chosen pool, so the token is handed out once.
     */
    async pollDeviceCode(deviceCode: string, meta: RequestMeta): Promise<{ joinToken: string }> {
      const at = now();
      // The poll time is recorded whatever the answer, so slow_down can see the last one.
      const code = await deviceCodes.pollDeviceCode(db, hashToken(deviceCode), at);
      const outcome = pollOutcome(code, at);
      if (outcome !== "issue") throw new DevicePollError(outcome);
      return await db.transaction(async (tx) => {
        // Only one poll can move the code from approved to consumed.
        if (!await deviceCodes.consumeDeviceCode(tx, code!.id)) {
          throw new DevicePollError("expired_token");
        }
        const { secret, prefix } = newJoinToken();
        const token = await joinTokens.createJoinToken(tx, {
          poolId: code!.poolId ?? DEFAULT_POOL_ID,
          tokenHash: hashToken(secret),
          prefix,
          description: `device sign-in ${formatUserCode(code!.userCode)}`,
          createdBy: code!.approvedBy,
          expiresAt: new Date(at.getTime() + DEVICE_JOIN_TOKEN_TTL_MS),
          maxUses: 1,
        });
        // The pool was deleted between approval and this poll.
        if (!token) throw new DevicePollError("expired_token");
        await auditWithMeta(tx, {
          actorId: null,
          actor: "anonymous",
          action: "device_code.consume",
          outcome: "success",
          targetType: "join_token",
          targetId: token.id,
          details: { deviceCodeId: code!.id, poolId: token.poolId, prefix: token.prefix },
        }, meta);
        return { joinToken: secret };
      });
    },

    /** A device code by its user code, for the dashboard; 404 when there is none. */
    async getDeviceCode(typed: string): Promise<DeviceCode> {
      return await pendingByUserCode(typed);
    },

    /** Approve (for a pool) or deny a pending code; audited. 409 when it is no longer pending. */
    async decideDeviceCode(
      principal: Principal,
      typed: string,
      decision: { action: "approve"; poolId?: string } | { action: "deny" },
      meta: RequestMeta,
    ): Promise<DeviceCode> {
      const code = await pendingByUserCode(typed);
      const poolId = decision.action === "approve" ? decision.poolId ?? DEFAULT_POOL_ID : null;
      return await db.transaction(async (tx) => {
        if (poolId) {
          const pools = await tx.query(`SELECT id FROM pools WHERE id = $1`, [poolId]);
          if (pools.length === 0) {
            throw new NotFoundError(`No pool ${poolId}: list them with GET /api/v1/pools`);
          }
        }
        const decided = await deviceCodes.decideDeviceCode(
          tx,
          code.id,
          poolId
            ? { status: "approved", poolId, approvedBy: principal.userId }
            : { status: "denied" },
          now(),
        );
        if (!decided) {
          throw new ConflictError(
            `The code ${formatUserCode(code.userCode)} is ${
              code.status === "pending" ? "expired" : code.status
            }: ask for a new one by running join again`,
          );
        }
        await auditWithMeta(tx, {
          actorId: principal.userId,
          actor: principal.email,
          action: decision.action === "approve" ? "device_code.approve" : "device_code.deny",
          outcome: "success",
          targetType: "device_code",
          targetId: code.id,
          details: { userCode: formatUserCode(code.userCode), poolId, requestIp: code.ip },
        }, meta);
        return decided;
      });
    },
  };
}

export type DeviceCodeService = ReturnType<typeof createDeviceCodeService>;

const services = new WeakMap<object, DeviceCodeService>();

/** The device code service of an app context, built on first use. */
export function deviceCodeService(
  app: { db: Db; kv: Deno.Kv; log: Logger; config: { publicUrl: string } },
): DeviceCodeService {
  let service = services.get(app);
  if (!service) {
    service = createDeviceCodeService({ ...app, publicUrl: app.config.publicUrl });
    services.set(app, service);
  }
  return service;
}
