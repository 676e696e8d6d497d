/**
 * The scheduler's pure core (DESIGN §5): shapes, the placement pipeline, the naive baseline and
 * node rank. Nothing here does I/O; the worker feeds a `ClusterView` and runs `planPlacements`.
 */
export * from "./types.ts";
export { ClusterView } from "./cluster_view.ts";
export {
  createPlanner,
  defaultSampleSize,
  place,
  type Planner,
  type PlanOptions,
  planPlacements,
} from "./place.ts";
export { placeNaive, planNaive } from "./naive.ts";
export {
  createFilterContext,
  explainRejection,
  type Filter,
  type FilterContext,
  FILTERS,
} from "./filters.ts";
export { SCORE_WEIGHTS, scoreBreakdown, scoreNode, type Scorer, SCORERS } from "./scorers.ts";
export { type Reasons, summariseReasons } from "./summary.ts";
export { computeRank, RANK_WEIGHTS, RankHistory, rankParts } from "./rank.ts";
