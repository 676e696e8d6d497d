/**
 * The naive planner: for every request, every node through every filter and every scorer, no
 * indexes and no sampling. It is the benchmark's baseline and the tests' oracle: the fast
 * planner must never pick a node this one rejects, and with sampling off must pick the same
 * node (same seeded shuffle, same filters and scorers, first best score wins).
 */
import { withAllocation } from "./apply.ts";
import { createFilterContext, firstRejection } from "./filters.ts";
import type { PlanOptions } from "./place.ts";
import { placementRandom, shuffledIndices } from "./random.ts";
import { scoreBreakdown, scoreNode } from "./scorers.ts";
import { placementFailed, type Reasons } from "./summary.ts";
import type { NodeView, Placement, PlacementRequest } from "./types.ts";

/** Places requests in order by scanning every node, counting each placement as it goes. */
export function planNaive(
  nodes: readonly NodeView[],
  requests: readonly PlacementRequest[],
  options: Pick<PlanOptions, "now" | "seed">,
): Placement[] {
  const ctx = createFilterContext(options.now);
  const live = nodes.slice();
  return requests.map((req) => {
    const random = placementRandom(options.seed, req.workloadId, req.allocationIndex);
    const reasons: Reasons = {};
    let best = -1;
    let bestScore = -1;
    for (const i of shuffledIndices(live.length, random)) {
      const rejected = firstRejection(live[i], req, ctx);
      if (rejected) {
        reasons[rejected.name] = (reasons[rejected.name] ?? 0) + 1;
        continue;
      }
      const score = scoreNode(live[i], req);
      if (score > bestScore) [best, bestScore] = [i, score];
    }
    if (best < 0) return placementFailed(reasons, req);
    const node = live[best];
    live[best] = withAllocation(node, req);
    return { ok: true, nodeId: node.id, score: bestScore, scores: scoreBreakdown(node, req) };
  });
}

/** Places one allocation by scanning every node. */
export function placeNaive(
  nodes: readonly NodeView[],
  req: PlacementRequest,
  options: Pick<PlanOptions, "now" | "seed">,
): Placement {
  return planNaive(nodes, [req], options)[0];
}
