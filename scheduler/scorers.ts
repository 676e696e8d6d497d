/**
 * Scorers (DESIGN §5). Each rates a feasible node for one allocation from 0 (worst) to 1 (best),
 * or returns null when it does not apply to the request (no soft rules, no preferences, no
 * volumes), so it does not drag every node's mean towards an arbitrary value. A node's score is
 * the weighted mean of the scorers that applied.
 */
import { runsLabelled } from "./filters.ts";
import { labelOf } from "./filters.ts";
import type { NodeView, PlacementRequest, ScorerName, Scores } from "./types.ts";

/**
 * How much each scorer counts. Volume locality weighs most: a stateful workload away from its
 * volume means copying its data. The user's own wishes (affinity, preferences) and the packing
 * strategy come next; rank is a gentle nudge towards reliable nodes, so a slightly better rank
 * never outweighs what the workload asked for.
 */
export const SCORE_WEIGHTS: Readonly<Record<ScorerName, number>> = {
  rank: 1,
  binpack: 2,
  spread: 2,
  affinity: 2,
  preferences: 2,
  volumes: 4,
};

/** One scorer. */
export interface Scorer {
  name: ScorerName;
  /** 0…1, higher is better, or null when it does not apply to this request. */
  score(node: NodeView, req: PlacementRequest): number | null;
}

/** min(1, (allocated + requested) / capacity), or -1 when the node offers none of it. */
export function share(capacity: number, allocated: number, requested: number): number {
  return capacity > 0 ? Math.min(1, (allocated + requested) / capacity) : -1;
}

/**
 * The node's mean utilisation (0…1) over CPU, memory and disk after this allocation lands, and
 * over GPUs when the request uses them (so GPU-less work does not care how busy GPUs are).
 * Dimensions the node does not offer are skipped; null when it offers none.
 */
export function utilisationAfter(node: NodeView, req: PlacementRequest): number | null {
  const { capacity, allocated } = node;
  const { resources } = req;
  // Spelled out per resource: property reads by name are much faster than keyed ones here.
  const parts = [
    share(capacity.cpuMillicores, allocated.cpuMillicores, resources.cpuMillicores),
    share(capacity.memoryMiB, allocated.memoryMiB, resources.memoryMiB),
    share(capacity.diskGiB, allocated.diskGiB, resources.diskGiB),
    resources.gpus > 0 ? share(capacity.gpus, allocated.gpus, resources.gpus) : -1,
  ];
  let sum = 0;
  let dimensions = 0;
  for (const part of parts) {
    if (part < 0) continue;
    sum += part;
    dimensions++;
  }
  return dimensions === 0 ? null : Math.max(0, sum / dimensions);
}

/** Every scorer, in the order their weighted parts are summed. */
export const SCORERS: readonly Scorer[] = [
  { name: "rank", score: (node) => node.rank / 1000 },
  {
    // Fuller nodes first, leaving whole nodes free for big allocations.
    name: "binpack",
    score: (node, req) => req.strategy === "binpack" ? utilisationAfter(node, req) : null,
  },
  {
    // Emptier nodes first, so one node going away takes as little as possible with it.
    name: "spread",
    score: (node, req) => {
      if (req.strategy !== "spread") return null;
      const utilisation = utilisationAfter(node, req);
      return utilisation === null ? null : 1 - utilisation;
    },
  },
  {
    // Soft rules only (hard ones are filters): the share of rules the node satisfies.
    name: "affinity",
    score: (node, req) => {
      let rules = 0;
      let satisfied = 0;
      for (const rule of req.affinity) {
        if (rule.hard) continue;
        rules++;
        const near = runsLabelled(node, rule.workloadLabel.key, rule.workloadLabel.value);
        if (near === (rule.type === "affinity")) satisfied++;
      }
      return rules === 0 ? null : satisfied / rules;
    },
  },
  {
    // A positive weight counts when the node has the label, a negative one when it has not.
    name: "preferences",
    score: (node, req) => {
      let total = 0;
      let earned = 0;
      for (const preference of req.nodePreferences) {
        const weight = Math.abs(preference.weight);
        total += weight;
        const matches = labelOf(node.labels, preference.label) === preference.value;
        if (matches === preference.weight > 0) earned += weight;
      }
      return total === 0 ? null : earned / total;
    },
  },
  {
    name: "volumes",
    score: (node, req) => {
      if (req.volumes.length === 0) return null;
      let held = 0;
      for (const volume of req.volumes) if (node.volumesHeld.includes(volume)) held++;
      return held / req.volumes.length;
    },
  },
];

/** The node's combined score: the weighted mean of the scorers that apply. */
export function scoreNode(node: NodeView, req: PlacementRequest): number {
  let total = 0;
  let weights = 0;
  for (const scorer of SCORERS) {
    const value = scorer.score(node, req);
    if (value === null) continue;
    const weight = SCORE_WEIGHTS[scorer.name];
    total += weight * value;
    weights += weight;
  }
  // The clamp only absorbs rounding: a weighted mean of values in 0…1 stays in 0…1.
  return weights === 0 ? 0 : Math.min(1, total / weights);
}

/** Each applicable scorer's value, for explaining a pick. */
export function scoreBreakdown(node: NodeView, req: PlacementRequest): Scores {
  const scores: Scores = {};
  for (const scorer of SCORERS) {
    const value = scorer.score(node, req);
    if (value !== null) scores[scorer.name] = value;
  }
  return scores;
}
