/**
 * The scheduler's data shapes, as zod schemas: they cross the main↔worker boundary, so the
 * main thread parses them once (`NodeView.parse`, `PlacementRequest.parse`) and everything in
 * `scheduler/` trusts them afterwards. Every TypeScript type here is inferred from its schema.
 */
import { z } from "zod";

const Id = z.string().min(1).max(200);
/** Large enough for any real machine, small enough that sums stay exact integers. */
const Amount = z.number().int().min(0).max(1e12);
/** Labels on nodes and workloads: short keys, short values. */
export const Labels = z.record(z.string().min(1).max(253), z.string().max(200));
export type Labels = z.infer<typeof Labels>;

/** An amount of each resource the scheduler accounts for. */
export const Resources = z.object({
  cpuMillicores: Amount,
  memoryMiB: Amount,
  diskGiB: Amount,
  gpus: Amount,
});
export type Resources = z.infer<typeof Resources>;

/** Whether `Intl` knows the IANA time zone `name` (e.g. "Europe/Paris"). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM (00:00–23:59)");
/** An end of a window may also be 24:00, the end of the day. */
const EndClock = z.string().regex(
  /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/,
  "expected HH:MM (00:00–24:00)",
);

/**
 * One weekly window in the node's local time. `end` at or before `start` means the window
 * crosses midnight into the next day (`end` equal to `start` is a whole 24 hours).
 */
export const ScheduleWindow = z.object({
  /** 0 = Sunday … 6 = Saturday, as `Date.getDay()`. */
  day: z.number().int().min(0).max(6),
  start: Clock,
  end: EndClock,
});
export type ScheduleWindow = z.infer<typeof ScheduleWindow>;

/** A node's computation hours: it takes new placements only inside one of its windows. */
export const Schedule = z.object({
  timezone: z.string().max(100).refine(isTimeZone, "unknown IANA time zone"),
  windows: z.array(ScheduleWindow).max(100),
});
export type Schedule = z.infer<typeof Schedule>;

/** A workload already placed on a node, as affinity rules see it. */
export const PlacedWorkload = z.object({ workloadId: Id, labels: Labels });
export type PlacedWorkload = z.infer<typeof PlacedWorkload>;

/** What the scheduler knows about one node: a snapshot fed by the main thread. */
export const NodeView = z.object({
  id: Id,
  name: z.string().max(200),
  /** The pool the node belongs to, or null when it is in none. */
  poolId: Id.nullable(),
  labels: Labels,
  approved: z.boolean(),
  online: z.boolean(),
  agentVersion: z.string().max(50),
  /** What the node offers, after its owner's caps; never more than that is placed. */
  capacity: Resources,
  /** The sum of the allocations placed on it. */
  allocated: Resources,
  runtimes: z.array(z.string().max(100)).max(32),
  rank: z.number().int().min(0).max(1000),
  /** Null means always available. */
  schedule: Schedule.nullable(),
  workloadsPlaced: z.array(PlacedWorkload),
  /** Names of workload volumes present on this node (volume locality). */
  volumesHeld: z.array(z.string().max(300)),
});
export type NodeView = z.infer<typeof NodeView>;

const LabelKey = z.string().min(1).max(253);
const LabelValue = z.string().max(200);

/** A constraint on node labels; a node without the label fails `=`, `in` and `exists`. */
export const LabelConstraint = z.discriminatedUnion("operator", [
  z.object({ label: LabelKey, operator: z.literal("="), value: LabelValue }),
  /** Also satisfied by nodes without the label. */
  z.object({ label: LabelKey, operator: z.literal("!="), value: LabelValue }),
  z.object({ label: LabelKey, operator: z.literal("in"), values: z.array(LabelValue).min(1) }),
  z.object({ label: LabelKey, operator: z.literal("exists") }),
]);
export type LabelConstraint = z.infer<typeof LabelConstraint>;

/** Be near (affinity) or away from (anti-affinity) nodes running a workload with a label. */
export const AffinityRule = z.object({
  workloadLabel: z.object({ key: LabelKey, value: LabelValue }),
  type: z.enum(["affinity", "anti-affinity"]),
  /** Hard rules filter nodes out; soft ones only score. */
  hard: z.boolean(),
});
export type AffinityRule = z.infer<typeof AffinityRule>;

/** A soft wish for nodes labelled `label=value`; a negative weight means "rather not". */
export const NodePreference = z.object({
  label: LabelKey,
  value: LabelValue,
  weight: z.number().int().min(-100).max(100),
});
export type NodePreference = z.infer<typeof NodePreference>;

/** One allocation of a workload to place. */
export const PlacementRequest = z.object({
  workloadId: Id,
  allocationIndex: z.number().int().min(0).max(100_000),
  labels: Labels,
  /** Only nodes of this pool, or any pool when null. */
  poolId: Id.nullable(),
  resources: Resources,
  /** A container runtime the node must offer (e.g. "nvidia"). */
  runtime: z.string().max(100).optional(),
  /** Dotted numeric version; "" means no minimum. */
  minAgentVersion: z.string().max(50),
  constraints: z.array(LabelConstraint).max(64),
  affinity: z.array(AffinityRule).max(64),
  nodePreferences: z.array(NodePreference).max(64),
  /** No node may run two allocations of this workload. */
  antiAffinitySelf: z.boolean(),
  strategy: z.enum(["binpack", "spread"]),
  /** Names of the workload's volumes, for locality. */
  volumes: z.array(z.string().max(300)).max(64),
});
export type PlacementRequest = z.infer<typeof PlacementRequest>;

/** The feasibility filters, in the order they run (a node is counted under its first failure). */
export const FILTER_NAMES = [
  "pool",
  "approved",
  "online",
  "hours",
  "constraints",
  "agentVersion",
  "runtime",
  "cpu",
  "memory",
  "disk",
  "gpus",
  "antiAffinitySelf",
  "affinity",
] as const;
export const FilterName = z.enum(FILTER_NAMES);
export type FilterName = z.infer<typeof FilterName>;

/** The scorers; `binpack` and `spread` are the two faces of the request's strategy. */
export const SCORER_NAMES = [
  "rank",
  "binpack",
  "spread",
  "affinity",
  "preferences",
  "volumes",
] as const;
export const ScorerName = z.enum(SCORER_NAMES);
export type ScorerName = z.infer<typeof ScorerName>;

/** Scores per scorer; a scorer that did not apply is absent. */
export const Scores = z.partialRecord(ScorerName, z.number().min(0).max(1));
export type Scores = z.infer<typeof Scores>;

/** A successful placement: the chosen node, its combined score and each scorer's part. */
export const PlacementOk = z.object({
  ok: z.literal(true),
  nodeId: Id,
  score: z.number().min(0).max(1),
  scores: Scores,
});
export type PlacementOk = z.infer<typeof PlacementOk>;

/** No node fits: how many nodes each filter rejected first, and that in words. */
export const PlacementFailed = z.object({
  ok: z.literal(false),
  reasons: z.partialRecord(FilterName, z.number().int().min(1)),
  summary: z.string(),
});
export type PlacementFailed = z.infer<typeof PlacementFailed>;

export const Placement = z.discriminatedUnion("ok", [PlacementOk, PlacementFailed]);
export type Placement = z.infer<typeof Placement>;
