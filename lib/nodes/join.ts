import { type Db, isUniqueViolation } from "../../db/db.ts";
import * as joinTokens from "../../db/join_tokens.ts";
import type { JoinTokenCandidate } from "../../db/join_tokens.ts";
import * as nodes from "../../db/nodes.ts";
import type { RequestMeta } from "../auth/principal.ts";
import { hitLimit, type Limit } from "../auth/rate_limit.ts";
import { hashToken, safeEqual } from "../auth/secrets.ts";
import { HttpError, RateLimitedError, ValidationError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { JoinRequest, JoinResponse } from "../protocol.ts";
import { auditWithMeta } from "./audit.ts";
import type { NodeChanges } from "./changes.ts";
import { JoinTokenError, type JoinTokenProblem, NodeKeyExistsError } from "./errors.ts";
import {
  JOIN_TOKEN_PREFIX,
  JOIN_TOKEN_PREFIX_LENGTH,
  type JoinTokenState,
  joinTokenState,
} from "./join_tokens.ts";
import { parsePublicKey, publicKeyFingerprint } from "./keys.ts";

/** Joins per client address: generous for a fleet behind one NAT, tight for token guessing. */
export const DEFAULT_JOIN_LIMIT: Limit = { limit: 30, windowMs: 60_000 };

const ASK_ADMIN = "ask an admin for a new one with POST /api/v1/join-tokens";

/** The error that explains why `token` cannot admit a node now. */
export function joinTokenProblem(
  token: JoinTokenCandidate | null,
  state: JoinTokenState | "invalid",
): JoinTokenError {
  const problem = `join_token_${state}` as JoinTokenProblem;
  switch (state) {
    case "expired":
      return new JoinTokenError(
        problem,
        `The join token expired on ${token!.expiresAt.toISOString()}; ${ASK_ADMIN}`,
      );
    case "revoked":
      return new JoinTokenError(
        problem,
        `The join token was revoked on ${token!.revokedAt!.toISOString()}; ${ASK_ADMIN}`,
      );
    case "used_up":
      return new JoinTokenError(
        problem,
        `The join token has been used ${token!.uses} of ${token!.maxUses} times; ${ASK_ADMIN}`,
      );
    default:
      return new JoinTokenError(
        "join_token_invalid",
        `The join token is not valid: check it was copied whole (it starts with ` +
          `${JOIN_TOKEN_PREFIX}), or ${ASK_ADMIN}`,
      );
  }
}

/** Find the token a secret belongs to, comparing hashes in constant time. */
async function findToken(db: Db, secret: string): Promise<JoinTokenCandidate | null> {
  if (!secret.startsWith(JOIN_TOKEN_PREFIX) || secret.length < JOIN_TOKEN_PREFIX_LENGTH) {
    return null;
  }
  const candidates = await joinTokens.findJoinTokensByPrefix(
    db,
    secret.slice(0, JOIN_TOKEN_PREFIX_LENGTH),
  );
  const hash = hashToken(secret);
  let found: JoinTokenCandidate | null = null;
  // Compare against every candidate, so timing does not depend on which one matched.
  for (const c of candidates) if (safeEqual(hash, c.tokenHash)) found = c;
  return found;
}

/** Joining: a new node registers its public key with a join token (DESIGN §4). */
export function createJoinService(deps: {
  db: Db;
  kv: Deno.Kv;
  log: Logger;
  nodeChanges: NodeChanges;
  joinLimit?: Limit;
  now?: () => Date;
}) {
  const { db, kv, log, nodeChanges } = deps;
  const now = deps.now ?? (() => new Date());
  const limit = deps.joinLimit ?? DEFAULT_JOIN_LIMIT;

  async function refuse(
    input: JoinRequest,
    token: JoinTokenCandidate | null,
    error: Error,
    meta: RequestMeta,
  ): Promise<never> {
    await auditWithMeta(db, {
      actorId: null,
      actor: token ? `join-token:${token.prefix}` : "anonymous",
      action: "node.join",
      outcome: "denied",
      targetType: token ? "join_token" : null,
      targetId: token?.id ?? null,
      details: {
        reason: error instanceof HttpError ? error.code : error.name,
        name: input.name,
        publicKeyFingerprint: publicKeyFingerprint(input.publicKey),
      },
    }, meta);
    throw error;
  }

  return {
    /**
     * Register a node. In one transaction: count a use of the token (only while it is live
     * and below its limit), then insert the node, pending unless its pool auto-approves.
     */
    async joinNode(input: JoinRequest, meta: RequestMeta): Promise<JoinResponse> {
      const rate = await hitLimit(kv, ["join-ip", meta.ip ?? "unknown"], limit);
      if (!rate.allowed) {
        throw new RateLimitedError(
          `Too many join attempts from this address: wait ${rate.retryAfter} s`,
          rate.retryAfter,
        );
      }
      const token = await findToken(db, input.token);
      if (!token) return await refuse(input, null, joinTokenProblem(null, "invalid"), meta);
      const state = joinTokenState(token, now());
      if (state !== "active") {
        return await refuse(input, token, joinTokenProblem(token, state), meta);
      }
      if (!await parsePublicKey(input.publicKey)) {
        throw new ValidationError("The public key is not an Ed25519 public key", [{
          path: "publicKey",
          code: "invalid_key",
          message: "must be the raw 32-byte Ed25519 public key, base64url",
        }]);
      }
      const approval = token.poolAutoApprove ? "approved" : "pending";
      let node: nodes.Node;
      try {
        node = await db.transaction(async (tx) => {
          if (!await joinTokens.consumeJoinToken(tx, token.id)) {
            // Another join took the last use, or the token expired or was revoked meanwhile.
            const fresh = await joinTokens.findJoinTokensByPrefix(tx, token.prefix);
            const current = fresh.find((t) => t.id === token.id) ?? null;
            const late = current ? joinTokenState(current, now()) : "revoked";
            // Below its limit and unrevoked yet not consumable: the database clock says expired.
            throw joinTokenProblem(current ?? token, late === "active" ? "expired" : late);
          }
          if (await nodes.getNodeByPublicKey(tx, input.publicKey)) throw keyExists(input);
          const created = await nodes.createNode(tx, {
            name: input.name,
            publicKey: input.publicKey,
            labels: input.labels,
            poolId: token.poolId,
            joinTokenId: token.id,
            agentVersion: input.agentVersion,
            approval,
          });
          await auditWithMeta(tx, {
            actorId: null,
            actor: `join-token:${token.prefix}`,
            action: "node.join",
            outcome: "success",
            targetType: "node",
            targetId: created.id,
            details: {
              name: created.name,
              poolId: token.poolId,
              joinTokenId: token.id,
              approval,
              agentVersion: input.agentVersion,
              publicKeyFingerprint: publicKeyFingerprint(input.publicKey),
            },
          }, meta);
          return created;
        });
      } catch (err) {
        // Two joins with one key at once: the loser trips the unique index.
        const error = isUniqueViolation(err) ? keyExists(input) : err;
        if (error instanceof JoinTokenError || error instanceof NodeKeyExistsError) {
          return await refuse(input, token, error, meta);
        }
        throw error;
      }
      log.info("node joined", { node_id: node.id, pool_id: token.poolId, approval });
      nodeChanges.emit({ kind: "joined", nodeId: node.id });
      return { nodeId: node.id, approval, poolId: token.poolId, poolName: token.poolName };
    },
  };
}

function keyExists(input: JoinRequest): NodeKeyExistsError {
  return new NodeKeyExistsError(
    `A node with this public key (fingerprint ${publicKeyFingerprint(input.publicKey)}) has ` +
      `already joined: start the agent with its existing state directory, or delete the state ` +
      `to make a new key and join again`,
  );
}
