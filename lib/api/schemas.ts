import { z } from "@hono/zod-openapi";
import type { Pool } from "../../db/pools.ts";
import type { AuditRecord } from "../../db/audit_log.ts";
import type { ApiToken } from "../../db/api_tokens.ts";
import type { User } from "../../db/users.ts";
import type { JoinToken } from "../../db/join_tokens.ts";
import type { Node, NodeContainer } from "../../db/nodes.ts";
import { Capabilities, LabelMap, Metrics } from "../protocol.ts";
import { joinTokenState } from "../nodes/join_tokens.ts";
import { publicKeyFingerprint } from "../nodes/keys.ts";
import { RankParts } from "../nodes/rank_inputs.ts";
import type { LeaderboardRow } from "../../db/ranks.ts";
import { PoolCriteria } from "../nodes/pool_criteria.ts";
import { Schedule } from "../../scheduler/types.ts";

/** The body of every error response. */
export const ErrorSchema = z.object({
  error: z.object({
    code: z.string().openapi({ example: "validation_failed" }),
    message: z.string().openapi({ example: "The request does not match the schema" }),
    details: z.unknown().nullable(),
  }),
}).openapi("Error");

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Malformed request (for example invalid JSON)",
  401: "Not signed in, or the token is invalid, expired or revoked",
  403: "Signed in but not allowed (or missing CSRF token)",
  404: "Not found",
  409: "Conflicts with existing data",
  413: "Body larger than 1 MiB",
  415: "Body is not application/json",
  422: "Body or parameters fail validation; details lists each field",
  429: "Too many attempts; see Retry-After",
  503: "A dependency (database or KV) is not answering",
};

/** OpenAPI response entries for the given error statuses. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, {
    description: ERROR_DESCRIPTIONS[s] ?? "Error",
    content: { "application/json": { schema: ErrorSchema } },
  }]));
}

/** A JSON request body that is always validated, whatever Content-Type says. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } };
}

/** A JSON response. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** Email: trimmed, at most 254 characters. */
export const Email = z.string().trim().max(254).pipe(z.email({ error: "must be an email address" }))
  .openapi({ example: "ada@example.com" });

/** Passwords: 12 to 128 characters, no composition rules (OWASP ASVS 2.1). */
export const NewPassword = z.string()
  .min(12, "must be at least 12 characters")
  .max(128, "must be at most 128 characters")
  .openapi({ example: "correct horse battery staple" });

export const Credentials = z.object({
  email: Email,
  password: z.string().min(1, "is required").max(128, "must be at most 128 characters"),
}).openapi("Credentials");

export const Registration = z.object({ email: Email, password: NewPassword }).openapi(
  "Registration",
);

export const UserSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(["admin", "user"]),
  createdAt: z.iso.datetime(),
}).openapi("User");

/** The API shape of an account. */
export function userDto(user: User): z.infer<typeof UserSchema> {
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    createdAt: user.createdAt.toISOString(),
  };
}

export const SessionResponse = z.object({
  token: z.string().openapi({ description: "Access token; send as Authorization: Bearer" }),
  expiresAt: z.iso.datetime(),
  user: UserSchema,
  csrfToken: z.string().openapi({ description: "For cookie-authenticated changes (X-CSRF-Token)" }),
}).openapi("Session");

/** The API shape of a sign-in (login and refresh answer it). */
export function sessionDto(
  tokens: { accessToken: string; accessExpiresAt: Date; user: User },
  csrfToken: string,
): z.infer<typeof SessionResponse> {
  return {
    token: tokens.accessToken,
    expiresAt: tokens.accessExpiresAt.toISOString(),
    user: userDto(tokens.user),
    csrfToken,
  };
}

export const MeResponse = z.object({
  user: UserSchema,
  auth: z.object({
    method: z.enum(["session", "token"]),
    tokenId: z.uuid().nullable(),
  }),
}).openapi("Me");

export const ApiTokenSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().openapi({ description: "The first characters, to recognise the token" }),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().nullable(),
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
}).openapi("ApiToken");

/** The API shape of a token. */
export function tokenDto(t: ApiToken): z.infer<typeof ApiTokenSchema> {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt?.toISOString() ?? null,
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
  };
}

export const CreateTokenRequest = z.object({
  name: z.string().trim().min(1, "is required").max(100, "must be at most 100 characters"),
  expiresInDays: z.number().int().min(1).max(3650).nullable().optional().openapi({
    description: "Days until the token stops working; omit or null for no expiry",
  }),
}).openapi("CreateTokenRequest");

export const CreatedToken = z.object({
  token: ApiTokenSchema,
  secret: z.string().openapi({ description: "Shown once: store it now", example: "lat_…" }),
}).openapi("CreatedToken");

export const IdParam = z.object({
  id: z.uuid({ error: "must be a UUID" }).openapi({ param: { name: "id", in: "path" } }),
});

export const AuditEntrySchema = z.object({
  id: z.string(),
  at: z.iso.datetime(),
  actorId: z.uuid().nullable(),
  actor: z.string(),
  action: z.string(),
  outcome: z.enum(["success", "failure", "denied"]),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  ip: z.string().nullable(),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
}).openapi("AuditEntry");

/** The API shape of an audit record. */
export function auditDto(r: AuditRecord): z.infer<typeof AuditEntrySchema> {
  return {
    id: r.id,
    at: r.at.toISOString(),
    actorId: r.actorId,
    actor: r.actor,
    action: r.action,
    outcome: r.outcome,
    targetType: r.targetType ?? null,
    targetId: r.targetId ?? null,
    ip: r.ip ?? null,
    requestId: r.requestId ?? null,
    details: r.details ?? {},
  };
}

export const SystemStatusSchema = z.object({
  version: z.string(),
  time: z.iso.datetime(),
  uptimeSeconds: z.number().int(),
  database: z.object({
    kind: z.enum(["pglite", "postgres"]),
    ok: z.boolean(),
    latencyMs: z.number().nullable(),
  }),
  kv: z.object({ ok: z.boolean(), latencyMs: z.number().nullable() }),
}).openapi("SystemStatus");

// ---------------------------------------------------------------- join tokens and nodes

export const JoinTokenSchema = z.object({
  id: z.uuid(),
  poolId: z.uuid(),
  poolName: z.string(),
  prefix: z.string().openapi({ description: "The first characters, to recognise the token" }),
  description: z.string(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  maxUses: z.number().int(),
  uses: z.number().int(),
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
  state: z.enum(["active", "expired", "used_up", "revoked"]),
}).openapi("JoinToken");

/** The API shape of a join token (never its hash). */
export function joinTokenDto(t: JoinToken, now = new Date()): z.infer<typeof JoinTokenSchema> {
  return {
    id: t.id,
    poolId: t.poolId,
    poolName: t.poolName,
    prefix: t.prefix,
    description: t.description,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt.toISOString(),
    maxUses: t.maxUses,
    uses: t.uses,
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
    state: joinTokenState(t, now),
  };
}

export const CreateJoinTokenRequest = z.object({
  poolId: z.uuid({ error: "must be a UUID" }).optional().openapi({
    description: "The pool joined nodes land in; omit for the default pool",
  }),
  description: z.string().trim().max(500, "must be at most 500 characters").optional(),
  expiresInHours: z.number().int().min(1).max(720).optional().openapi({
    description: "Hours until the token stops working (default 24, at most 720)",
  }),
  maxUses: z.number().int().min(1).max(10_000).optional().openapi({
    description: "How many nodes may join with it (default 1)",
  }),
}).openapi("CreateJoinTokenRequest");

export const CreatedJoinToken = z.object({
  token: JoinTokenSchema,
  secret: z.string().openapi({
    description: "Shown once: pass it to `lattice-agent join --token`",
    example: "ljt_…",
  }),
}).openapi("CreatedJoinToken");

/** The parts of a node's rank, each 0…1 before weighting (scheduler/rank.ts). */
export const RankPartsSchema = RankParts.openapi("RankParts", {
  description: "Each part of the rank in 0…1: availability over 30 days, deploy success (with " +
    "a prior for new nodes), resources offered, heartbeat stability and tenure",
});

/** What the owner offers of a node: caps on its CPU share, memory and disk. */
export const NodeOffer = z.strictObject({
  cpuPercent: z.number().int().min(1).max(100).optional().openapi({
    description: "Share of the node's CPU cores the scheduler may use, 1–100",
  }),
  memoryMiB: z.number().int().min(0).max(1e9).optional(),
  diskGiB: z.number().int().min(0).max(1e9).optional(),
}).openapi("NodeOffer");

export const NodeSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  approval: z.enum(["pending", "approved", "rejected", "revoked"]),
  approvalReason: z.string().nullable(),
  poolId: z.uuid().nullable(),
  poolName: z.string().nullable(),
  labels: LabelMap,
  capabilities: Capabilities.nullable().openapi({
    description: "As reported at the agent's last hello; null before the first",
  }),
  agentVersion: z.string().nullable(),
  status: z.enum(["unknown", "online", "offline"]),
  dockerHealthy: z.boolean().nullable(),
  lastSeenAt: z.iso.datetime().nullable(),
  connectedAt: z.iso.datetime().nullable(),
  lastMetrics: Metrics.nullable(),
  drained: z.boolean().openapi({ description: "No new placements while true" }),
  schedule: Schedule.nullable().openapi({
    description: "Weekly computation hours in the node's time zone; null: always available",
  }),
  evacuateOutsideHours: z.boolean().openapi({
    description: "Move its workloads to other nodes before a window closes",
  }),
  offer: NodeOffer.nullable().openapi({
    description: "The owner's caps on what the scheduler may use; null: everything",
  }),
  labelsPinned: z.boolean().openapi({
    description: "An admin set the labels; the agent's hello no longer replaces them",
  }),
  poolPinned: z.boolean().openapi({
    description: "Placed in its pool by hand; pool criteria no longer move it",
  }),
  settingsPinned: z.boolean().openapi({
    description: "An admin set the hours or offer; the owner's settings from the agent " +
      "(`join --hours … --max-cpu …`) no longer replace them",
  }),
  createdAt: z.iso.datetime(),
  approvedAt: z.iso.datetime().nullable(),
  publicKeyFingerprint: z.string().openapi({
    description: "First 16 hex digits of SHA-256 of the node's Ed25519 public key",
  }),
  rank: z.number().int().min(0).max(1000).openapi({
    description: "0–1000, recomputed periodically from history; 500 until first computed",
  }),
  rankParts: RankPartsSchema.nullable(),
  rankUpdatedAt: z.iso.datetime().nullable(),
}).openapi("Node");

/** The API shape of a node. */
export function nodeDto(n: Node): z.infer<typeof NodeSchema> {
  return {
    id: n.id,
    name: n.name,
    approval: n.approval,
    approvalReason: n.approvalReason,
    poolId: n.poolId,
    poolName: n.poolName,
    labels: n.labels,
    capabilities: n.capabilities,
    agentVersion: n.agentVersion,
    status: n.status,
    dockerHealthy: n.dockerHealthy,
    lastSeenAt: n.lastSeenAt?.toISOString() ?? null,
    connectedAt: n.connectedAt?.toISOString() ?? null,
    lastMetrics: n.lastMetrics,
    drained: n.drained,
    schedule: n.schedule,
    evacuateOutsideHours: n.evacuateOutsideHours,
    offer: n.offer,
    labelsPinned: n.labelsPinned,
    poolPinned: n.poolPinned,
    settingsPinned: n.settingsPinned,
    createdAt: n.createdAt.toISOString(),
    approvedAt: n.approvedAt?.toISOString() ?? null,
    publicKeyFingerprint: publicKeyFingerprint(n.publicKey),
    rank: n.rank,
    rankParts: n.rankParts,
    rankUpdatedAt: n.rankUpdatedAt?.toISOString() ?? null,
  };
}

export const NodeContainerSchema = z.object({
  allocationId: z.uuid(),
  workloadId: z.string().nullable(),
  containerId: z.string().nullable(),
  name: z.string(),
  image: z.string(),
  state: z.string(),
  exitCode: z.number().int().nullable(),
  ports: z.array(z.unknown()),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).openapi("NodeContainer");

/** The API shape of a container recorded on a node. */
export function nodeContainerDto(c: NodeContainer): z.infer<typeof NodeContainerSchema> {
  return {
    allocationId: c.allocationId,
    workloadId: c.workloadId,
    containerId: c.containerId,
    name: c.name,
    image: c.image,
    state: c.state,
    exitCode: c.exitCode,
    ports: c.ports,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export const NodeListQuery = z.object({
  status: z.enum(["unknown", "online", "offline"]).optional(),
  approval: z.enum(["pending", "approved", "rejected", "revoked"]).optional(),
  poolId: z.uuid({ error: "must be a UUID" }).optional(),
  cluster: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
    error: "must be a cluster name: lowercase letters, digits and '-' (a DNS label)",
  }).optional().openapi({
    description: "Only the nodes of this cluster (agents join one with `--cluster NAME`; " +
      "node label `lattice.cluster`)",
  }),
  sort: z.enum(["created", "rank", "name", "lastSeen", "cluster"], {
    error: "must be one of created, rank, name, lastSeen, cluster",
  }).optional().openapi({
    description: "Order of the list (default created): created and lastSeen newest first, " +
      "rank best first, name A to Z, cluster A to Z (a cluster's nodes together) unless " +
      "`order` says otherwise",
  }),
  order: z.enum(["asc", "desc"], { error: "must be asc or desc" }).optional(),
});

export const LeaderboardQuery = z.object({
  limit: z.coerce.number({ error: "must be an integer from 1 to 500" })
    .int("must be an integer from 1 to 500")
    .min(1, "must be an integer from 1 to 500")
    .max(500, "must be an integer from 1 to 500")
    .default(50),
});

/** One place on the leaderboard: what anyone signed in may know of a node. */
export const LeaderboardEntrySchema = z.object({
  position: z.number().int().min(1),
  nodeId: z.uuid(),
  name: z.string(),
  rank: z.number().int().min(0).max(1000),
  parts: RankPartsSchema.nullable(),
  status: z.enum(["unknown", "online", "offline"]),
  poolName: z.string().nullable(),
  uptime30d: z.number().min(0).max(1).nullable().openapi({
    description: "Fraction of the last 30 days (or since approval) online, as of the last " +
      "rank computation; null before the first",
  }),
  rankUpdatedAt: z.iso.datetime().nullable(),
}).openapi("LeaderboardEntry");

/** The API shape of a leaderboard row at `position` (1-based). */
export function leaderboardEntryDto(
  r: LeaderboardRow,
  position: number,
): z.infer<typeof LeaderboardEntrySchema> {
  return {
    position,
    nodeId: r.nodeId,
    name: r.name,
    rank: r.rank,
    parts: r.parts,
    status: r.status,
    poolName: r.poolName,
    uptime30d: r.parts?.availability ?? null,
    rankUpdatedAt: r.rankUpdatedAt?.toISOString() ?? null,
  };
}

export const RejectNodeRequest = z.object({
  reason: z.string().trim().min(1, "is required").max(500, "must be at most 500 characters"),
}).openapi("RejectNodeRequest");

export const RevokeNodeRequest = z.object({
  reason: z.string().trim().min(1).max(500, "must be at most 500 characters").optional(),
}).openapi("RevokeNodeRequest");

/** A JSON request body that may be left out entirely (validated when it is sent as JSON). */
export function optionalJsonBody<T extends z.ZodType>(schema: T) {
  return { required: false, content: { "application/json": { schema } } };
}

const PoolName = z.string().regex(
  /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
  "must be a DNS label: lowercase letters, digits and '-', 1 to 63 characters",
).openapi({ example: "gpu-lab" });

/** A pool as the API shows it, with its health. */
export const PoolSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  autoApprove: z.boolean(),
  criteria: PoolCriteria,
  createdAt: z.string(),
  updatedAt: z.string(),
  nodeCount: z.number(),
  onlineNodes: z.number(),
  cpuCores: z.number(),
  memoryBytes: z.number(),
}).openapi("Pool");

/** A pool for the API. */
export function poolDto(p: Pool): z.infer<typeof PoolSchema> {
  return { ...p, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString() };
}

export const CreatePoolRequest = z.strictObject({
  name: PoolName,
  description: z.string().max(500).default(""),
  autoApprove: z.boolean().default(false).openapi({
    description: "Approve nodes that join with this pool's tokens at once",
  }),
  criteria: PoolCriteria.default({}),
}).openapi("CreatePoolRequest");

export const UpdatePoolRequest = z.strictObject({
  name: PoolName.optional(),
  description: z.string().max(500).optional(),
  autoApprove: z.boolean().optional(),
  criteria: PoolCriteria.optional(),
}).refine((p) => Object.keys(p).length > 0, "give at least one field to change")
  .openapi("UpdatePoolRequest");

export const MoveNodeRequest = z.strictObject({ poolId: z.uuid() }).openapi("MoveNodeRequest");

export const UpdateNodeRequest = z.strictObject({
  labels: LabelMap.optional().openapi({
    description: "Replaces every label and pins them: the agent's hello no longer changes them",
  }),
  drained: z.boolean().optional(),
  schedule: Schedule.nullable().optional().openapi({
    description: "Weekly windows ({day 0–6 from Sunday, start, end HH:MM}) in an IANA time " +
      "zone; null: always available",
  }),
  evacuateOutsideHours: z.boolean().optional(),
  offer: NodeOffer.nullable().optional(),
  poolPinned: z.boolean().optional().openapi({
    description: "false: pool criteria decide the node's pool again, at once; true: keep it " +
      "where it is",
  }),
  settingsPinned: z.boolean().optional().openapi({
    description: "false: the owner's hours and offer apply again from the agent's next hello; " +
      "setting schedule or offer pins them",
  }),
}).refine((p) => Object.keys(p).length > 0, "give at least one field to change")
  .openapi("UpdateNodeRequest");
