/**
 * A node's badge tier from its rank (0–1000), shown beside the rank on the Nodes page and the
 * leaderboard. Pure; the thresholds follow the rank's weights (DESIGN §5): availability alone is
 * worth 400, so "gold" needs a node that is almost always there and rarely fails a deploy.
 */

export const BADGE_TIERS = ["new", "bronze", "silver", "gold", "platinum"] as const;
export type BadgeTier = (typeof BADGE_TIERS)[number];

/** The lowest rank of each tier, best first. */
const THRESHOLDS: readonly [BadgeTier, number][] = [
  ["platinum", 900],
  ["gold", 750],
  ["silver", 550],
  ["bronze", 300],
];

/** The tier of a rank; `new` below 300 and for nodes never ranked (`rankedAt` null). */
export function badgeTier(rank: number, rankedAt: Date | string | null = new Date(0)): BadgeTier {
  if (rankedAt === null) return "new";
  for (const [tier, min] of THRESHOLDS) if (rank >= min) return tier;
  return "new";
}

/** A label for people: "Gold". */
export function badgeLabel(tier: BadgeTier): string {
  return tier === "new" ? "New" : tier[0].toUpperCase() + tier.slice(1);
}
