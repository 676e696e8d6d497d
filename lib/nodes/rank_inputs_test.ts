import assert from "node:assert/strict";
import {
  computeRanks,
  JOB_SUCCESS_PRIOR,
  NEUTRAL_JITTER,
  type RankInputRow,
  toRankHistory,
} from "./rank_inputs.ts";
import type { RankHistory } from "../../scheduler/rank.ts";
import { SIM_CAPABILITIES } from "../../tests/helpers/sim_agent.ts";

const DAY = 86_400;

const base: RankInputRow = {
  nodeId: "00000000-0000-4000-8000-0000000000aa",
  currentRank: 500,
  windowSeconds: 30 * DAY,
  onlineSeconds: 15 * DAY,
  tenureSeconds: 60 * DAY,
  capabilities: null,
  offer: null,
  deploysSucceeded: 0,
  deploysFailed: 0,
  heartbeatGaps: 0,
  gapMeanMs: null,
  gapStddevMs: null,
};

const row = (change: Partial<RankInputRow>): RankInputRow => ({ ...base, ...change });

/** [case, row, the fields of RankHistory it must produce]. */
const CASES: [string, RankInputRow, Partial<RankHistory>][] = [
  ["half the window online", base, { availability: 0.5, tenureDays: 60 }],
  ["online all the time", row({ onlineSeconds: 30 * DAY }), { availability: 1 }],
  [
    "more online than the window (a partly covered first day) caps at 1",
    row({ onlineSeconds: 31 * DAY }),
    { availability: 1 },
  ],
  ["an empty window (approved this instant)", row({ windowSeconds: 0 }), { availability: 0 }],
  ["a NaN from the database counts as nothing", row({ onlineSeconds: NaN }), { availability: 0 }],
  ["no jobs: the prior", base, { jobSuccessRate: JOB_SUCCESS_PRIOR.rate }],
  [
    "one failure of one job is softened by the prior",
    row({ deploysFailed: 1 }),
    { jobSuccessRate: 4.5 / 6 },
  ],
  [
    "many successes outweigh the prior",
    row({ deploysSucceeded: 95, deploysFailed: 0 }),
    { jobSuccessRate: 99.5 / 100 },
  ],
  [
    "many failures outweigh the prior",
    row({ deploysSucceeded: 0, deploysFailed: 95 }),
    { jobSuccessRate: 4.5 / 100 },
  ],
  ["no heartbeats: neutral jitter", base, { heartbeatJitter: NEUTRAL_JITTER }],
  [
    "too few gaps: neutral jitter",
    row({ heartbeatGaps: 2, gapMeanMs: 5000, gapStddevMs: 4000 }),
    { heartbeatJitter: NEUTRAL_JITTER },
  ],
  [
    "regular heartbeats: coefficient of variation",
    row({ heartbeatGaps: 100, gapMeanMs: 5000, gapStddevMs: 500 }),
    { heartbeatJitter: 0.1 },
  ],
  [
    "perfectly regular heartbeats",
    row({ heartbeatGaps: 100, gapMeanMs: 5000, gapStddevMs: 0 }),
    { heartbeatJitter: 0 },
  ],
  [
    "zero-length gaps only (one flushed batch): neutral",
    row({ heartbeatGaps: 10, gapMeanMs: 0, gapStddevMs: 0 }),
    { heartbeatJitter: NEUTRAL_JITTER },
  ],
  [
    "no capabilities yet: nothing offered",
    base,
    { offered: { cpuMillicores: 0, memoryMiB: 0, gpus: 0 } },
  ],
  [
    "capabilities as reported",
    row({ capabilities: SIM_CAPABILITIES }),
    {
      offered: {
        cpuMillicores: SIM_CAPABILITIES.cpu.cores * 1000,
        memoryMiB: Math.floor(SIM_CAPABILITIES.memoryBytes / 2 ** 20),
        gpus: SIM_CAPABILITIES.gpus.length,
      },
    },
  ],
  [
    "capabilities after the owner's caps",
    row({ capabilities: SIM_CAPABILITIES, offer: { cpuPercent: 50, memoryMiB: 1024 } }),
    {
      offered: {
        cpuMillicores: SIM_CAPABILITIES.cpu.cores * 500,
        memoryMiB: 1024,
        gpus: SIM_CAPABILITIES.gpus.length,
      },
    },
  ],
  ["tenure in days", row({ tenureSeconds: 1.5 * DAY }), { tenureDays: 1.5 }],
  ["negative tenure (clock skew) counts as none", row({ tenureSeconds: -10 }), { tenureDays: 0 }],
];

for (const [name, input, expected] of CASES) {
  Deno.test(`toRankHistory(): ${name}`, () => {
    const history = toRankHistory(input);
    for (const [key, value] of Object.entries(expected)) {
      const actual = history[key as keyof RankHistory];
      if (typeof value === "number") {
        assert.ok(
          Math.abs((actual as number) - value) < 1e-9,
          `${key}: expected ${value}, got ${actual}`,
        );
      } else assert.deepEqual(actual, value, key);
    }
  });
}

Deno.test("computeRanks() orders a reliable node above a flaky one and flags changes", () => {
  const reliable = row({
    nodeId: "reliable",
    onlineSeconds: 29 * DAY,
    deploysSucceeded: 20,
    heartbeatGaps: 500,
    gapMeanMs: 5000,
    gapStddevMs: 100,
    capabilities: SIM_CAPABILITIES,
  });
  const flaky = row({
    nodeId: "flaky",
    onlineSeconds: 3 * DAY,
    deploysSucceeded: 2,
    deploysFailed: 8,
    heartbeatGaps: 500,
    gapMeanMs: 5000,
    gapStddevMs: 6000,
    capabilities: SIM_CAPABILITIES,
  });
  const [a, b] = computeRanks([reliable, flaky]);
  assert.ok(a.rank > b.rank, `${a.rank} vs ${b.rank}`);
  assert.equal(a.changed, a.rank !== 500);
  for (const part of Object.values(a.parts)) assert.ok(part >= 0 && part <= 1);
  // Parts are rounded to four decimals for storage.
  assert.equal(b.parts.availability, 0.1);
  const [same] = computeRanks([{ ...reliable, currentRank: a.rank }]);
  assert.equal(same.changed, false);
});
