// Shared helpers for the benchmarks: processes, ports, polling, wrk, medians, markdown.

/** The project root (the folder holding deno.json), with no trailing slash. */
export const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/**
 * The `deno run` flags of the `start` task in deno.json, so experiments that run main.ts (or
 * a variant of it) directly get the same permissions as `deno task start`.
 */
export function startTaskFlags(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  const start = String(config.tasks?.start ?? "");
  return start.split(/\s+/).filter((word) => word.startsWith("--") && word !== "--watch");
}

/** Print progress to stderr, so stdout carries only the markdown results. */
export function progress(message: string): void {
  console.error(`[bench] ${message}`);
}

/** A TCP port nobody is listening on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The median of some numbers (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** An integer from the environment, or `fallback`. */
export function envInt(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}

/** The parent environment without anything that would change Lattice's configuration. */
function cleanEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  for (const key of Object.keys(env)) {
    if (key.startsWith("LATTICE_") || key === "DATABASE_URL") delete env[key];
  }
  env.NO_COLOR = "1";
  return env;
}

/** A server process started by a benchmark, with its output going to a file. */
export interface Spawned {
  port: number;
  url: string;
  logFile: string;
  /** performance.now() just before the process was spawned. */
  spawnedAt: number;
  child: Deno.ChildProcess;
  /** Set once the process has exited. */
  exited: () => boolean;
  status: Promise<Deno.CommandStatus>;
}

/**
 * Spawn `command` in the project root with its stdout and stderr redirected to `logFile` by
 * the shell (`exec`, so the shell is replaced and signals reach the command itself). Nothing
 * is piped back to this process, so a busy server never blocks on a full pipe.
 */
export function spawnToFile(
  command: string[],
  options: { port: number; logFile: string; env?: Record<string, string> },
): Spawned {
  const cmd = new Deno.Command("bash", {
    args: ["-c", 'exec "$@" >"$BENCH_LOG_FILE" 2>&1', "bash", ...command],
    cwd: ROOT,
    clearEnv: true,
    env: { ...cleanEnv(), ...options.env, BENCH_LOG_FILE: options.logFile },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  });
  const spawnedAt = performance.now();
  const child = cmd.spawn();
  let done = false;
  const status = child.status.then((s) => {
    done = true;
    return s;
  });
  return {
    port: options.port,
    url: `http://127.0.0.1:${options.port}`,
    logFile: options.logFile,
    spawnedAt,
    child,
    exited: () => done,
    status,
  };
}

/** `deno task start` on embedded defaults (PGlite and KV under `dataDir`). */
export function spawnLattice(
  options: { dataDir: string; logFile: string; logLevel?: "debug" | "info" | "warn" | "error" },
): Spawned {
  const port = freePort();
  return spawnToFile(["deno", "task", "start"], {
    port,
    logFile: options.logFile,
    env: {
      LATTICE_PORT: String(port),
      LATTICE_HOSTNAME: "127.0.0.1",
      LATTICE_DATA_DIR: options.dataDir,
      LATTICE_LOG_LEVEL: options.logLevel ?? "info",
    },
  });
}

/** `deno run` of bench/bare_server.ts: Deno.serve answering /readyz and hello-world. */
export function spawnBare(options: { logFile: string }): Spawned {
  const port = freePort();
  return spawnToFile(
    ["deno", "run", "--allow-net", "--allow-env", "bench/bare_server.ts"],
    { port, logFile: options.logFile, env: { BARE_PORT: String(port) } },
  );
}

/**
 * Poll GET /readyz every `intervalMs` until it answers 200; returns the milliseconds since
 * the process was spawned. Fails when the process exits or `timeoutMs` passes.
 */
export async function waitReady(
  server: Spawned,
  options: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<number> {
  const interval = options.intervalMs ?? 10;
  const deadline = server.spawnedAt + (options.timeoutMs ?? 120_000);
  while (performance.now() < deadline) {
    if (server.exited()) {
      throw new Error(`Server exited before it was ready:\n${await readTail(server.logFile)}`);
    }
    try {
      const res = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.status === 200) return performance.now() - server.spawnedAt;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`Timed out waiting for ${server.url}/readyz:\n${await readTail(server.logFile)}`);
}

const EMAIL = "bench@example.com";
const PASSWORD = "bench-password-123";

/** POST JSON and return the parsed answer, failing loudly on anything but `expect`. */
export async function postJson(
  url: string,
  body: unknown,
  expect: number,
  token?: string,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== expect) throw new Error(`POST ${url}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** Create the first account (admin), sign in, and create an API token; returns its secret. */
export async function createApiToken(base: string): Promise<string> {
  await postJson(`${base}/api/v1/auth/register`, { email: EMAIL, password: PASSWORD }, 201);
  const login = await postJson(
    `${base}/api/v1/auth/login`,
    { email: EMAIL, password: PASSWORD },
    200,
  );
  const created = await postJson(
    `${base}/api/v1/tokens`,
    { name: "bench" },
    201,
    String(login.token),
  );
  const secret = String(created.secret);
  const me = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } });
  const text = await me.text();
  if (me.status !== 200) throw new Error(`GET /api/v1/me with the new token: ${me.status} ${text}`);
  return secret;
}

/** Stop with SIGTERM, wait (SIGKILL after `graceMs`), and return the milliseconds it took. */
export async function stop(server: Spawned, graceMs = 15_000): Promise<number> {
  const t0 = performance.now();
  if (!server.exited()) {
    try {
      server.child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      progress(`process ${server.child.pid} ignored SIGTERM for ${graceMs} ms: sending SIGKILL`);
      try {
        server.child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      resolve();
    }, graceMs);
  });
  await Promise.race([server.status, killed]);
  await server.status;
  clearTimeout(timer);
  return performance.now() - t0;
}

/** The last lines of a log file, for error messages. */
export async function readTail(path: string, lines = 30): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).split("\n").slice(-lines).join("\n");
  } catch {
    return "(no output)";
  }
}

/** The JSON log lines of a Lattice log file whose `msg` is `msg`. */
export async function logLines(path: string, msg: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const line of (await Deno.readTextFile(path)).split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const record = JSON.parse(line);
      if (record.msg === msg) out.push(record);
    } catch {
      // Not JSON.
    }
  }
  return out;
}

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (USER_HZ), as /proc reports CPU time in them. */
async function clockTicks(): Promise<number> {
  if (ticksPerSecond === undefined) {
    try {
      const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" })
        .output();
      ticksPerSecond = Number(new TextDecoder().decode(out.stdout).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * CPU seconds (user + system) used so far by `pid` and all its descendants, from /proc
 * (Linux only; NaN elsewhere). On a shared, noisy machine CPU per request is a steadier
 * figure than requests per second.
 */
export async function treeCpuSeconds(pid: number): Promise<number> {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  try {
    for await (const entry of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
        // Fields after "pid (comm) ": state ppid ... utime(14th) stime(15th).
        const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        stats.set(Number(entry.name), {
          ppid: Number(rest[1]),
          ticks: Number(rest[11]) + Number(rest[12]),
        });
      } catch {
        // The process ended while we looked.
      }
    }
  } catch {
    return NaN;
  }
  let ticks = 0;
  const todo = [pid];
  const seen = new Set<number>();
  while (todo.length > 0) {
    const current = todo.pop()!;
    if (seen.has(current)) continue;
    seen.add(current);
    ticks += stats.get(current)?.ticks ?? 0;
    for (const [child, s] of stats) if (s.ppid === current) todo.push(child);
  }
  return ticks / await clockTicks();
}

/** What wrk reported. */
export interface WrkResult {
  requestsPerSec: number;
  requests: number;
  latencyMs: { p50: number; p75: number; p90: number; p99: number };
  non2xx: number;
  socketErrors: number;
  /** Server CPU time (user + system, whole process tree) per request, when a pid was given. */
  cpuUsPerRequest: number;
  /** Server CPU time over the run's wall time: 1.0 means one core busy throughout. */
  cpuCores: number;
  raw: string;
}

/** Convert a wrk duration ("812.00us", "1.20ms", "1.01s", "2.00m") to milliseconds. */
export function wrkDurationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`Cannot read wrk duration ${JSON.stringify(text)}`);
  const factor = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2]]!;
  return Number(m[1]) * factor;
}

/** Parse wrk's output (run with --latency). */
export function parseWrk(raw: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(raw);
  const total = /(\d+) requests in /.exec(raw);
  if (!rps || !total) throw new Error(`Cannot read wrk output:\n${raw}`);
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(raw);
    if (!m) throw new Error(`wrk output has no ${p}% latency (was --latency given?):\n${raw}`);
    return wrkDurationMs(m[1]);
  };
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(raw);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw);
  return {
    requestsPerSec: Number(rps[1]),
    requests: Number(total[1]),
    latencyMs: { p50: pct("50"), p75: pct("75"), p90: pct("90"), p99: pct("99") },
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    cpuUsPerRequest: NaN,
    cpuCores: NaN,
    raw,
  };
}

/**
 * Run wrk with the benchmark's fixed shape (-t2 -c64 --latency) and return its parsed output;
 * with `pid`, also the CPU time that server process tree used per request.
 */
export async function runWrk(
  url: string,
  options: { duration: string; header?: string; pid?: number },
): Promise<WrkResult> {
  const args = ["-t2", "-c64", `-d${options.duration}`, "--latency"];
  if (options.header) args.push("-H", options.header);
  args.push(url);
  const cpu0 = options.pid ? await treeCpuSeconds(options.pid) : NaN;
  const t0 = performance.now();
  const out = await new Deno.Command("wrk", { args, stdout: "piped", stderr: "piped" }).output();
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = options.pid ? await treeCpuSeconds(options.pid) - cpu0 : NaN;
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`wrk failed (exit ${out.code}):\n${text}`);
  const result = parseWrk(text);
  result.cpuUsPerRequest = cpu / result.requests * 1e6;
  result.cpuCores = cpu / wallSeconds;
  return result;
}

/** Format milliseconds for a table. */
export function ms(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

/** A markdown table. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** "met" or "MISSED", for target lines. */
export function verdict(ok: boolean): string {
  return ok ? "met" : "**MISSED**";
}
