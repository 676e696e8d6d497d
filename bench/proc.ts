// One process's CPU time and memory from /proc (Linux only), for the agent benchmarks.

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (USER_HZ), the unit of utime and stime. */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      const out = new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" }).outputSync();
      ticksPerSecond = Number(new TextDecoder().decode(out.stdout).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system, all threads) `pid` has used so far. */
export function cpuSeconds(pid: number | "self"): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after "pid (comm) ": state ppid … utime is the 14th field, stime the 15th.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / clockTicks();
}

/** Resident memory of `pid` in KiB: now (VmRSS) and its peak so far (VmHWM). */
export function memoryKiB(pid: number | "self"): { rss: number; peak: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { rss: field("VmRSS"), peak: field("VmHWM") };
}

/** The soft limit on open files of this process (children inherit it). */
export function openFilesLimit(): number {
  const limits = Deno.readTextFileSync("/proc/self/limits");
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  return !m || m[1] === "unlimited" ? Infinity : Number(m[1]);
}

/** CPU use of a process over a window: call `stop()` for the share of one core it used. */
export function cpuWindow(pid: number | "self"): { stop(): { cores: number; seconds: number } } {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  return {
    stop() {
      const seconds = (performance.now() - t0) / 1000;
      return { cores: (cpuSeconds(pid) - cpu0) / seconds, seconds };
    },
  };
}

/** The p-th percentile (0–100) of some numbers, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}
