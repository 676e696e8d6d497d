/**
 * Rows of rank history (db/ranks.ts) → the rank function's `RankHistory` and the stored rank
 * (pure). Every duration arrives in seconds measured by the database's clock, so nothing here
 * reads a clock.
 */
import { z } from "zod";
import type { Capabilities } from "../protocol.ts";
import { nodeCapacity, type Offer } from "../scheduling/views.ts";
import { computeRank, type RankHistory, rankParts } from "../../scheduler/rank.ts";

/** Days of history a rank looks back on. */
export const RANK_WINDOW_DAYS = 30;

/**
 * What a node with few jobs is assumed to have achieved: a 0.9 success rate worth five jobs.
 * One failed deploy then costs a new node a little rank, not all of its job-success points.
 */
export const JOB_SUCCESS_PRIOR = { rate: 0.9, weight: 5 } as const;

/** Fewer heartbeat gaps than this say nothing about stability: the neutral jitter applies. */
export const MIN_HEARTBEAT_GAPS = 3;

/** The jitter assumed without enough heartbeats: half of the stability part (rank.ts). */
export const NEUTRAL_JITTER = 0.25;

/** The parts of a rank, each 0…1, as stored in `nodes.rank_parts` and shown by the API. */
export const RankParts = z.object({
  availability: z.number().min(0).max(1),
  jobSuccess: z.number().min(0).max(1),
  resources: z.number().min(0).max(1),
  heartbeatStability: z.number().min(0).max(1),
  tenure: z.number().min(0).max(1),
});
export type RankParts = z.infer<typeof RankParts>;

/** One approved node's history, as db/ranks.ts loads it. */
export interface RankInputRow {
  nodeId: string;
  /** The rank stored now, to tell which nodes changed. */
  currentRank: number;
  /** Length of the availability window: 30 days, or since approval when that is later. */
  windowSeconds: number;
  /** Seconds online inside the window: finished stretches plus the one still open. */
  onlineSeconds: number;
  /** Seconds since the node was approved. */
  tenureSeconds: number;
  capabilities: Capabilities | null;
  offer: Offer | null;
  deploysSucceeded: number;
  deploysFailed: number;
  /** Heartbeat gaps within sessions, over the recent jitter window. */
  heartbeatGaps: number;
  gapMeanMs: number | null;
  gapStddevMs: number | null;
}

/** A computed rank, ready to store. */
export interface ComputedRank {
  nodeId: string;
  rank: number;
  parts: RankParts;
  changed: boolean;
}

function finite(x: number): number {
  return Number.isFinite(x) ? x : 0;
}

/** The rank function's input for one node's history. */
export function toRankHistory(row: RankInputRow): RankHistory {
  const window = finite(row.windowSeconds);
  const availability = window > 0
    ? Math.min(1, Math.max(0, finite(row.onlineSeconds) / window))
    : 0;
  const succeeded = Math.max(0, finite(row.deploysSucceeded));
  const failed = Math.max(0, finite(row.deploysFailed));
  const jobSuccessRate = (succeeded + JOB_SUCCESS_PRIOR.rate * JOB_SUCCESS_PRIOR.weight) /
    (succeeded + failed + JOB_SUCCESS_PRIOR.weight);
  const mean = row.gapMeanMs ?? 0;
  const heartbeatJitter = row.heartbeatGaps >= MIN_HEARTBEAT_GAPS && mean > 0
    ? Math.max(0, finite(row.gapStddevMs ?? 0)) / mean
    : NEUTRAL_JITTER;
  const capacity = nodeCapacity(row.capabilities, row.offer);
  return {
    availability,
    jobSuccessRate,
    heartbeatJitter,
    offered: {
      cpuMillicores: capacity.cpuMillicores,
      memoryMiB: capacity.memoryMiB,
      gpus: capacity.gpus,
    },
    tenureDays: Math.max(0, finite(row.tenureSeconds)) / 86_400,
  };
}

/** Round to four decimals: enough to explain a rank, short in JSON. */
function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** Rank every row: the new rank, its parts, and whether it differs from the stored one. */
export function computeRanks(rows: readonly RankInputRow[]): ComputedRank[] {
  return rows.map((row) => {
    const history = toRankHistory(row);
    const parts = rankParts(history);
    const rank = computeRank(history);
    return {
      nodeId: row.nodeId,
      rank,
      parts: {
        availability: round4(parts.availability),
        jobSuccess: round4(parts.jobSuccess),
        resources: round4(parts.resources),
        heartbeatStability: round4(parts.heartbeatStability),
        tenure: round4(parts.tenure),
      },
      changed: rank !== row.currentRank,
    };
  });
}
