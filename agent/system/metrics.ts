/**
 * Host metrics for heartbeats: CPU busy share, memory, disk and network rates. CPU and network
 * are rates, so the sampler keeps the previous reading and reports the change since then (the
 * first sample reports 0). Linux reads /proc; elsewhere the sampler falls back to what Deno knows
 * and zeros. Parsers are pure and exported for tests.
 */
import type { Metrics } from "../../lib/protocol.ts";
import type { RunCommand } from "./command.ts";
import { probeDisk, type ProbeErrorHandler, type ReadTextFile } from "./probes.ts";

/** The host part of a heartbeat's metrics. */
export type HostMetrics = Pick<Metrics, "cpuPercent" | "memory" | "disk" | "network">;

/** Cumulative CPU time from /proc/stat, in clock ticks. */
export interface CpuTimes {
  busy: number;
  total: number;
}

/** Cumulative bytes through one network interface. */
export interface InterfaceCounters {
  rxBytes: number;
  txBytes: number;
}

/** Dependencies of {@linkcode createMetricsSampler}, with real defaults. */
export interface MetricsSamplerOptions {
  readFile?: ReadTextFile;
  /** Where to measure disk use (Docker's data root, ideally). */
  diskPath?: string;
  run?: RunCommand;
  /** Milliseconds on a monotonic clock. */
  now?: () => number;
  onError?: ProbeErrorHandler;
}

/** Samples host metrics; each call reports CPU and network rates since the previous call. */
export function createMetricsSampler(
  options: MetricsSamplerOptions = {},
): { sample(): Promise<HostMetrics> } {
  const {
    readFile = Deno.readTextFile,
    diskPath = "/",
    run,
    now = () => performance.now(),
    onError = () => {},
  } = options;
  let previous: { at: number; cpu: CpuTimes | null; net: Map<string, InterfaceCounters> } | null =
    null;
  const read = (path: string) => readFile(path).catch(() => null);

  return {
    async sample() {
      const [stat, meminfo, netdev, disk] = await Promise.all([
        read("/proc/stat"),
        read("/proc/meminfo"),
        read("/proc/net/dev"),
        probeDisk(diskPath, run, onError),
      ]);
      const at = now();
      const cpu = stat === null ? null : parseProcStat(stat);
      const net = netdev === null ? new Map<string, InterfaceCounters>() : parseNetDev(netdev);
      const last = previous;
      previous = { at, cpu, net };
      return {
        cpuPercent: last ? cpuPercent(last.cpu, cpu) : 0,
        memory: (meminfo === null ? null : parseMeminfo(meminfo)) ?? denoMemory(onError),
        disk: {
          usedBytes: Math.max(0, disk.totalBytes - disk.freeBytes),
          totalBytes: disk.totalBytes,
        },
        network: last ? networkRates(last.net, net, (at - last.at) / 1000) : { rxBps: 0, txBps: 0 },
      };
    },
  };
}

/** The aggregate "cpu" line of /proc/stat as busy and total ticks (iowait counts as idle). */
export function parseProcStat(text: string): CpuTimes | null {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) return null;
  // user nice system idle iowait irq softirq steal [guest guest_nice]; guest time is already
  // inside user and nice, so it is not added again.
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (ticks.length < 4 || ticks.some((n) => !Number.isFinite(n))) return null;
  const total = ticks.reduce((sum, n) => sum + n, 0);
  const idle = ticks[3] + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}

/** Used (MemTotal − MemAvailable) and total memory in bytes from /proc/meminfo. */
export function parseMeminfo(text: string): { usedBytes: number; totalBytes: number } | null {
  const kib = (key: string) => {
    const match = text.match(new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, "m"));
    return match ? Number(match[1]) * 1024 : null;
  };
  const total = kib("MemTotal");
  // Kernels before 3.14 lack MemAvailable; free + buffers + cache approximates it.
  const available = kib("MemAvailable") ??
    ((kib("MemFree") ?? 0) + (kib("Buffers") ?? 0) + (kib("Cached") ?? 0));
  if (total === null) return null;
  return { usedBytes: Math.max(0, total - available), totalBytes: total };
}

/** Byte counters of every interface in /proc/net/dev. */
export function parseNetDev(text: string): Map<string, InterfaceCounters> {
  const counters = new Map<string, InterfaceCounters>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim();
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    // Receive: bytes packets errs drop fifo frame compressed multicast; then transmit: bytes …
    if (!name || fields.length < 9 || !Number.isFinite(fields[0]) || !Number.isFinite(fields[8])) {
      continue;
    }
    counters.set(name, { rxBytes: fields[0], txBytes: fields[8] });
  }
  return counters;
}

/** Interfaces whose traffic is the machine's own: not loopback, not Docker's bridges and pairs. */
export function isHostInterface(name: string): boolean {
  return name !== "lo" && !/^(docker|veth|br-)/.test(name);
}

function cpuPercent(before: CpuTimes | null, after: CpuTimes | null): number {
  if (!before || !after) return 0;
  const total = after.total - before.total;
  const busy = after.busy - before.busy;
  if (total <= 0 || busy < 0) return 0;
  return Math.round(Math.min(100, (busy / total) * 100) * 10) / 10;
}

function networkRates(
  before: Map<string, InterfaceCounters>,
  after: Map<string, InterfaceCounters>,
  seconds: number,
): { rxBps: number; txBps: number } {
  let rx = 0, tx = 0;
  for (const [name, now] of after) {
    const then = before.get(name);
    if (!then || !isHostInterface(name)) continue;
    // A counter that went backwards was reset (interface re-created); skip it this round.
    rx += Math.max(0, now.rxBytes - then.rxBytes);
    tx += Math.max(0, now.txBytes - then.txBytes);
  }
  if (seconds <= 0) return { rxBps: 0, txBps: 0 };
  return { rxBps: Math.round(rx / seconds), txBps: Math.round(tx / seconds) };
}

function denoMemory(onError: ProbeErrorHandler): { usedBytes: number; totalBytes: number } {
  try {
    const info = Deno.systemMemoryInfo();
    return { usedBytes: Math.max(0, info.total - info.available), totalBytes: info.total };
  } catch (error) {
    onError("memory", error);
    return { usedBytes: 0, totalBytes: 0 };
  }
}
