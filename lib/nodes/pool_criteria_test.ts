import assert from "node:assert/strict";
import {
  choosePool,
  criteriaCount,
  matchesCriteria,
  type NodeFacts,
  PoolCriteria,
  type PoolForMatch,
} from "./pool_criteria.ts";

const HOME = "home";
const node = (labels: Record<string, string>, gpus: number | null = 0): NodeFacts => ({
  labels,
  gpus,
});
const pool = (name: string, criteria: PoolCriteria): PoolForMatch => ({
  id: `id-${name}`,
  name,
  criteria,
});

Deno.test("matchesCriteria() checks every condition and matches nothing on empty criteria", () => {
  const cases: [string, NodeFacts, PoolCriteria, boolean][] = [
    ["empty criteria", node({ zone: "x" }), {}, false],
    ["empty label map", node({ zone: "x" }), { labels: {} }, false],
    ["one label", node({ zone: "x", os: "linux" }), { labels: { zone: "x" } }, true],
    ["label value differs", node({ zone: "y" }), { labels: { zone: "x" } }, false],
    ["label missing", node({}), { labels: { zone: "x" } }, false],
    ["all labels", node({ a: "1", b: "2" }), { labels: { a: "1", b: "2" } }, true],
    ["one label of two", node({ a: "1" }), { labels: { a: "1", b: "2" } }, false],
    ["region label", node({ region: "eu" }), { region: "eu" }, true],
    ["other region", node({ region: "us" }), { region: "eu" }, false],
    ["no region label", node({}), { region: "eu" }, false],
    ["environment label", node({ environment: "prod" }), { environment: "prod" }, true],
    ["other environment", node({ environment: "dev" }), { environment: "prod" }, false],
    ["gpu wanted, one gpu", node({}, 1), { gpu: true }, true],
    ["gpu wanted, none", node({}, 0), { gpu: true }, false],
    ["no gpu wanted, none", node({}, 0), { gpu: false }, true],
    ["no gpu wanted, two", node({}, 2), { gpu: false }, false],
    ["gpu wanted, no hello yet", node({}, null), { gpu: true }, false],
    ["no gpu wanted, no hello yet", node({}, null), { gpu: false }, false],
    [
      "everything at once",
      node({ region: "eu", environment: "prod", rack: "r1" }, 1),
      { labels: { rack: "r1" }, region: "eu", environment: "prod", gpu: true },
      true,
    ],
    [
      "everything but the gpu",
      node({ region: "eu", environment: "prod", rack: "r1" }, 0),
      { labels: { rack: "r1" }, region: "eu", environment: "prod", gpu: true },
      false,
    ],
  ];
  for (const [name, n, c, want] of cases) {
    assert.equal(matchesCriteria(n, c), want, name);
  }
});

Deno.test("criteriaCount() counts each label and each other field", () => {
  assert.equal(criteriaCount({}), 0);
  assert.equal(criteriaCount({ labels: { a: "1", b: "2" } }), 2);
  assert.equal(criteriaCount({ labels: { a: "1" }, region: "eu", gpu: false }), 3);
  assert.equal(criteriaCount({ environment: "dev", gpu: true, region: "x" }), 3);
});

Deno.test("choosePool() picks the most specific match, ties by name, else the fallback", () => {
  const zone = pool("zone-x", { labels: { zone: "x" } });
  const zoneGpu = pool("zone-x-gpu", { labels: { zone: "x" }, gpu: true });
  const gpuA = pool("a-gpu", { gpu: true });
  const gpuB = pool("b-gpu", { gpu: true });
  const empty = pool("aaa-empty", {});
  const eu = pool("eu", { region: "eu" });
  const cases: [string, NodeFacts, PoolForMatch[], string][] = [
    ["nothing matches", node({ zone: "y" }), [zone, eu], HOME],
    ["no pools", node({ zone: "x" }), [], HOME],
    ["empty criteria never match", node({ zone: "x" }), [empty], HOME],
    ["one match", node({ zone: "x" }), [zone, eu, empty], zone.id],
    ["more criteria win", node({ zone: "x" }, 1), [zone, zoneGpu, gpuA], zoneGpu.id],
    ["more criteria win whatever the order", node({ zone: "x" }, 1), [zoneGpu, zone], zoneGpu.id],
    ["ties by name", node({}, 1), [gpuB, gpuA], gpuA.id],
    ["ties by name, other order", node({}, 1), [gpuA, gpuB], gpuA.id],
    ["the less specific when the other fails", node({ zone: "x" }, 0), [zone, zoneGpu], zone.id],
    ["region", node({ region: "eu" }), [zone, eu], eu.id],
  ];
  for (const [name, n, pools, want] of cases) {
    assert.equal(choosePool(n, pools, HOME).poolId, want, name);
  }
  assert.deepEqual(choosePool(node({ zone: "x" }), [zone], HOME), {
    poolId: zone.id,
    matched: "zone-x",
  });
  assert.deepEqual(choosePool(node({}), [zone], HOME), { poolId: HOME, matched: null });
});

Deno.test("PoolCriteria refuses unknown keys and bad values", () => {
  const bad: unknown[] = [
    { zone: "x" },
    { labels: { "bad key!": "x" } },
    { labels: { a: 1 } },
    { region: "" },
    { gpu: "yes" },
    { environment: "production" },
    { labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, "v"])) },
  ];
  for (const c of bad) assert.equal(PoolCriteria.safeParse(c).success, false, JSON.stringify(c));
  const good: unknown[] = [
    {},
    { labels: { zone: "x" } },
    { region: "eu", environment: "staging", gpu: false },
  ];
  for (const c of good) assert.equal(PoolCriteria.safeParse(c).success, true, JSON.stringify(c));
});
