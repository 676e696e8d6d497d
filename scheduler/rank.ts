/**
 * Node rank (DESIGN §5): one 0–1000 integer from a node's recent history, shown on the dashboard
 * and the leaderboard and used by the `rank` scorer. Each input maps to 0…1 ("part") and the
 * parts are weighted by `RANK_WEIGHTS`, which sum to 1000. Every part is monotone in its input,
 * so more availability, more successes, steadier heartbeats, more resources offered or a longer
 * tenure never lower a rank.
 */
import { z } from "zod";

/** What the rank is computed from (recomputed periodically from the history in Postgres). */
export const RankHistory = z.object({
  /** Fraction of the last 30 days the node was online, 0…1. */
  availability: z.number().min(0).max(1),
  /** Fraction of its jobs that succeeded, 0…1 (callers pass a prior for nodes with no jobs). */
  jobSuccessRate: z.number().min(0).max(1),
  /** Coefficient of variation of the gaps between heartbeats (0 = perfectly regular). */
  heartbeatJitter: z.number().min(0),
  /** What the node offers after its owner's caps. */
  offered: z.object({
    cpuMillicores: z.number().min(0),
    memoryMiB: z.number().min(0),
    gpus: z.number().min(0),
  }),
  /** Days since the node was first approved. */
  tenureDays: z.number().min(0),
});
export type RankHistory = z.infer<typeof RankHistory>;

/**
 * Points per part (sum 1000). Availability dominates because a node that is often away loses
 * the workloads placed on it; job success comes next (a node that fails deploys wastes
 * everyone's time); resources, heartbeat stability and tenure refine the order between
 * similarly reliable nodes.
 */
export const RANK_WEIGHTS = {
  availability: 400,
  jobSuccess: 250,
  resources: 150,
  heartbeatStability: 100,
  tenure: 100,
} as const;

/**
 * Half-saturation points: the amount earning half of a part. Offered resources and tenure are
 * rewarded with diminishing returns, so one huge server does not outrank many steady laptops,
 * and a node cannot climb on age alone.
 */
const HALF = {
  cpuMillicores: 8_000,
  memoryMiB: 16_384,
  gpus: 1,
  tenureDays: 30,
  /** A jitter of 0.25 (gaps varying by a quarter) halves the stability part. */
  jitter: 0.25,
} as const;

/** x / (x + half): 0 at 0, 0.5 at `half`, approaching 1; NaN and negatives count as 0. */
function saturate(x: number, half: number): number {
  if (!(x > 0)) return 0;
  return x === Infinity ? 1 : x / (x + half);
}

function fraction(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

/** Each part of the rank in 0…1, before weighting (for explaining a rank in the dashboard). */
export function rankParts(history: RankHistory): Record<keyof typeof RANK_WEIGHTS, number> {
  const { offered } = history;
  const jitter = Number.isNaN(history.heartbeatJitter) ? Infinity : history.heartbeatJitter;
  return {
    availability: fraction(history.availability),
    jobSuccess: fraction(history.jobSuccessRate),
    resources: 0.4 * saturate(offered.cpuMillicores, HALF.cpuMillicores) +
      0.4 * saturate(offered.memoryMiB, HALF.memoryMiB) +
      0.2 * saturate(offered.gpus, HALF.gpus),
    heartbeatStability: 1 - saturate(jitter, HALF.jitter),
    tenure: saturate(history.tenureDays, HALF.tenureDays),
  };
}

/** The node's rank: an integer 0–1000, higher is better. */
export function computeRank(history: RankHistory): number {
  const parts = rankParts(history);
  let points = 0;
  for (const key of Object.keys(RANK_WEIGHTS) as (keyof typeof RANK_WEIGHTS)[]) {
    points += RANK_WEIGHTS[key] * parts[key];
  }
  return Math.min(1000, Math.max(0, Math.round(points)));
}
