// Pure arithmetic on Docker stats samples, matching what `docker stats` shows (docker/cli
// stats_helpers.go) so numbers in Lattice agree with what a user sees in their terminal.

import type { CpuStats, StatsSample } from "./types.ts";

/** A stats sample with the numbers Lattice reports worked out. */
export interface StatsReading extends StatsSample {
  /** CPU use in percent of one CPU (200 = two CPUs busy); null when there is no baseline. */
  cpuPercent: number | null;
  /** Memory in use, page cache excluded, as `docker stats` shows it. */
  memoryBytes: number;
  /** The container's memory limit, or the host's memory when unlimited. */
  memoryLimitBytes: number;
}

/**
 * CPU % the way `docker stats` computes it: (Δcontainer CPU / Δsystem CPU) × online CPUs × 100,
 * against `precpu_stats`. Null when the sample has no baseline (one-shot samples, the first
 * sample of a stream); 0 when either delta is not positive, as docker does.
 */
export function cpuPercent(sample: StatsSample): number | null {
  const cur = sample.cpu_stats;
  const pre = sample.precpu_stats;
  if (!hasSystemUsage(cur) || !hasSystemUsage(pre)) return null;
  const cpuDelta = (cur.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cur.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  // cgroup v2 has no percpu_usage, but it always reports online_cpus.
  const onlineCpus = cur.online_cpus || cur.cpu_usage?.percpu_usage?.length || 0;
  if (systemDelta <= 0 || cpuDelta <= 0) return 0;
  return (cpuDelta / systemDelta) * onlineCpus * 100;
}

/** Memory in use minus inactive page cache, as `docker stats` shows (cgroup v1 and v2). */
export function memoryUsageBytes(sample: StatsSample): number {
  const mem = sample.memory_stats ?? {};
  const usage = mem.usage ?? 0;
  const stats = mem.stats ?? {};
  // cgroup v1 reports total_inactive_file; cgroup v2 reports inactive_file.
  const inactive = "total_inactive_file" in stats ? stats.total_inactive_file : stats.inactive_file;
  if (inactive !== undefined && inactive < usage) return usage - inactive;
  return usage;
}

/** The memory limit of the sample (Docker reports the host's memory when there is none). */
export function memoryLimitBytes(sample: StatsSample): number {
  return sample.memory_stats?.limit ?? 0;
}

/**
 * Give a sample without a baseline (one-shot, or first in a stream) the CPU counters of an
 * earlier sample of the same container as its `precpu_stats`. Returns the sample unchanged
 * when it has its own baseline or `previous` is not older.
 */
export function withBaseline(sample: StatsSample, previous: StatsSample | undefined): StatsSample {
  if (hasSystemUsage(sample.precpu_stats) || previous === undefined) return sample;
  if (!hasSystemUsage(previous.cpu_stats)) return sample;
  if ((previous.cpu_stats.system_cpu_usage ?? 0) >= (sample.cpu_stats.system_cpu_usage ?? 0)) {
    return sample;
  }
  return { ...sample, precpu_stats: previous.cpu_stats, preread: previous.read };
}

/** Attach cpuPercent, memoryBytes and memoryLimitBytes to a sample. */
export function readStats(sample: StatsSample): StatsReading {
  return {
    ...sample,
    cpuPercent: cpuPercent(sample),
    memoryBytes: memoryUsageBytes(sample),
    memoryLimitBytes: memoryLimitBytes(sample),
  };
}

function hasSystemUsage(cpu: CpuStats | undefined): cpu is CpuStats {
  return cpu !== undefined && cpu !== null && (cpu.system_cpu_usage ?? 0) > 0;
}
