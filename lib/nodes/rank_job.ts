/**
 * The rank job (DESIGN §5): every interval, load the history of all approved nodes in a few
 * set-based queries, rank them (rank_inputs.ts → scheduler/rank.ts), store every rank in one
 * statement and announce the nodes whose rank changed, so the scheduler's view and the
 * dashboard pick the new ranks up. Each replica may run it: the writes are idempotent.
 */
import type { Db } from "../../db/db.ts";
import { loadRankInputs, pruneUptime, writeRanks } from "../../db/ranks.ts";
import type { Logger } from "../log.ts";
import type { NodeChanges } from "./changes.ts";
import { computeRanks, RANK_WINDOW_DAYS } from "./rank_inputs.ts";

/** What the job needs. */
export interface RankJobDeps {
  db: Db;
  log: Logger;
  nodeChanges: NodeChanges;
}

/** Timings of the job; the control plane passes its config, tests tighten them. */
export interface RankJobOptions {
  /** Time between runs (LATTICE_RANK_INTERVAL_SECONDS). */
  intervalMs: number;
  /** Delay before the first run, so start-up is not slowed by it. */
  firstRunAfterMs: number;
  /** The agents' heartbeat interval: gaps over three of them are session breaks, not jitter. */
  heartbeatIntervalMs: number;
  /** How far back heartbeat gaps are measured (default one hour). */
  jitterWindowMs?: number;
}

/** A running rank job. */
export interface RankJob {
  /** No further scheduled runs; a run in progress finishes (await `idle()`). */
  stop(): void;
  /** Resolves when no run is in progress. */
  idle(): Promise<void>;
  /** Rank every approved node now (after any run in progress); resolves to how many. */
  runOnce(): Promise<number>;
}

/** Uptime days kept: the window plus the partly covered day at its start. */
const KEEP_DAYS = RANK_WINDOW_DAYS + 1;

/** Start the periodic rank job. */
export function startRankJob(deps: RankJobDeps, options: RankJobOptions): RankJob {
  const { db, log, nodeChanges } = deps;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Runs are chained so that two never overlap (a timer run and a runOnce, say).
  let chain: Promise<unknown> = Promise.resolve();

  async function run(): Promise<number> {
    const t0 = performance.now();
    await pruneUptime(db, KEEP_DAYS);
    const rows = await loadRankInputs(db, {
      windowDays: RANK_WINDOW_DAYS,
      jitterWindowMs: options.jitterWindowMs ?? 3_600_000,
      maxGapMs: 3 * options.heartbeatIntervalMs,
    });
    const ranks = computeRanks(rows);
    const changed = await writeRanks(db, ranks);
    for (const nodeId of changed) nodeChanges.emit({ kind: "updated", nodeId });
    log.debug("node ranks recomputed", {
      nodes: ranks.length,
      changed: changed.length,
      ms: Math.round(performance.now() - t0),
    });
    return ranks.length;
  }

  function enqueue(): Promise<number> {
    const next = chain.then(run);
    chain = next.catch(() => {});
    return next;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(async () => {
      timer = undefined;
      if (stopped) return;
      try {
        await enqueue();
      } catch (err) {
        log.error("rank job failed; retrying at the next interval", { error: String(err) });
      }
      schedule(options.intervalMs);
    }, delayMs);
  }

  schedule(options.firstRunAfterMs);
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
    async idle() {
      // A run queued while waiting is awaited too.
      let seen: Promise<unknown>;
      do {
        seen = chain;
        await seen;
      } while (seen !== chain);
    },
    runOnce: enqueue,
  };
}
