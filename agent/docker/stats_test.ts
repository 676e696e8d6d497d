import assert from "node:assert/strict";
import { cpuPercent, memoryUsageBytes, readStats, withBaseline } from "./stats.ts";
import type { CpuStats, StatsSample } from "./types.ts";

function cpu(
  total: number,
  system: number | undefined,
  online?: number,
  percpu?: number[],
): CpuStats {
  return {
    cpu_usage: { total_usage: total, percpu_usage: percpu },
    system_cpu_usage: system,
    online_cpus: online,
  };
}

function sample(
  cur: CpuStats,
  pre: CpuStats,
  memory: StatsSample["memory_stats"] = {},
): StatsSample {
  return {
    read: "2024-05-01T10:00:01Z",
    preread: "2024-05-01T10:00:00Z",
    cpu_stats: cur,
    precpu_stats: pre,
    memory_stats: memory,
  };
}

const cpuCases: { name: string; cur: CpuStats; pre: CpuStats; want: number | null }[] = [
  {
    // 0.2 s of container CPU over 2 s of host CPU time (1 s wall × 2 CPUs) on 2 CPUs = 20 %.
    name: "uses online_cpus",
    cur: cpu(1_200_000_000, 12_000_000_000, 2),
    pre: cpu(1_000_000_000, 10_000_000_000, 2),
    want: 20,
  },
  {
    name: "falls back to the number of percpu_usage entries (cgroup v1 without online_cpus)",
    cur: cpu(1_100_000_000, 14_000_000_000, undefined, [1, 2, 3, 4]),
    pre: cpu(1_000_000_000, 10_000_000_000),
    want: 10,
  },
  {
    name: "a busy container on all CPUs reads CPUs × 100",
    cur: cpu(4_000_000_000, 4_000_000_000, 2),
    pre: cpu(2_000_000_000, 2_000_000_000, 2),
    want: 200,
  },
  {
    name: "has no answer without a baseline (one-shot samples)",
    cur: cpu(1_200_000_000, 12_000_000_000, 2),
    pre: cpu(0, undefined),
    want: null,
  },
  {
    name: "is 0 when no CPU time passed",
    cur: cpu(1_000_000_000, 12_000_000_000, 2),
    pre: cpu(1_000_000_000, 10_000_000_000, 2),
    want: 0,
  },
  {
    name: "is 0 when the system counter did not move",
    cur: cpu(1_200_000_000, 10_000_000_000, 2),
    pre: cpu(1_000_000_000, 10_000_000_000, 2),
    want: 0,
  },
  {
    name: "is 0 when the container counter went backwards (restart)",
    cur: cpu(100, 12_000_000_000, 2),
    pre: cpu(1_000_000_000, 10_000_000_000, 2),
    want: 0,
  },
  {
    name: "has no answer for a stopped container's empty sample",
    cur: cpu(0, undefined),
    pre: cpu(0, undefined),
    want: null,
  },
];

for (const c of cpuCases) {
  Deno.test(`cpuPercent() ${c.name}`, () => {
    const got = cpuPercent(sample(c.cur, c.pre));
    if (c.want === null) assert.equal(got, null);
    else assert.ok(got !== null && Math.abs(got - c.want) < 1e-9, `got ${got}, want ${c.want}`);
  });
}

const memoryCases: { name: string; memory: StatsSample["memory_stats"]; want: number }[] = [
  {
    name: "subtracts total_inactive_file on cgroup v1",
    memory: {
      usage: 10_000,
      stats: { total_inactive_file: 3_000, inactive_file: 1, cache: 5_000 },
    },
    want: 7_000,
  },
  {
    name: "subtracts inactive_file on cgroup v2",
    memory: { usage: 10_000, stats: { inactive_file: 4_000 } },
    want: 6_000,
  },
  {
    name: "keeps usage when the inactive count exceeds it",
    memory: { usage: 10_000, stats: { inactive_file: 20_000 } },
    want: 10_000,
  },
  { name: "keeps usage when there are no detailed stats", memory: { usage: 10_000 }, want: 10_000 },
  { name: "is 0 for a stopped container", memory: {}, want: 0 },
];

for (const c of memoryCases) {
  Deno.test(`memoryUsageBytes() ${c.name}`, () => {
    assert.equal(memoryUsageBytes(sample(cpu(0, 0), cpu(0, 0), c.memory)), c.want);
  });
}

Deno.test("withBaseline() gives a one-shot sample the previous sample's counters", () => {
  const previous = sample(cpu(1_000_000_000, 10_000_000_000, 2), cpu(0, undefined));
  const current = sample(cpu(1_200_000_000, 12_000_000_000, 2), cpu(0, undefined));
  const filled = withBaseline(current, previous);
  assert.deepEqual(filled.precpu_stats, previous.cpu_stats);
  assert.equal(filled.preread, previous.read);
  assert.equal(readStats(filled).cpuPercent, 20);
});

Deno.test("withBaseline() keeps a sample's own baseline and ignores one that is not older", () => {
  const own = sample(cpu(3, 30, 1), cpu(2, 20, 1));
  assert.equal(withBaseline(own, sample(cpu(1, 10, 1), cpu(0, undefined))), own);
  const oneShot = sample(cpu(3, 30, 1), cpu(0, undefined));
  assert.equal(withBaseline(oneShot, sample(cpu(3, 30, 1), cpu(0, undefined))), oneShot);
  assert.equal(withBaseline(oneShot, undefined), oneShot);
});

Deno.test("readStats() reports memory in use and the limit", () => {
  const s = readStats(sample(cpu(0, 0), cpu(0, 0), {
    usage: 50,
    limit: 1000,
    stats: { inactive_file: 10 },
  }));
  assert.equal(s.memoryBytes, 40);
  assert.equal(s.memoryLimitBytes, 1000);
});
