/**
 * Feasibility filters (DESIGN §5). Each decides whether one node can take one allocation and,
 * when it cannot, says why. They run in `FILTERS` order and a rejected node is counted under the
 * first filter that rejects it, so "why is this not placed" sums to the number of nodes.
 *
 * Filters marked `dynamic` depend on what earlier placements of the same batch put on the node
 * (free resources, placed workloads); the others depend only on the snapshot, the request and
 * `now`, which is what lets the fast planner index them once per batch. Every static filter runs
 * before every dynamic one.
 */
import { formatCpu, formatDisk, formatGpus, formatMemory } from "./format.ts";
import { formatAffinity, formatConstraint } from "./format.ts";
import { formatLocalTime, type LocalTime, localTime, scheduleIncludes } from "./hours.ts";
import type {
  FilterName,
  LabelConstraint,
  Labels,
  NodeView,
  PlacementRequest,
  Resources,
} from "./types.ts";
import { compareVersions } from "./version.ts";

/** What filters may read besides the node and the request. */
export interface FilterContext {
  now: Date;
  /** The wall-clock time at `now` in a time zone (memoised), or null for an unknown zone. */
  localTime(timezone: string): LocalTime | null;
}

/** One feasibility filter. */
export interface Filter {
  name: FilterName;
  /** Whether the answer can change as earlier placements of a batch land on the node. */
  dynamic: boolean;
  /** Whether the node passes. */
  test(node: NodeView, req: PlacementRequest, ctx: FilterContext): boolean;
  /** Why the node fails, e.g. `has 2 GiB of memory free, needs 4 GiB`; null when it passes. */
  check(node: NodeView, req: PlacementRequest, ctx: FilterContext): string | null;
  /** The summary phrase for `count` rejected nodes, without the count: "lack 4 GiB of memory". */
  phrase(count: number, req: PlacementRequest): string;
}

/** A filter context whose local times are computed once per zone for this `now`. */
export function createFilterContext(now: Date): FilterContext {
  const memo = new Map<string, LocalTime | null>();
  return {
    now,
    localTime(timezone) {
      let at = memo.get(timezone);
      if (at === undefined) {
        at = localTime(now, timezone);
        memo.set(timezone, at);
      }
      return at;
    },
  };
}

/** A label's value, or undefined when the key is absent. */
export function labelOf(labels: Labels, key: string): string | undefined {
  // Label values are strings; what a plain object inherits ("constructor", "toString") is
  // not, so a type check excludes inherited keys without the cost of Object.hasOwn.
  const value = labels[key];
  return typeof value === "string" ? value : undefined;
}

/** Whether the node's labels satisfy one constraint. */
export function matchesConstraint(labels: Labels, constraint: LabelConstraint): boolean {
  const value = labelOf(labels, constraint.label);
  switch (constraint.operator) {
    case "=":
      return value === constraint.value;
    case "!=":
      return value !== constraint.value;
    case "in":
      return value !== undefined && constraint.values.includes(value);
    case "exists":
      return value !== undefined;
  }
}

/** Whether the node runs any workload labelled `key=value`. */
export function runsLabelled(node: NodeView, key: string, value: string): boolean {
  for (const placed of node.workloadsPlaced) {
    if (labelOf(placed.labels, key) === value) return true;
  }
  return false;
}

/** Whether the node runs (an allocation of) the workload. */
export function runsWorkload(node: NodeView, workloadId: string): boolean {
  for (const placed of node.workloadsPlaced) {
    if (placed.workloadId === workloadId) return true;
  }
  return false;
}

function verb(count: number, many: string, one: string): string {
  return count === 1 ? one : many;
}

function define(
  name: FilterName,
  dynamic: boolean,
  test: Filter["test"],
  reason: (node: NodeView, req: PlacementRequest, ctx: FilterContext) => string,
  phrase: Filter["phrase"],
): Filter {
  return {
    name,
    dynamic,
    test,
    check: (node, req, ctx) => test(node, req, ctx) ? null : reason(node, req, ctx),
    phrase,
  };
}

function resourceFilter(
  name: FilterName,
  get: (resources: Resources) => number,
  amount: (value: number) => string,
  noun: string,
): Filter {
  // `get` reads one property directly: a keyed read (`resources[key]`) here is several times
  // slower, and this runs for every candidate of every placement.
  const free = (node: NodeView) => get(node.capacity) - get(node.allocated);
  return define(
    name,
    true,
    (node, req) => free(node) >= get(req.resources),
    (node, req) => `has ${amount(free(node))}${noun} free, needs ${amount(get(req.resources))}`,
    (count, req) => `${verb(count, "lack", "lacks")} ${amount(get(req.resources))}${noun}`,
  );
}

const constraintList = (req: PlacementRequest) => req.constraints.map(formatConstraint).join(", ");
const hardRules = (req: PlacementRequest) => req.affinity.filter((rule) => rule.hard);

/** Every filter, in the order they run: cheap and scoping first, static before dynamic. */
export const FILTERS: readonly Filter[] = [
  define(
    "pool",
    false,
    (node, req) => req.poolId === null || node.poolId === req.poolId,
    (node, req) =>
      node.poolId === null
        ? `is in no pool, needs pool "${req.poolId}"`
        : `is in pool "${node.poolId}", needs pool "${req.poolId}"`,
    (count, req) => `${verb(count, "are", "is")} not in pool "${req.poolId}"`,
  ),
  define(
    "approved",
    false,
    (node) => node.approved,
    () => "is not approved",
    (count) => `${verb(count, "are", "is")} not approved`,
  ),
  define(
    "online",
    false,
    (node) => node.online,
    () => "is offline",
    (count) => `${verb(count, "are", "is")} offline`,
  ),
  define(
    "hours",
    false,
    (node, _req, ctx) => {
      if (node.schedule === null) return true;
      const at = ctx.localTime(node.schedule.timezone);
      return at !== null && scheduleIncludes(node.schedule, at);
    },
    (node, _req, ctx) => {
      const zone = node.schedule?.timezone ?? "";
      const at = ctx.localTime(zone);
      return at === null
        ? `has an unknown time zone "${zone}"`
        : `is outside its computation hours (${formatLocalTime(at)} in ${zone})`;
    },
    (count) =>
      count === 1 ? "is outside its computation hours" : "are outside their computation hours",
  ),
  define(
    "constraints",
    false,
    (node, req) =>
      req.constraints.every((constraint) => matchesConstraint(node.labels, constraint)),
    (node, req) => {
      const failed = req.constraints.find((c) => !matchesConstraint(node.labels, c))!;
      const value = labelOf(node.labels, failed.label);
      const has = value === undefined
        ? `has no label "${failed.label}"`
        : `has ${failed.label}=${value}`;
      return `${has}, needs ${formatConstraint(failed)}`;
    },
    (count, req) =>
      `${verb(count, "do", "does")} not match the label constraints (${constraintList(req)})`,
  ),
  define(
    "agentVersion",
    false,
    (node, req) =>
      req.minAgentVersion === "" || compareVersions(node.agentVersion, req.minAgentVersion) >= 0,
    (node, req) => `runs agent ${node.agentVersion}, needs ${req.minAgentVersion} or newer`,
    (count, req) => `${verb(count, "run", "runs")} an agent older than ${req.minAgentVersion}`,
  ),
  define(
    "runtime",
    false,
    (node, req) => req.runtime === undefined || node.runtimes.includes(req.runtime),
    (_node, req) => `has no "${req.runtime}" runtime`,
    (count, req) => `${verb(count, "lack", "lacks")} the "${req.runtime}" runtime`,
  ),
  resourceFilter("cpu", (r) => r.cpuMillicores, formatCpu, ""),
  resourceFilter("memory", (r) => r.memoryMiB, formatMemory, " of memory"),
  resourceFilter("disk", (r) => r.diskGiB, formatDisk, " of disk"),
  resourceFilter("gpus", (r) => r.gpus, formatGpus, ""),
  define(
    "antiAffinitySelf",
    true,
    (node, req) => !req.antiAffinitySelf || !runsWorkload(node, req.workloadId),
    (_node, req) => `already runs workload "${req.workloadId}"`,
    (count) => `already ${verb(count, "run", "runs")} this workload`,
  ),
  define(
    "affinity",
    true,
    (node, req) => {
      for (const rule of req.affinity) {
        if (!rule.hard) continue;
        const near = runsLabelled(node, rule.workloadLabel.key, rule.workloadLabel.value);
        if (near !== (rule.type === "affinity")) return false;
      }
      return true;
    },
    (node, req) => {
      const broken = hardRules(req).find((rule) =>
        runsLabelled(node, rule.workloadLabel.key, rule.workloadLabel.value) !==
          (rule.type === "affinity")
      )!;
      const label = `${broken.workloadLabel.key}=${broken.workloadLabel.value}`;
      return broken.type === "affinity"
        ? `runs no workload labelled ${label} (hard affinity)`
        : `runs a workload labelled ${label} (hard anti-affinity)`;
    },
    (count, req) =>
      `${verb(count, "break", "breaks")} hard affinity rules (${
        hardRules(req).map(formatAffinity).join(", ")
      })`,
  ),
];

/** The filters that depend only on the snapshot, the request and `now`, in order. */
export const STATIC_FILTERS: readonly Filter[] = FILTERS.filter((filter) => !filter.dynamic);
/** The filters that depend on earlier placements of a batch, in order. */
export const DYNAMIC_FILTERS: readonly Filter[] = FILTERS.filter((filter) => filter.dynamic);

/** The first filter (of `filters`, in order) that rejects the node, or null when all pass. */
export function firstRejection(
  node: NodeView,
  req: PlacementRequest,
  ctx: FilterContext,
  filters: readonly Filter[] = FILTERS,
): Filter | null {
  for (const filter of filters) {
    if (!filter.test(node, req, ctx)) return filter;
  }
  return null;
}

/** Why the node cannot take the allocation (its first rejecting filter), or null if it can. */
export function explainRejection(
  node: NodeView,
  req: PlacementRequest,
  ctx: FilterContext,
): { filter: FilterName; reason: string } | null {
  const filter = firstRejection(node, req, ctx);
  return filter ? { filter: filter.name, reason: filter.check(node, req, ctx)! } : null;
}
