/**
 * Rejection counts in words: "3 nodes lack 4 GiB of memory; 2 are offline; 1 is outside its
 * computation hours". Most common reason first; ties in filter order.
 */
import { FILTERS } from "./filters.ts";
import type { FilterName, PlacementFailed, PlacementRequest } from "./types.ts";

/** Rejected-node counts per filter (only filters that rejected something). */
export type Reasons = Partial<Record<FilterName, number>>;

/** The human summary of why no node fits. */
export function summariseReasons(reasons: Reasons, req: PlacementRequest): string {
  const parts = FILTERS
    .map((filter, order) => ({ filter, order, count: reasons[filter.name] ?? 0 }))
    .filter((entry) => entry.count > 0)
    .sort((a, b) => b.count - a.count || a.order - b.order)
    .map(({ filter, count }, i) => {
      const subject = i > 0 ? `${count}` : `${count} ${count === 1 ? "node" : "nodes"}`;
      return `${subject} ${filter.phrase(count, req)}`;
    });
  return parts.length === 0 ? "there are no nodes" : parts.join("; ");
}

/** A failed placement with its counts and summary. */
export function placementFailed(reasons: Reasons, req: PlacementRequest): PlacementFailed {
  return { ok: false, reasons, summary: summariseReasons(reasons, req) };
}
