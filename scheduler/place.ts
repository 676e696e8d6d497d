/**
 * The fast placement planner (DESIGN §5, after Nomad's design): per request, a seeded shuffle of
 * the candidate nodes, feasibility filters, scorers and the best node, with every rejection
 * counted by reason when nothing fits. The scheduler only decides: nodes, requests, `now` and a
 * seed in; placements out, no I/O. The worker keeps a `ClusterView` and runs `planPlacements`
 * on it once per queue message.
 *
 * Speed comes from three things:
 *
 * 1. A `StaticIndex` in the view: the static filters (pool, approval, online, hours, labels,
 *    version, runtime, plus a GPU prefilter) become one cached bit set per request signature,
 *    so only nodes that could ever fit are looked at.
 * 2. A `UsageIndex` in the view and an `Evaluator` per request: free resources, placed
 *    workloads and labels in typed arrays, so a candidate costs tens of nanoseconds. Both
 *    indexes live as long as the view and are patched node by node on `upsert`.
 * 3. Sampling, as Nomad does: candidates are streamed in seeded random order through the dynamic
 *    filters (free resources, anti-affinity, hard affinity) and scoring stops after `sampleSize`
 *    feasible nodes (default 2·⌈log2 N⌉ + 4: 24 at 1,000 nodes, 32 at 10,000). The pick is the
 *    best of that sample, not of the whole cluster: the cost per placement no longer grows
 *    with N, and the pick is, with high probability, among the best few percent. Random
 *    samples miss what is rare, so each sample is topped up with the nodes the request
 *    specifically favours: those holding its volumes, some running workloads it has soft
 *    affinity to, some carrying its positively weighted preferred labels.
 *
 * Sampling never reports a placeable request as unplaceable: the stream only stops early after
 * finding feasible nodes, so a failure means every candidate was tried, and its reasons are
 * counted over every node exactly as the naive planner counts them. With `sampling: false`
 * every candidate is scored in the naive planner's shuffled order and the same node is picked.
 *
 * Determinism: the same seed, nodes and requests on a fresh view give the same placements. A
 * long-lived view also keeps its sampling order between batches, so there a result depends on
 * the view's history too (still reproducibly).
 */
import { hasBit } from "./bitset.ts";
import { ClusterView } from "./cluster_view.ts";
import { Evaluator } from "./evaluator.ts";
import { drawAt, placementRandom, type Random, shuffledIndices } from "./random.ts";
import type { Candidates, StaticIndex } from "./static_index.ts";
import { placementFailed } from "./summary.ts";
import type { NodeView, Placement, PlacementRequest } from "./types.ts";
import type { UsageIndex } from "./usage_index.ts";

/** How a batch is planned. */
export interface PlanOptions {
  /** The moment computation hours are judged at. */
  now: Date;
  /** Seeds every shuffle; the same seed, snapshot and requests give the same placements. */
  seed: number;
  /** Score a sample of feasible nodes (default) or every feasible node (false). */
  sampling?: boolean;
  /** Feasible nodes per sample; defaults to `defaultSampleSize(nodes.length)`. */
  sampleSize?: number;
}

/** A planner over a cluster: places requests one by one, counting each placement. */
export interface Planner {
  /** Places one allocation and, on success, counts it against the chosen node. */
  place(req: PlacementRequest): Placement;
  /** The nodes with this planner's placements counted in. */
  nodes(): readonly NodeView[];
}

/** Feasible nodes scored per placement when sampling: 2·⌈log2 n⌉ + 4. */
export function defaultSampleSize(nodeCount: number): number {
  return nodeCount <= 1 ? 1 : 2 * Math.ceil(Math.log2(nodeCount)) + 4;
}

/**
 * A planner for a batch. Given a `ClusterView`, placements are counted in the view (the worker's
 * long-lived view); given a node array, a private view is built and the array left untouched.
 */
export function createPlanner(
  cluster: ClusterView | readonly NodeView[],
  options: PlanOptions,
): Planner {
  const view = cluster instanceof ClusterView ? cluster : new ClusterView(cluster);

  function place(req: PlacementRequest): Placement {
    // Looked up per request: an upsert that adds a node rebuilds the indexes.
    const { static: index, usage } = view.indexes();
    index.setNow(options.now);
    const sampleSize = Math.max(1, Math.floor(options.sampleSize ?? defaultSampleSize(usage.size)));
    const candidates = index.candidates(req);
    usage.nextMark();
    const job: Job = {
      req,
      index,
      usage,
      candidates,
      evaluator: new Evaluator(req, usage, index),
      random: placementRandom(options.seed, req.workloadId, req.allocationIndex),
      sampleSize,
      // Each top-up adds at most this many nodes: enough to see a few favoured nodes, few
      // enough that top-ups do not cost more than the sample itself.
      topUpSize: Math.ceil(sampleSize / 4),
    };
    let pick = -1;
    if (candidates.count > 0) pick = options.sampling === false ? exhaustive(job) : sample(job);
    if (pick < 0) return failure(job, view.nodes());
    const placement: Placement = {
      ok: true,
      nodeId: view.nodes()[pick].id,
      score: job.evaluator.score(pick),
      scores: job.evaluator.breakdown(pick),
    };
    usage.apply(pick, req);
    return placement;
  }

  return { place, nodes: () => view.nodes() };
}

/** One placement being decided. */
interface Job {
  req: PlacementRequest;
  index: StaticIndex;
  usage: UsageIndex;
  candidates: Candidates;
  evaluator: Evaluator;
  random: Random;
  sampleSize: number;
  topUpSize: number;
}

/** Every candidate in the naive planner's order; the first best score wins. */
function exhaustive({ candidates, evaluator, random, usage }: Job): number {
  let best = -1;
  let bestScore = -1;
  for (const i of shuffledIndices(usage.size, random)) {
    if (!hasBit(candidates.bits, i) || evaluator.rejection(i) !== null) continue;
    const score = evaluator.score(i);
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}

/** The best of a seeded sample of feasible candidates, topped up with favoured nodes. */
function sample(job: Job): number {
  const { req, index, usage, candidates, evaluator, random, sampleSize, topUpSize } = job;
  const { bits } = candidates;
  const { seen, mark } = usage;
  let best = -1;
  let bestScore = -1;
  // Looks at a node at most once per placement; true when it is a feasible candidate.
  const consider = (i: number): boolean => {
    if (seen[i] === mark || !hasBit(bits, i)) return false;
    seen[i] = mark;
    if (evaluator.rejection(i) !== null) return false;
    const score = evaluator.score(i);
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
    return true;
  };
  // A hard affinity rule confines the search to nodes already running the workloads it names,
  // usually far fewer than the candidates.
  let source: Int32Array | number[] = candidates.list ?? usage.everyNode;
  for (const rule of req.affinity) {
    if (!rule.hard || rule.type !== "affinity") continue;
    const near = usage.holders(rule.workloadLabel.key, rule.workloadLabel.value);
    if (near.length < source.length) source = near;
  }
  let feasible = 0;
  let position = 0;
  while (position < source.length && feasible < sampleSize) {
    if (consider(drawAt(source, position++, random))) feasible++;
  }
  // Reached the end: every candidate was tried, nothing to top up.
  if (position >= source.length) return best;

  for (const volume of req.volumes) {
    const held = usage.volumeHolders(volume);
    for (let p = 0; p < held.length && p < topUpSize; p++) consider(held[p]);
  }
  for (const rule of req.affinity) {
    if (rule.hard || rule.type !== "affinity") continue;
    // Nodes running the workloads include non-candidates; bounded draws keep a rare overlap
    // from costing a scan.
    const near = usage.holders(rule.workloadLabel.key, rule.workloadLabel.value);
    let hits = 0;
    for (let p = 0; p < near.length && p < 4 * topUpSize && hits < topUpSize; p++) {
      const i = drawAt(near, p, random);
      if (hasBit(bits, i)) {
        hits++;
        consider(i);
      }
    }
  }
  for (const preference of req.nodePreferences) {
    if (preference.weight <= 0) continue;
    const list = index.labelled(candidates, preference.label, preference.value);
    for (let p = 0; p < list.length && p < topUpSize; p++) consider(drawAt(list, p, random));
  }
  return best;
}

/** Rejections counted exactly as the naive planner counts them: first filter per node. */
function failure({ req, index, evaluator }: Job, nodes: readonly NodeView[]): Placement {
  const { reasons, passed } = index.staticRejections(req);
  for (const i of passed) {
    const name = evaluator.rejection(i);
    if (name === null) {
      // Only a bug (an index disagreeing with the filters) gets here: say so loudly.
      throw new Error(
        `Cannot explain why "${req.workloadId}" was not placed: node "${
          nodes[i].id
        }" passes every filter`,
      );
    }
    reasons[name] = (reasons[name] ?? 0) + 1;
  }
  return placementFailed(reasons, req);
}

/** Places requests in order, counting each placement, so a batch never overcommits a node. */
export function planPlacements(
  nodes: ClusterView | readonly NodeView[],
  requests: readonly PlacementRequest[],
  options: PlanOptions,
): Placement[] {
  const planner = createPlanner(nodes, options);
  return requests.map((req) => planner.place(req));
}

/** Places one allocation. */
export function place(
  nodes: ClusterView | readonly NodeView[],
  req: PlacementRequest,
  options: PlanOptions,
): Placement {
  return createPlanner(nodes, options).place(req);
}
