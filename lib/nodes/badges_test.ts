import assert from "node:assert/strict";
import { badgeLabel, badgeTier } from "./badges.ts";

Deno.test("badgeTier: thresholds at their edges, and never-ranked nodes are new", () => {
  const cases: [number, string][] = [
    [0, "new"],
    [299, "new"],
    [300, "bronze"],
    [549, "bronze"],
    [550, "silver"],
    [749, "silver"],
    [750, "gold"],
    [899, "gold"],
    [900, "platinum"],
    [1000, "platinum"],
  ];
  for (const [rank, tier] of cases) assert.equal(badgeTier(rank), tier, `rank ${rank}`);
  assert.equal(badgeTier(950, null), "new");
  assert.equal(badgeLabel("gold"), "Gold");
  assert.equal(badgeLabel("new"), "New");
});
