// Workloads end to end, under a SIMULATION of N node agents (bench/agents_sim_worker.ts: real
// protocol, real WebSockets, no Docker; every deploy command is answered ok at once and its
// receipt time recorded per workload id).
//
//   deno run -A bench/workloads_e2e.ts [--agents 1000] [--rate 2000] [--seconds 60]
//     [--latency-seconds 30] [--db pglite|postgres|both] [--in-flight 512] [--drain 120]
//     [--warmup 5] [--bare-seconds 10] [--processes 0]
//
// Per database: start `deno run main.ts` (the start task's flags) on a fresh data dir, register
// the admin, create an API token, join and approve N simulated agents (each advertises 64 cores
// and 256 GiB, so capacity never runs out), connect them all. Then, on that one server process:
//
//   warm-up     --warmup s of POSTs at half the rate, drained (not reported);
//   sustained   POST /api/v1/workloads open-loop at --rate for --seconds (each POST sent on
//               schedule, at most --in-flight outstanding; later ones wait and are counted as
//               late). Throughput = deploy commands received by the agents inside the window
//               / window. The backlog (accepted − deployed) is sampled every second;
//   latency     the same at half the rate for --latency-seconds: POST sent → deploy command
//               received by the simulated agent, p50/p95/p99 over every workload;
//   accept cap  closed loop: --in-flight/8 clients POST back to back for --bare-seconds: how many
//               workloads/s the API alone accepts while the scheduler keeps up behind it.
//
// Baseline in the same run: bench/workloads_bare_server.ts (a Deno.serve whose POST is one
// INSERT of the body on the same driver and database kind), open loop at --rate and closed loop,
// --bare-seconds each. Workload bodies are small: busybox:1, sleep, 10 millicores, 16 MiB, no disk.
//
// PostgreSQL needs LATTICE_TEST_DATABASE_URL for a role that may CREATEDB:
//   eval "$(bash scripts/provision.sh 2>/dev/null)"
// Markdown on stdout, progress on stderr, raw figures in bench/results/workloads-*.json.
import { parseArgs } from "node:util";
import postgres from "postgres";
import {
  createApiToken,
  freePort,
  progress,
  readTail,
  ROOT,
  type Spawned,
  spawnToFile,
  stop,
  table,
  treeCpuSeconds,
  verdict,
  waitReady,
} from "./lib.ts";
import { cpuWindow, percentile } from "./proc.ts";
import { SimWorker } from "./sim_pool.ts";
import { api, createBenchDatabase, parallel, postmasterPid, startLattice } from "./lattice.ts";
import { SIM_CAPABILITIES } from "../tests/helpers/sim_agent.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    agents: { type: "string", default: "1000" },
    rate: { type: "string", default: "2000" },
    seconds: { type: "string", default: "60" },
    "latency-seconds": { type: "string", default: "30" },
    db: { type: "string", default: "pglite" },
    "in-flight": { type: "string", default: "512" },
    drain: { type: "string", default: "120" },
    warmup: { type: "string", default: "5" },
    "bare-seconds": { type: "string", default: "10" },
    processes: { type: "string", default: "0" },
    profile: { type: "boolean", default: false },
    "trace-sql": { type: "boolean", default: false },
  },
});
const AGENTS = Number(flags.agents);
const RATE = Number(flags.rate);
const SECONDS = Number(flags.seconds);
const LATENCY_SECONDS = Number(flags["latency-seconds"]);
const DBS = flags.db === "both" ? ["pglite", "postgres"] : [String(flags.db)];
const IN_FLIGHT = Number(flags["in-flight"]);
const DRAIN_S = Number(flags.drain);
const WARMUP_S = Number(flags.warmup);
const BARE_S = Number(flags["bare-seconds"]);
const PROCESSES = Number(flags.processes);
const WORKERS = Math.max(1, PROCESSES);
const newWorker = () => new SimWorker(PROCESSES > 0 ? "process" : "worker");
/** Run the server under the V8 inspector and profile its main thread in the sustained window. */
const PROFILE = flags.profile;
/**
 * Run bench/experiments/sql_trace_server.ts (main.ts with every statement timed) instead of
 * main.ts, and write its table for the sustained window to bench/results/.
 */
const TRACE_SQL = flags["trace-sql"];
let traceFile = "";

const TARGET = { perSecond: 2000, p99Ms: 250 };
const DEFAULT_POOL = "00000000-0000-4000-8000-000000000001";
/** Big simulated machines: the benchmark measures throughput, not running out of room. */
const CAPABILITIES = {
  ...SIM_CAPABILITIES,
  cpu: { cores: 64, model: "Simulated CPU" },
  memoryBytes: 256 * 1024 ** 3,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f = (v: number, d = 0) => Number.isFinite(v) ? v.toFixed(d) : "–";

let inspectPort = 0;
function startServer(dataDir: string, databaseUrl?: string): Spawned {
  inspectPort = freePort();
  traceFile = `${ROOT}/bench/results/workloads-sql-${
    new Date().toISOString().replace(/[:.]/g, "")
  }.md`;
  return startLattice({
    dataDir,
    logFile: `${dataDir}/server.log`,
    databaseUrl,
    denoFlags: PROFILE ? [`--inspect=127.0.0.1:${inspectPort}`] : [],
    entry: TRACE_SQL ? "bench/experiments/sql_trace_server.ts" : "main.ts",
    env: { LATTICE_LOG_LEVEL: "info", SQL_TRACE_FILE: traceFile },
  });
}

function startBare(dataDir: string, databaseUrl?: string): Spawned {
  const port = freePort();
  return spawnToFile(["deno", "run", "-A", "bench/workloads_bare_server.ts"], {
    port,
    logFile: `${dataDir}/bare.log`,
    env: {
      BARE_PORT: String(port),
      BARE_DATA_DIR: `${dataDir}/bare-pg`,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
  });
}

let nameSeq = 0;
const RUN = Date.now().toString(36);
function workloadBody(): string {
  return JSON.stringify({
    name: `b${RUN}-${nameSeq++}`,
    image: "busybox:1",
    command: ["sleep", "3600"],
    resources: { cpuMillicores: 10, memoryMiB: 16, diskGiB: 0 },
  });
}

/** What one load phase saw from the client side. */
interface Load {
  offered: number;
  seconds: number;
  sent: number;
  accepted: number;
  late: number;
  /** POSTs due in the window that never went out (at most `inFlight` were outstanding). */
  unsent: number;
  statuses: Record<string, number>;
  errors: number;
  acceptMs: number[];
  /** Workload id → Date.now() just before its POST was sent. */
  sentAt: Map<string, number>;
  startedAt: number;
  endedAt: number;
}

/**
 * POST `rate` requests a second for `seconds` (open loop): request k is due at start + k/rate;
 * at most `inFlight` are outstanding, and one that has to wait more than 100 ms past its due
 * time counts as late. `onSecond` runs once a second with the load so far.
 */
async function openLoop(
  url: string,
  token: string,
  rate: number,
  seconds: number,
  inFlight: number,
  onSecond?: (load: Load) => Promise<void>,
): Promise<Load> {
  const load: Load = {
    offered: rate,
    seconds,
    sent: 0,
    accepted: 0,
    late: 0,
    unsent: 0,
    statuses: {},
    errors: 0,
    acceptMs: [],
    sentAt: new Map(),
    startedAt: Date.now(),
    endedAt: 0,
  };
  const total = Math.round(rate * seconds);
  let outstanding = 0;
  const done: Promise<void>[] = [];
  const one = async () => {
    const body = workloadBody();
    const t0 = Date.now();
    outstanding++;
    load.sent++;
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body,
      });
      const text = await res.text();
      load.statuses[res.status] = (load.statuses[res.status] ?? 0) + 1;
      if (res.status === 201) {
        load.accepted++;
        load.acceptMs.push(Date.now() - t0);
        load.sentAt.set(JSON.parse(text).workload.id, t0);
      }
    } catch {
      load.errors++;
    } finally {
      outstanding--;
    }
  };
  let nextSecond = load.startedAt + 1000;
  let k = 0;
  const endAt = load.startedAt + seconds * 1000;
  while (k < total) {
    const now = Date.now();
    // The window is fixed: what the client could not send by its end is counted, not sent.
    if (now >= endAt) break;
    const due = Math.min(total, Math.floor((now - load.startedAt) * rate / 1000) + 1);
    while (k < due && outstanding < inFlight) {
      if (now - (load.startedAt + k * 1000 / rate) > 100) load.late++;
      done.push(one());
      k++;
    }
    if (onSecond && now >= nextSecond) {
      nextSecond += 1000;
      void onSecond(load);
    }
    await sleep(2);
  }
  load.unsent = total - k;
  load.endedAt = Date.now();
  await Promise.all(done);
  return load;
}

/** Closed loop: `clients` POST back to back for `seconds`; accepted per second and latency. */
async function closedLoop(url: string, token: string, clients: number, seconds: number) {
  const until = Date.now() + seconds * 1000;
  let accepted = 0;
  let failed = 0;
  const ms: number[] = [];
  const t0 = Date.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < until) {
      const s = Date.now();
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: workloadBody(),
        });
        await res.text();
        if (res.status === 201) {
          accepted++;
          ms.push(Date.now() - s);
        } else failed++;
      } catch {
        failed++;
      }
    }
  }));
  return { perSecond: accepted / ((Date.now() - t0) / 1000), accepted, failed, ms };
}

async function deployCount(workers: SimWorker[]): Promise<number> {
  const counts = await Promise.all(
    workers.map((w) => w.call<{ deploys: number }>("deployCount")),
  );
  return counts.reduce((a, c) => a + c.deploys, 0);
}

/** Every deploy receipt since the last call, as workload id → first receipt time. */
async function collectDeploys(workers: SimWorker[], into: Map<string, number>): Promise<void> {
  for (const w of workers) {
    const { ids, at } = await w.call<{ ids: string[]; at: number[] }>("deploys");
    ids.forEach((id, i) => {
      if (!into.has(id)) into.set(id, at[i]);
    });
  }
}

/** Wait until every accepted workload of `load` has had a deploy received (or `limitS`). */
async function drain(
  workers: SimWorker[],
  deployed: Map<string, number>,
  load: Load,
  limitS: number,
): Promise<{ drainS: number; missing: number }> {
  const t0 = Date.now();
  const missing = () => [...load.sentAt.keys()].filter((id) => !deployed.has(id)).length;
  while (Date.now() - t0 < limitS * 1000) {
    await collectDeploys(workers, deployed);
    if (missing() === 0) break;
    await sleep(250);
  }
  await collectDeploys(workers, deployed);
  return { drainS: (Date.now() - t0) / 1000, missing: missing() };
}

async function schedulerStats(base: string, token: string) {
  const r = await api(base, token, "/scheduler/undelivered?limit=1");
  return r.body.stats as {
    batches: number;
    placed: number;
    commandsSent: number;
    lastBatchMs: number;
  };
}

interface Result {
  db: string;
  agents: number;
  rate: number;
  sustained: {
    offered: number;
    accepted: number;
    acceptedPerS: number;
    deploysInWindow: number;
    deploysPerS: number;
    secondHalfPerS: number;
    backlog: { t: number; accepted: number; deployed: number }[];
    drainS: number;
    missing: number;
    late: number;
    unsent: number;
    statuses: Record<string, number>;
    errors: number;
    acceptP50Ms: number;
    acceptP99Ms: number;
    serverCores: number;
    loadCores: number;
    postgresCores: number;
    batches: number;
    e2eP50Ms: number;
    e2eP99Ms: number;
  };
  latency: {
    offered: number;
    accepted: number;
    deploysPerS: number;
    p50Ms: number;
    p95Ms: number;
    p99Ms: number;
    maxMs: number;
    acceptP50Ms: number;
    acceptP99Ms: number;
    late: number;
    missing: number;
    serverCores: number;
    batches: number;
  };
  acceptCapacity: { perSecond: number; p50Ms: number; p99Ms: number; failed: number };
  bare: {
    openAcceptedPerS: number;
    openP50Ms: number;
    openP99Ms: number;
    openLate: number;
    capacityPerS: number;
    capacityP99Ms: number;
    serverCores: number;
  };
}

async function runDb(db: string, workers: SimWorker[]): Promise<Result> {
  await Deno.mkdir(`${ROOT}/bench/results`, { recursive: true });
  const dataDir = await Deno.makeTempDir({ prefix: `lattice-workloads-${db}-` });
  const database = db === "postgres" ? await createBenchDatabase("lattice_bench_wl") : null;
  const databaseUrl = database?.url;
  const server = startServer(dataDir, databaseUrl);
  try {
    await waitReady(server);
    for (const w of workers) {
      await w.call("init", { base: server.url, intervalMs: 5000, capabilities: CAPABILITIES });
    }
    const token = await createApiToken(server.url);
    if (databaseUrl) {
      const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
      await sql`UPDATE pools SET auto_approve = true WHERE id = ${DEFAULT_POOL}`;
      await sql.end();
    }
    // Join and approve.
    const t0 = performance.now();
    const perWorker = Math.ceil(AGENTS / workers.length);
    const ids: string[] = [];
    await Promise.all(workers.map(async (w, k) => {
      const count = Math.min(perWorker, AGENTS - k * perWorker);
      const created = await api(server.url, token, "/join-tokens", {
        method: "POST",
        body: JSON.stringify({ maxUses: count, description: `workloads bench ${db}` }),
      });
      if (created.status !== 201) throw new Error(`join token: ${JSON.stringify(created)}`);
      const joined = await w.call<string[]>("join", {
        token: created.body.secret,
        count,
        firstAddress: 1 + k * perWorker,
        concurrency: 8,
      });
      ids.push(...joined);
      w.size = joined.length;
    }));
    if (!databaseUrl) {
      await parallel(ids, 16, async (id) => {
        const r = await api(server.url, token, `/nodes/${id}/approve`, {
          method: "POST",
          body: "{}",
        });
        if (r.status !== 200) throw new Error(`approve ${id}: ${r.status}`);
      });
    }
    await Promise.all(
      workers.map((w) =>
        w.call("connect", { from: 0, to: w.size, concurrency: 200, timeoutMs: 300_000 })
      ),
    );
    progress(
      `${db}: ${ids.length} simulated agents joined, approved and connected in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s`,
    );
    const url = `${server.url}/api/v1/workloads`;
    const deployed = new Map<string, number>();
    const pid = server.child.pid;
    const postmaster = databaseUrl ? postmasterPid() : null;

    // Warm-up.
    if (WARMUP_S > 0) {
      const warm = await openLoop(url, token, RATE / 2, WARMUP_S, IN_FLIGHT);
      const d = await drain(workers, deployed, warm, DRAIN_S);
      progress(
        `${db}: warm-up ${warm.accepted} accepted, drained in ${
          f(d.drainS, 1)
        } s (${d.missing} missing)`,
      );
    }

    // Sustained.
    const backlog: { t: number; accepted: number; deployed: number }[] = [];
    const base0 = await deployCount(workers);
    const stats0 = await schedulerStats(server.url, token);
    const cpu = cpuWindow(pid);
    const self = cpuWindow("self");
    const pg0 = postmaster ? await treeCpuSeconds(postmaster) : NaN;
    const profiler = PROFILE ? await startProfile() : null;
    if (TRACE_SQL) Deno.kill(pid, "SIGUSR1");
    const sustained = await openLoop(url, token, RATE, SECONDS, IN_FLIGHT, async (load) => {
      const d = await deployCount(workers) - base0;
      const t = (Date.now() - load.startedAt) / 1000;
      backlog.push({ t, accepted: load.accepted, deployed: d });
      if (backlog.length % 5 === 0) {
        progress(
          `${db}: t=${t.toFixed(0)} s sent ${load.sent} accepted ${load.accepted} deployed ${d} ` +
            `backlog ${load.accepted - d}`,
        );
      }
    });
    if (profiler) await profiler.stop(`${db}, ${RATE}/s offered, ${SECONDS} s`);
    if (TRACE_SQL) {
      Deno.kill(pid, "SIGUSR2");
      progress(`statement times of the sustained window: ${traceFile}`);
    }
    const window = (sustained.endedAt - sustained.startedAt) / 1000;
    const serverCores = cpu.stop().cores;
    const loadCores = self.stop().cores;
    const pgCores = postmaster ? (await treeCpuSeconds(postmaster) - pg0) / window : NaN;
    const stats1 = await schedulerStats(server.url, token);
    const sd = await drain(workers, deployed, sustained, DRAIN_S);
    const inWindow = [...sustained.sentAt.keys()].map((id) => deployed.get(id)).filter((
      at,
    ): at is number => at !== undefined && at <= sustained.endedAt);
    const half = sustained.startedAt + (sustained.endedAt - sustained.startedAt) / 2;
    const sustainedE2e = [...sustained.sentAt].map(([id, s]) => (deployed.get(id) ?? NaN) - s)
      .filter(Number.isFinite);
    const r: Partial<Result> = { db, agents: AGENTS, rate: RATE };
    r.sustained = {
      offered: RATE,
      accepted: sustained.accepted,
      acceptedPerS: sustained.accepted / window,
      deploysInWindow: inWindow.length,
      deploysPerS: inWindow.length / window,
      secondHalfPerS: inWindow.filter((at) => at > half).length / (window / 2),
      backlog,
      drainS: sd.drainS,
      missing: sd.missing,
      late: sustained.late,
      unsent: sustained.unsent,
      statuses: sustained.statuses,
      errors: sustained.errors,
      acceptP50Ms: percentile(sustained.acceptMs, 50),
      acceptP99Ms: percentile(sustained.acceptMs, 99),
      serverCores,
      loadCores,
      postgresCores: pgCores,
      batches: stats1.batches - stats0.batches,
      e2eP50Ms: percentile(sustainedE2e, 50),
      e2eP99Ms: percentile(sustainedE2e, 99),
    };
    progress(
      `${db}: sustained ${f(r.sustained.deploysPerS)} deploys/s (offered ${RATE}/s, accepted ` +
        `${f(r.sustained.acceptedPerS)}/s, second half ${f(r.sustained.secondHalfPerS)}/s), ` +
        `drained ${f(sd.drainS, 1)} s after, server ${f(serverCores * 100)}% of a core, ` +
        `${r.sustained.batches} batches`,
    );

    // Latency at half the rate.
    const stats2 = await schedulerStats(server.url, token);
    const cpu2 = cpuWindow(pid);
    const lat = await openLoop(url, token, RATE / 2, LATENCY_SECONDS, IN_FLIGHT);
    const latWindow = (lat.endedAt - lat.startedAt) / 1000;
    const latCores = cpu2.stop().cores;
    const stats3 = await schedulerStats(server.url, token);
    const ld = await drain(workers, deployed, lat, DRAIN_S);
    const e2e = [...lat.sentAt].map(([id, s]) => (deployed.get(id) ?? NaN) - s).filter(
      Number.isFinite,
    );
    const latInWindow = [...lat.sentAt.keys()].filter((id) =>
      (deployed.get(id) ?? Infinity) <= lat.endedAt
    ).length;
    r.latency = {
      offered: RATE / 2,
      accepted: lat.accepted,
      deploysPerS: latInWindow / latWindow,
      p50Ms: percentile(e2e, 50),
      p95Ms: percentile(e2e, 95),
      p99Ms: percentile(e2e, 99),
      maxMs: percentile(e2e, 100),
      acceptP50Ms: percentile(lat.acceptMs, 50),
      acceptP99Ms: percentile(lat.acceptMs, 99),
      late: lat.late,
      missing: ld.missing,
      serverCores: latCores,
      batches: stats3.batches - stats2.batches,
    };
    progress(
      `${db}: at ${RATE / 2}/s POST → deploy received p50 ${f(r.latency.p50Ms)} p95 ${
        f(r.latency.p95Ms)
      } p99 ${f(r.latency.p99Ms)} ms (${ld.missing} missing)`,
    );

    // The API's own accept rate, closed loop.
    const clients = Math.max(8, Math.round(IN_FLIGHT / 8));
    const cap = await closedLoop(url, token, clients, BARE_S);
    r.acceptCapacity = {
      perSecond: cap.perSecond,
      p50Ms: percentile(cap.ms, 50),
      p99Ms: percentile(cap.ms, 99),
      failed: cap.failed,
    };
    progress(`${db}: API accepts ${f(cap.perSecond)} workloads/s closed loop (${clients} clients)`);
    await stop(server);

    // The bare baseline: one INSERT per POST on the same database.
    const bare = startBare(dataDir, databaseUrl);
    try {
      await waitReady(bare);
      const bareUrl = `${bare.url}/workloads`;
      await openLoop(bareUrl, token, RATE / 2, 2, IN_FLIGHT); // warm-up
      const bcpu = cpuWindow(bare.child.pid);
      const open = await openLoop(bareUrl, token, RATE, BARE_S, IN_FLIGHT);
      const bareCores = bcpu.stop().cores;
      const bcap = await closedLoop(bareUrl, token, clients, BARE_S);
      r.bare = {
        openAcceptedPerS: open.accepted / ((open.endedAt - open.startedAt) / 1000),
        openP50Ms: percentile(open.acceptMs, 50),
        openP99Ms: percentile(open.acceptMs, 99),
        openLate: open.late,
        capacityPerS: bcap.perSecond,
        capacityP99Ms: percentile(bcap.ms, 99),
        serverCores: bareCores,
      };
      progress(
        `${db}: bare INSERT server ${f(r.bare.openAcceptedPerS)}/s at ${RATE}/s offered, ` +
          `${f(bcap.perSecond)}/s closed loop`,
      );
    } finally {
      await stop(bare);
    }
    return r as Result;
  } catch (err) {
    progress(`server log tail:\n${await readTail(server.logFile)}`);
    throw err;
  } finally {
    await Promise.all(workers.map((w) => w.call("stopAll").catch(() => {})));
    await stop(server);
    const kept = `${ROOT}/bench/results/workloads-server-${db}-${
      new Date().toISOString().replace(/[:.]/g, "")
    }.log`;
    await Deno.copyFile(server.logFile, kept).catch(() => {});
    progress(`server log kept in ${kept}`);
    await database?.drop().catch((e) => progress(`dropping the database failed: ${e}`));
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

// ------------------------------------------------------------------ --profile

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Start the V8 sampling profiler on the server's main thread; `stop` writes a summary. */
async function startProfile() {
  const targets = await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json();
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let nextId = 1;
  const pending = new Map<number, (v: unknown) => void>();
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    pending.get(msg.id)?.(msg.result);
    pending.delete(msg.id);
  };
  const send = <T>(method: string, params: Record<string, unknown> = {}): Promise<T> => {
    const id = nextId++;
    ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve) => pending.set(id, resolve as (v: unknown) => void));
  };
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 1000 });
  await send("Profiler.start");
  return {
    async stop(title: string) {
      const { profile } = await send<
        { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } }
      >("Profiler.stop");
      ws.close();
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      const parent = new Map<number, number>();
      for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
      const label = (n: ProfileNode) => {
        const url = n.callFrame.url.replace(/^file:\/\/.*?\/node_modules\/\.deno\//, "npm:")
          .replace(`file://${ROOT}/`, "");
        return url
          ? `${n.callFrame.functionName || "(anonymous)"} ${url}:${n.callFrame.lineNumber + 1}`
          : n.callFrame.functionName;
      };
      const self = new Map<string, number>();
      const inclusive = new Map<string, number>();
      let total = 0;
      profile.samples.forEach((id, i) => {
        const dt = profile.timeDeltas[i] ?? 0;
        total += dt;
        const own = label(byId.get(id)!);
        self.set(own, (self.get(own) ?? 0) + dt);
        const seen = new Set<string>();
        for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
          const l = label(byId.get(cur)!);
          if (!seen.has(l)) inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
          seen.add(l);
        }
      });
      const top = (m: Map<string, number>, n: number) =>
        [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
          .map(([k, v]) => [`\`${k}\``, `${(v / total * 100).toFixed(1)}%`]);
      const text = [
        `### Server main-thread profile: ${title}`,
        "",
        table(["Self time", "share"], top(self, 40)),
        "",
        table(["Inclusive time", "share"], top(inclusive, 80)),
      ].join("\n");
      await Deno.mkdir(`${ROOT}/bench/results`, { recursive: true });
      const file = `${ROOT}/bench/results/workloads-profile-${
        new Date().toISOString().replace(/[:.]/g, "")
      }.md`;
      await Deno.writeTextFile(file, text);
      progress(`profile written to ${file}`);
    },
  };
}

function report(r: Result): string {
  const s = r.sustained;
  const l = r.latency;
  const b = r.bare;
  const out: string[] = [];
  out.push(`### ${r.db === "pglite" ? "Embedded PGlite" : "PostgreSQL"}`, "");
  const growth = s.backlog.length >= 4
    ? s.backlog.slice(-Math.ceil(s.backlog.length / 2))
    : s.backlog;
  const backlogs = growth.map((x) => x.accepted - x.deployed);
  // Bounded: at the end no more than a second of load waits, and every POST went out on time.
  const finalBacklog = backlogs.at(-1) ?? NaN;
  const bounded = finalBacklog <= RATE && s.late === 0 && s.unsent === 0;
  out.push(table(
    ["phase", "offered/s", "accepted/s", "deploys received/s", "POST p50 / p99 (ms)", "notes"],
    [
      [
        `sustained, ${SECONDS} s`,
        f(s.offered),
        f(s.acceptedPerS),
        `**${f(s.deploysPerS)}** (second half ${f(s.secondHalfPerS)})`,
        `${f(s.acceptP50Ms)} / ${f(s.acceptP99Ms)}`,
        `backlog ${backlogs[0] ?? "–"} → ${backlogs.at(-1) ?? "–"} over the second half; ` +
        `drained ${f(s.drainS, 1)} s after; ${s.late} POSTs late, ${s.unsent} never sent; ` +
        `POST→deploy p50 ${f(s.e2eP50Ms)} p99 ${f(s.e2eP99Ms)} ms`,
      ],
      [
        `latency, ${LATENCY_SECONDS} s`,
        f(l.offered),
        f(l.accepted / LATENCY_SECONDS),
        f(l.deploysPerS),
        `${f(l.acceptP50Ms)} / ${f(l.acceptP99Ms)}`,
        `POST→deploy p50 ${f(l.p50Ms)} / p95 ${f(l.p95Ms)} / **p99 ${f(l.p99Ms)}** / max ${
          f(l.maxMs)
        } ms; ${l.late} late; ${l.missing} never deployed`,
      ],
      [
        `API accept only, closed loop, ${BARE_S} s`,
        "–",
        f(r.acceptCapacity.perSecond),
        "–",
        `${f(r.acceptCapacity.p50Ms)} / ${f(r.acceptCapacity.p99Ms)}`,
        `${r.acceptCapacity.failed} failed`,
      ],
      [
        `bare INSERT server, open loop, ${BARE_S} s`,
        f(RATE),
        f(b.openAcceptedPerS),
        "–",
        `${f(b.openP50Ms)} / ${f(b.openP99Ms)}`,
        `${b.openLate} late; server ${f(b.serverCores * 100)}% of a core`,
      ],
      [
        `bare INSERT server, closed loop, ${BARE_S} s`,
        "–",
        f(b.capacityPerS),
        "–",
        `– / ${f(b.capacityP99Ms)}`,
        "",
      ],
    ],
  ));
  out.push(
    "",
    `Server CPU during the sustained window: ${f(s.serverCores * 100)}% of a core` +
      (r.db === "postgres" ? `, PostgreSQL ${f(s.postgresCores * 100)}%` : "") +
      `; load process ${f(s.loadCores * 100)}%. Scheduler batches: ${s.batches} in the ` +
      `sustained window (${f(s.deploysInWindow / Math.max(1, s.batches))} deploys per batch), ` +
      `${l.batches} in the latency window. Statuses: ${JSON.stringify(s.statuses)}, ` +
      `${s.errors} client errors.`,
    "",
    `Ratios: sustained deploys/s ÷ bare INSERT capacity = **${
      f(s.deploysPerS / b.capacityPerS, 2)
    }**; API accept capacity ÷ bare INSERT capacity = ${
      f(r.acceptCapacity.perSecond / b.capacityPerS, 2)
    }.`,
    "",
  );
  out.push(table(["Target", "Measured", "Verdict"], [
    [
      `≥ ${TARGET.perSecond} deploys/s sustained for ${SECONDS} s (steady rate, bounded backlog)`,
      `${f(s.secondHalfPerS)}/s in the second half (${f(s.deploysPerS)}/s over the whole ` +
      `window, pipeline fill included); backlog at the end ${finalBacklog} ` +
      `(${f(finalBacklog / RATE, 2)} s of load)`,
      verdict(s.secondHalfPerS >= TARGET.perSecond && bounded && RATE >= TARGET.perSecond),
    ],
    [
      `p99 POST → deploy ≤ ${TARGET.p99Ms} ms at ${RATE / 2}/s`,
      `${f(l.p99Ms)} ms`,
      verdict(l.p99Ms <= TARGET.p99Ms && l.missing === 0 && RATE >= TARGET.perSecond),
    ],
  ]));
  return out.join("\n");
}

async function main() {
  const results: Result[] = [];
  const sections: string[] = [];
  const load0 = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  for (const db of DBS) {
    const workers = Array.from({ length: WORKERS }, newWorker);
    try {
      const r = await runDb(db, workers);
      results.push(r);
      sections.push(report(r));
    } finally {
      workers.forEach((w) => w.terminate());
    }
  }
  await Deno.mkdir(`${ROOT}/bench/results`, { recursive: true });
  const saved = `${ROOT}/bench/results/workloads-${
    new Date().toISOString().replace(/[:.]/g, "")
  }.json`;
  await Deno.writeTextFile(saved, JSON.stringify(results, null, 2));
  progress(`raw figures saved to ${saved}`);
  const load1 = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  console.log(
    [
      "## Workloads end to end (simulated agents)",
      "",
      `${AGENTS} simulated agents; offered ${RATE}/s for ${SECONDS} s, then ${
        RATE / 2
      }/s for ${LATENCY_SECONDS} s; at most ${IN_FLIGHT} POSTs outstanding. Load average ` +
      `${load0} before, ${load1} after.`,
      "",
      ...sections,
    ].join("\n\n"),
  );
}

await main();
