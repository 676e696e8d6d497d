import assert from "node:assert/strict";
import { ClusterView } from "./cluster_view.ts";
import { Evaluator } from "./evaluator.ts";
import { createFilterContext, DYNAMIC_FILTERS, firstRejection } from "./filters.ts";
import { SCORE_WEIGHTS, scoreBreakdown, scoreNode, SCORERS } from "./scorers.ts";
import { simulatedCluster, simulatedRequests } from "./simulate.ts";
import { node, request } from "./testing.ts";
import type { NodeView, PlacementRequest, ScorerName } from "./types.ts";

interface Case {
  name: string;
  scorer: ScorerName;
  node?: Partial<NodeView>;
  req?: Partial<PlacementRequest>;
  /** null when the scorer does not apply. */
  expect: number | null;
}

const resources = (cpu: number, memory: number, disk: number, gpus: number) => ({
  cpuMillicores: cpu,
  memoryMiB: memory,
  diskGiB: disk,
  gpus,
});
const half = { allocated: resources(1500, 3584, 49, 0) }; // +500, +512, +1 → half of each
const placed = (workloadId: string, labels: Record<string, string>) => ({ workloadId, labels });
const rule = (value: string, type: "affinity" | "anti-affinity", hard = false) => ({
  workloadLabel: { key: "app", value },
  type,
  hard,
});

const CASES: Case[] = [
  { name: "rank 0 is 0", scorer: "rank", node: { rank: 0 }, expect: 0 },
  { name: "rank 640 is 0.64", scorer: "rank", node: { rank: 640 }, expect: 0.64 },
  { name: "rank 1000 is 1", scorer: "rank", node: { rank: 1000 }, expect: 1 },
  {
    name: "binpack: utilisation after placing, averaged over CPU, memory and disk",
    scorer: "binpack",
    node: half,
    expect: 0.5,
  },
  {
    name: "binpack: an idle node scores low",
    scorer: "binpack",
    expect: (500 / 4000 + 512 / 8192 + 1 / 100) / 3,
  },
  {
    name: "binpack: a node the allocation fills scores 1",
    scorer: "binpack",
    node: { allocated: resources(3500, 7680, 99, 0) },
    expect: 1,
  },
  {
    name: "binpack: counts GPUs when the request uses them",
    scorer: "binpack",
    node: { capacity: resources(4000, 8192, 100, 2), allocated: resources(1500, 3584, 49, 0) },
    req: { resources: resources(500, 512, 1, 1) },
    expect: (0.5 + 0.5 + 0.5 + 0.5) / 4,
  },
  {
    name: "binpack: skips what the node does not offer",
    scorer: "binpack",
    node: { capacity: resources(4000, 8192, 0, 0), allocated: resources(1500, 3584, 0, 0) },
    expect: 0.5,
  },
  {
    name: "binpack: does not apply to spread requests",
    scorer: "binpack",
    req: { strategy: "spread" },
    expect: null,
  },
  {
    name: "spread: one minus utilisation",
    scorer: "spread",
    node: { allocated: resources(500, 1536, 24, 0) },
    req: { strategy: "spread" },
    expect: 0.75,
  },
  {
    name: "spread: a full node scores 0",
    scorer: "spread",
    node: { allocated: resources(4000, 8192, 100, 0) },
    req: { strategy: "spread" },
    expect: 0,
  },
  { name: "spread: does not apply to binpack requests", scorer: "spread", expect: null },
  { name: "affinity: no rules, does not apply", scorer: "affinity", expect: null },
  {
    name: "affinity: hard rules are filters, not scores",
    scorer: "affinity",
    req: { affinity: [rule("db", "affinity", true)] },
    expect: null,
  },
  {
    name: "affinity: beside the wanted workload",
    scorer: "affinity",
    node: { workloadsPlaced: [placed("db-1", { app: "db" })] },
    req: { affinity: [rule("db", "affinity")] },
    expect: 1,
  },
  {
    name: "affinity: away from the wanted workload",
    scorer: "affinity",
    req: { affinity: [rule("db", "affinity")] },
    expect: 0,
  },
  {
    name: "anti-affinity: beside the unwanted workload",
    scorer: "affinity",
    node: { workloadsPlaced: [placed("web-2", { app: "web" })] },
    req: { affinity: [rule("web", "anti-affinity")] },
    expect: 0,
  },
  {
    name: "affinity: the share of soft rules satisfied",
    scorer: "affinity",
    node: { workloadsPlaced: [placed("web-2", { app: "web" }), placed("db-1", { app: "db" })] },
    req: {
      affinity: [rule("db", "affinity"), rule("web", "anti-affinity"), rule("x", "affinity", true)],
    },
    expect: 0.5,
  },
  { name: "preferences: none, does not apply", scorer: "preferences", expect: null },
  {
    name: "preferences: a matched preference",
    scorer: "preferences",
    req: { nodePreferences: [{ label: "disk", value: "ssd", weight: 10 }] },
    expect: 1,
  },
  {
    name: "preferences: weighted share of matches",
    scorer: "preferences",
    req: {
      nodePreferences: [
        { label: "disk", value: "ssd", weight: 30 },
        { label: "region", value: "us-east", weight: 10 },
      ],
    },
    expect: 0.75,
  },
  {
    name: "preferences: a negative weight earns when the label is absent",
    scorer: "preferences",
    req: {
      nodePreferences: [
        { label: "disk", value: "hdd", weight: -20 },
        { label: "region", value: "us-east", weight: 20 },
      ],
    },
    expect: 0.5,
  },
  {
    name: "preferences: a negative weight costs when the label is there",
    scorer: "preferences",
    req: { nodePreferences: [{ label: "disk", value: "ssd", weight: -20 }] },
    expect: 0,
  },
  {
    name: "preferences: zero weights do not apply",
    scorer: "preferences",
    req: { nodePreferences: [{ label: "disk", value: "ssd", weight: 0 }] },
    expect: null,
  },
  { name: "volumes: none, does not apply", scorer: "volumes", expect: null },
  {
    name: "volumes: the share of the workload's volumes held",
    scorer: "volumes",
    node: { volumesHeld: ["w-1/data", "w-9/data"] },
    req: { volumes: ["w-1/data", "w-1/logs"] },
    expect: 0.5,
  },
  {
    name: "volumes: holds them all",
    scorer: "volumes",
    node: { volumesHeld: ["w-1/data"] },
    req: { volumes: ["w-1/data"] },
    expect: 1,
  },
];

for (const c of CASES) {
  Deno.test(`the ${c.scorer} scorer: ${c.name}`, () => {
    const scorer = SCORERS.find((s) => s.name === c.scorer)!;
    const value = scorer.score(node(c.node), request(c.req));
    if (c.expect === null) assert.equal(value, null);
    else {
      assert.ok(value !== null);
      assert.ok(Math.abs(value - c.expect) < 1e-12, `${value} ≠ ${c.expect}`);
    }
  });
}

Deno.test("every scorer has cases, including one where it does not apply (or always applies)", () => {
  for (const scorer of SCORERS) {
    const cases = CASES.filter((c) => c.scorer === scorer.name);
    assert.ok(cases.length >= 3, scorer.name);
    assert.ok(scorer.name === "rank" || cases.some((c) => c.expect === null), scorer.name);
  }
});

Deno.test("scoreNode() is the weighted mean of the scorers that apply", () => {
  const n = node({ rank: 1000, ...half });
  // rank 1 (weight 1), binpack 0.5 (weight 2); nothing else applies.
  const expected = (SCORE_WEIGHTS.rank * 1 + SCORE_WEIGHTS.binpack * 0.5) /
    (SCORE_WEIGHTS.rank + SCORE_WEIGHTS.binpack);
  assert.equal(scoreNode(n, request()), expected);
  assert.deepEqual(scoreBreakdown(n, request()), { rank: 1, binpack: 0.5 });
});

Deno.test("scoreNode() is not diluted by scorers that do not apply", () => {
  // Same node, same values: adding scorers that return null changes nothing.
  const n = node({ rank: 300 });
  const plain = scoreNode(n, request());
  const withHardRuleOnly = scoreNode(n, request({ affinity: [rule("x", "anti-affinity", true)] }));
  assert.equal(withHardRuleOnly, plain);
  // A scorer that applies and scores 1 raises the mean; one that scores 0 lowers it.
  assert.ok(scoreNode(n, request({ volumes: ["v"] })) < plain);
  const held = node({ rank: 300, volumesHeld: ["v"] });
  assert.ok(scoreNode(held, request({ volumes: ["v"] })) > plain);
});

Deno.test("scores stay within 0…1", () => {
  const cluster = simulatedCluster({ nodes: 50, seed: 3, fill: 1 });
  for (const req of simulatedRequests({ count: 50, seed: 4, everything: false })) {
    for (const n of cluster) {
      const score = scoreNode(n, req);
      assert.ok(score >= 0 && score <= 1, String(score));
    }
  }
});

Deno.test("the fast evaluator rejects and scores exactly as the filters and scorers do", () => {
  const now = new Date("2026-11-18T14:30:00Z");
  const ctx = createFilterContext(now);
  for (let seed = 0; seed < 5; seed++) {
    const cluster = simulatedCluster({ nodes: 60, seed, fill: 0.9 });
    const view = new ClusterView(cluster);
    const { static: index, usage } = view.indexes();
    index.setNow(now);
    for (
      const req of simulatedRequests({ count: 40, seed: 100 + seed, everything: seed % 2 === 0 })
    ) {
      usage.nextMark();
      const evaluator = new Evaluator(req, usage, index);
      cluster.forEach((n, i) => {
        assert.equal(
          evaluator.rejection(i),
          firstRejection(n, req, ctx, DYNAMIC_FILTERS)?.name ?? null,
        );
        // Bit for bit: ties must break the same way in both planners.
        assert.ok(Object.is(evaluator.score(i), scoreNode(n, req)));
        assert.deepEqual(evaluator.breakdown(i), scoreBreakdown(n, req));
      });
    }
  }
});
