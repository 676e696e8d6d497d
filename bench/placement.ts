// Placement decisions per second inside the scheduler (issue 4, "Speed"): simulated clusters of
// 1,000 and 10,000 nodes (varied capacity, labels, pools, agent versions, runtimes, computation
// hours in seven time zones, placed workloads and volumes) and simulated requests that each use
// every filter and scorer. Measured in one run, in interleaved rounds, medians reported:
//
// - fast, long-lived view: what the worker runs — `planPlacements` on a `ClusterView` kept
//   across batches. Between rounds the main thread's part is simulated: the nodes the batch
//   placed on are upserted back to their recorded state and 1% of nodes send a heartbeat (a
//   fresh copy upserted), so the indexes are patched as in production.
// - fast, sampling off: the same, scoring every feasible node (the naive planner's choice).
// - fast, fresh index: `planPlacements` on the plain node array, building every index per batch.
// - naive: every node through every filter and scorer, no indexes (the baseline).
//
//   deno run -A bench/placement.ts
//
// BENCH_PLACEMENT_ROUNDS (default 9) timed rounds after BENCH_PLACEMENT_WARMUP (default 10: the
// JIT needs a few thousand placements before the fast path reaches its steady speed);
// BENCH_PLACEMENT_BATCH (default 200) requests per fast batch.
import { envInt, median, progress, table, verdict } from "./lib.ts";
import { ClusterView } from "../scheduler/cluster_view.ts";
import { planNaive } from "../scheduler/naive.ts";
import { createFilterContext, firstRejection } from "../scheduler/filters.ts";
import { defaultSampleSize, place, planPlacements } from "../scheduler/place.ts";
import { scoreNode } from "../scheduler/scorers.ts";
import { mulberry32 } from "../scheduler/random.ts";
import { simulatedCluster, simulatedRequests } from "../scheduler/simulate.ts";
import type { NodeView, Placement, PlacementRequest } from "../scheduler/types.ts";

const ROUNDS = envInt("BENCH_PLACEMENT_ROUNDS", 9);
const WARMUP = envInt("BENCH_PLACEMENT_WARMUP", 10);
const BATCH = envInt("BENCH_PLACEMENT_BATCH", 200);
const SIZES = [1_000, 10_000];
const TARGETS: Record<number, number> = { 1_000: 50_000, 10_000: 10_000 };
/** A Wednesday afternoon in UTC: some simulated nodes are inside their hours, some are not. */
const NOW = new Date("2026-11-18T14:30:00Z");

type Mode = "view" | "exhaustive" | "fresh" | "naive";
const LABELS: Record<Mode, string> = {
  view: "fast, long-lived view (sampling)",
  exhaustive: "fast, long-lived view, sampling off",
  fresh: "fast, fresh index per batch",
  naive: "naive (every node, every filter)",
};

interface Cluster {
  size: number;
  nodes: NodeView[];
  views: Record<"view" | "exhaustive", ClusterView>;
  rates: Record<Mode, number[]>;
  upsertMicros: number[];
  buildMs: number;
}

function rate(count: number, ms: number): number {
  return count / (ms / 1000);
}

/** Puts back the recorded state of every node a batch placed on, and sends 1% heartbeats. */
function settle(cluster: Cluster, view: ClusterView, round: number): void {
  const random = mulberry32(round);
  const started = performance.now();
  let upserts = 0;
  const live = view.nodes();
  for (let i = 0; i < live.length; i++) {
    const original = cluster.nodes[i];
    if (live[i] !== original) {
      view.upsert(original);
      upserts++;
    }
  }
  for (let k = 0; k < cluster.size / 100; k++) {
    view.upsert({ ...cluster.nodes[Math.floor(random() * cluster.size)] });
    upserts++;
  }
  cluster.upsertMicros.push(((performance.now() - started) * 1000) / upserts);
}

function run(cluster: Cluster, mode: Mode, requests: PlacementRequest[], round: number): void {
  const options = { now: NOW, seed: round };
  let placed: Placement[];
  const started = performance.now();
  switch (mode) {
    case "view":
      placed = planPlacements(cluster.views.view, requests, options);
      break;
    case "exhaustive":
      placed = planPlacements(cluster.views.exhaustive, requests, { ...options, sampling: false });
      break;
    case "fresh":
      placed = planPlacements(cluster.nodes, requests, options);
      break;
    case "naive":
      // The naive planner is slow at 10,000 nodes; its rate does not depend on the batch size.
      placed = planNaive(
        cluster.nodes,
        requests.slice(0, cluster.size >= 10_000 ? 20 : 50),
        options,
      );
  }
  const elapsed = performance.now() - started;
  if (round >= 0) cluster.rates[mode].push(rate(placed.length, elapsed));
  if (mode === "view" || mode === "exhaustive") settle(cluster, cluster.views[mode], round);
}

/** Mean score of the placed requests and how many were placed, sampling on and off. */
function quality(nodes: NodeView[], requests: PlacementRequest[]) {
  const measure = (sampling: boolean) => {
    const placed = planPlacements(nodes, requests, { now: NOW, seed: 7, sampling })
      .filter((p) => p.ok);
    const mean = placed.reduce((sum, p) => sum + (p.ok ? p.score : 0), 0) / placed.length;
    return { mean, placed: placed.length };
  };
  return { sampled: measure(true), exhaustive: measure(false) };
}

/**
 * For single placements on the snapshot: the share of feasible nodes scoring no better than
 * the sampled pick (1 = the pick is the best), as its median and 10th percentile.
 */
function pickPercentiles(nodes: NodeView[], requests: PlacementRequest[]) {
  const ctx = createFilterContext(NOW);
  const shares: number[] = [];
  for (const req of requests) {
    const placement = place(nodes, req, { now: NOW, seed: 11 });
    if (!placement.ok) continue;
    const scores = nodes
      .filter((n) => firstRejection(n, req, ctx) === null)
      .map((n) => scoreNode(n, req));
    shares.push(scores.filter((score) => score <= placement.score).length / scores.length);
  }
  shares.sort((a, b) => a - b);
  return { median: median(shares), p10: shares[Math.floor(shares.length / 10)] };
}

const clusters: Cluster[] = SIZES.map((size) => {
  progress(`simulating ${size} nodes`);
  const nodes = simulatedCluster({ nodes: size, seed: 2026 });
  const cluster: Cluster = {
    size,
    nodes,
    views: { view: new ClusterView(nodes), exhaustive: new ClusterView(nodes) },
    rates: { view: [], exhaustive: [], fresh: [], naive: [] },
    upsertMicros: [],
    buildMs: 0,
  };
  // The first batch on a view builds its indexes (what a worker pays once at start).
  const started = performance.now();
  planPlacements(cluster.views.view, simulatedRequests({ count: 1, seed: 1 }), {
    now: NOW,
    seed: 0,
  });
  cluster.buildMs = performance.now() - started;
  settle(cluster, cluster.views.view, 0);
  cluster.upsertMicros = [];
  return cluster;
});

const modes: Mode[] = ["view", "exhaustive", "fresh", "naive"];
for (let round = -WARMUP; round < ROUNDS; round++) {
  progress(round < 0 ? `warm-up ${round + WARMUP + 1}/${WARMUP}` : `round ${round + 1}/${ROUNDS}`);
  const requests = simulatedRequests({ count: BATCH, seed: 10_000 + round });
  for (const cluster of clusters) {
    // Rotate the order so no mode always runs right after another's garbage.
    const offset = ((round % modes.length) + modes.length) % modes.length;
    for (let k = 0; k < modes.length; k++) {
      run(cluster, modes[(k + offset) % modes.length], requests, round);
    }
  }
}

const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
console.log(`# Placement decisions per second (scheduler/)\n`);
console.log(
  `Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs, load ${load}; ` +
    `${ROUNDS} rounds after ${WARMUP} warm-up, medians; ${BATCH} requests per fast batch.\n`,
);
const rows: string[][] = [];
for (const cluster of clusters) {
  for (const mode of modes) {
    const value = median(cluster.rates[mode]);
    rows.push([
      cluster.size.toLocaleString("en-US"),
      LABELS[mode],
      Math.round(value).toLocaleString("en-US"),
      (1e6 / value).toFixed(1),
    ]);
  }
}
console.log(table(["nodes", "planner", "placements/s", "µs per placement"], rows));
console.log();
for (const cluster of clusters) {
  const fast = median(cluster.rates.view);
  const naive = median(cluster.rates.naive);
  const target = TARGETS[cluster.size];
  const probe = simulatedRequests({ count: BATCH, seed: 99 });
  const { sampled, exhaustive } = quality(cluster.nodes, probe);
  const picks = pickPercentiles(cluster.nodes, probe.slice(0, 60));
  console.log(
    `- ${cluster.size.toLocaleString("en-US")} nodes: fast ${(fast / naive).toFixed(0)}× naive; ` +
      `target ≥ ${target.toLocaleString("en-US")}/s ${verdict(fast >= target)}; ` +
      `fresh index ${(median(cluster.rates.fresh) / naive).toFixed(0)}× naive; ` +
      `first index build ${cluster.buildMs.toFixed(1)} ms; ` +
      `upsert ${median(cluster.upsertMicros).toFixed(1)} µs; ` +
      `sample size ${defaultSampleSize(cluster.size)}; mean score of placed requests ` +
      `${sampled.mean.toFixed(4)} sampled vs ${exhaustive.mean.toFixed(4)} exhaustive ` +
      `(${sampled.placed} vs ${exhaustive.placed} of ${BATCH} placed); a sampled pick scores at ` +
      `least as well as ${(picks.median * 100).toFixed(1)}% of feasible nodes (median; ` +
      `${(picks.p10 * 100).toFixed(1)}% at the 10th percentile).`,
  );
}
