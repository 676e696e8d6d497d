import assert from "node:assert/strict";
import { computeRank, RANK_WEIGHTS, type RankHistory, rankParts } from "./rank.ts";

const steady: RankHistory = {
  availability: 0.9,
  jobSuccessRate: 0.95,
  heartbeatJitter: 0.1,
  offered: { cpuMillicores: 8000, memoryMiB: 16384, gpus: 0 },
  tenureDays: 30,
};

const with_ = (change: (history: RankHistory) => void): RankHistory => {
  const history = structuredClone(steady);
  change(history);
  return history;
};

Deno.test("computeRank() weights sum to 1000", () => {
  assert.equal(Object.values(RANK_WEIGHTS).reduce((a, b) => a + b, 0), 1000);
});

Deno.test("computeRank() gives 0 to a node with nothing to show", () => {
  assert.equal(
    computeRank({
      availability: 0,
      jobSuccessRate: 0,
      heartbeatJitter: Infinity,
      offered: { cpuMillicores: 0, memoryMiB: 0, gpus: 0 },
      tenureDays: 0,
    }),
    0,
  );
});

Deno.test("computeRank() approaches 1000 for a perfect, huge, old node and never exceeds it", () => {
  const rank = computeRank({
    availability: 1,
    jobSuccessRate: 1,
    heartbeatJitter: 0,
    offered: { cpuMillicores: 1e9, memoryMiB: 1e9, gpus: 1e6 },
    tenureDays: 1e6,
  });
  assert.ok(rank >= 999 && rank <= 1000, String(rank));
  assert.equal(
    computeRank({
      availability: 1,
      jobSuccessRate: 1,
      heartbeatJitter: 0,
      offered: { cpuMillicores: Infinity, memoryMiB: Infinity, gpus: Infinity },
      tenureDays: Infinity,
    }),
    1000,
  );
});

Deno.test("computeRank() of a steady node, part by part", () => {
  const parts = rankParts(steady);
  const expected = {
    availability: 0.9,
    jobSuccess: 0.95,
    resources: 0.4, // half of CPU's 0.4 and memory's 0.4, no GPU
    heartbeatStability: 0.25 / 0.35,
    tenure: 0.5,
  };
  for (const [key, value] of Object.entries(expected)) {
    assert.ok(Math.abs(parts[key as keyof typeof parts] - value) < 1e-12, key);
  }
  // 360 + 237.5 + 60 + 71.43 + 50
  assert.equal(computeRank(steady), 779);
});

/** Each input, with increasing values; every step may only raise the rank. */
const SWEEPS: [string, number[], (history: RankHistory, value: number) => void][] = [
  ["availability", [0, 0.1, 0.5, 0.9, 0.99, 1], (h, v) => h.availability = v],
  ["job success rate", [0, 0.2, 0.5, 0.8, 1], (h, v) => h.jobSuccessRate = v],
  // Less jitter is better, so sweep it downwards.
  ["heartbeat regularity", [10, 2, 1, 0.5, 0.25, 0.05, 0], (h, v) => h.heartbeatJitter = v],
  ["CPU offered", [0, 500, 2000, 8000, 64000, 1e6], (h, v) => h.offered.cpuMillicores = v],
  ["memory offered", [0, 512, 4096, 65536, 1e7], (h, v) => h.offered.memoryMiB = v],
  ["GPUs offered", [0, 1, 2, 8], (h, v) => h.offered.gpus = v],
  ["tenure", [0, 1, 7, 30, 365, 3650], (h, v) => h.tenureDays = v],
];

for (const [name, values, set] of SWEEPS) {
  Deno.test(`computeRank() is monotone in ${name}`, () => {
    const ranks = values.map((v) => computeRank(with_((h) => set(h, v))));
    for (let i = 1; i < ranks.length; i++) {
      assert.ok(ranks[i] >= ranks[i - 1], `${name}: ${ranks.join(" → ")}`);
    }
    assert.ok(ranks[ranks.length - 1] > ranks[0], `${name} never changes the rank`);
  });
}

Deno.test("computeRank() is monotone in every input at once, over random histories", () => {
  let state = 42;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let k = 0; k < 500; k++) {
    const a: RankHistory = {
      availability: random(),
      jobSuccessRate: random(),
      heartbeatJitter: random() * 2,
      offered: {
        cpuMillicores: random() * 64000,
        memoryMiB: random() * 131072,
        gpus: random() * 4,
      },
      tenureDays: random() * 400,
    };
    const b = structuredClone(a);
    b.availability = Math.min(1, a.availability + random() * 0.1);
    b.jobSuccessRate = Math.min(1, a.jobSuccessRate + random() * 0.1);
    b.heartbeatJitter = a.heartbeatJitter * random();
    b.offered.cpuMillicores += random() * 1000;
    b.offered.memoryMiB += random() * 1000;
    b.offered.gpus += random() < 0.5 ? 1 : 0;
    b.tenureDays += random() * 10;
    const [ra, rb] = [computeRank(a), computeRank(b)];
    assert.ok(Number.isInteger(ra) && ra >= 0 && ra <= 1000);
    assert.ok(rb >= ra, `${JSON.stringify(a)} → ${ra}, better → ${rb}`);
  }
});

Deno.test("computeRank() treats nonsense inputs as the worst value, not as NaN", () => {
  const rank = computeRank(with_((h) => {
    h.availability = NaN;
    h.heartbeatJitter = NaN;
    h.tenureDays = -5;
  }));
  assert.ok(Number.isInteger(rank));
  assert.equal(
    rank,
    computeRank(with_((h) => {
      h.availability = 0;
      h.heartbeatJitter = Infinity;
      h.tenureDays = 0;
    })),
  );
});
