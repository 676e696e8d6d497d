// Heartbeat ingest and connection scale of one control-plane process, under a SIMULATION of N
// node agents (bench/agents_sim_worker.ts: real protocol, real WebSockets, no Docker).
//
//   deno run -A bench/agents_load.ts [--n 1000,2500,5000,10000] [--db pglite|postgres|both]
//     [--repeat 1] [--workers 1] [--steady 30] [--warmup 10] [--dead 20] [--storm-jitter-ms 0]
//
// For each database: start `deno run main.ts` (the start task's flags) on a fresh data dir,
// register the admin, create join tokens, join max(N) simulated agents (each from its own
// x-forwarded-for address, with LATTICE_TRUST_PROXY=true, because joins are limited to 30 a
// minute per address), approve them (PGlite: through the API; PostgreSQL: the default pool
// auto-approves, set in SQL), stop. Then, per N (and per repeat), on a FRESH server process over
// the same data: idle RSS → connect N agents → warm-up → a steady window (server CPU from
// /proc/<pid>/stat, RSS from /proc/<pid>/status, send→ack latency of every heartbeat, batches
// from the server's debug log) → reconnect storm (every socket closed at once and reopened at
// once; time until all are welcomed again) → dead nodes (K agents stop heartbeating but keep
// their socket; time until GET /api/v1/nodes/:id says offline).
//
// PostgreSQL needs LATTICE_TEST_DATABASE_URL for a role that may CREATEDB:
//   eval "$(bash scripts/provision.sh 2>/dev/null)"
// Markdown on stdout, progress on stderr, raw figures in bench/results/agents-*.json.
import { parseArgs } from "node:util";
import postgres from "postgres";
import {
  createApiToken,
  logLines,
  median,
  progress,
  readTail,
  ROOT,
  type Spawned,
  stop,
  table,
  treeCpuSeconds,
  verdict,
  waitReady,
} from "./lib.ts";
import { cpuWindow, memoryKiB, openFilesLimit, percentile } from "./proc.ts";
import { poolStats, SimWorker } from "./sim_pool.ts";
import { api, createBenchDatabase, parallel, postmasterPid, startLattice } from "./lattice.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string", default: "1000,2500,5000,10000" },
    db: { type: "string", default: "pglite" },
    repeat: { type: "string", default: "1" },
    workers: { type: "string", default: "1" },
    processes: { type: "string", default: "0" },
    steady: { type: "string", default: "30" },
    warmup: { type: "string", default: "10" },
    dead: { type: "string", default: "20" },
    "storm-jitter-ms": { type: "string", default: "0" },
    "interval-ms": { type: "string", default: "5000" },
    "storm-timeout": { type: "string", default: "300" },
  },
});
const NS = String(flags.n).split(",").map(Number);
const DBS = flags.db === "both" ? ["pglite", "postgres"] : [String(flags.db)];
const REPEAT = Number(flags.repeat);
// Processes (each running one Worker) instead of Workers in this process: a storm briefly needs
// two descriptors per agent on the load side (the closing socket and its replacement).
const PROCESSES = Number(flags.processes);
const WORKERS = PROCESSES > 0 ? PROCESSES : Number(flags.workers);
const newWorker = () => new SimWorker(PROCESSES > 0 ? "process" : "worker");
const STEADY_S = Number(flags.steady);
const WARMUP_S = Number(flags.warmup);
const DEAD = Number(flags.dead);
const STORM_JITTER_MS = Number(flags["storm-jitter-ms"]);
const INTERVAL_MS = Number(flags["interval-ms"]);
const STORM_TIMEOUT_S = Number(flags["storm-timeout"]);
const MAX_N = Math.max(...NS);

const TARGET = { cpuCores: 0.25, kibPerAgent: 32, stormS: 60, p99Ms: 1000, deadS: 15 };
const DEFAULT_POOL = "00000000-0000-4000-8000-000000000001";

/** Everything measured for one N on one server process. */
interface Round {
  db: string;
  n: number;
  rep: number;
  connectS: number;
  rssIdleMiB: number;
  rssSteadyMiB: number;
  kibPerAgent: number;
  cpuCores: number;
  loadCpuCores: number;
  /** PostgreSQL's processes (all of the cluster, PostgreSQL runs only): cores over the window. */
  postgresCpuCores: number;
  heartbeatsPerS: number;
  storedPerS: number;
  batchesPerS: number;
  batchP50Records: number;
  batchDbMsP99: number;
  ackP50Ms: number;
  ackP99Ms: number;
  ackMaxMs: number;
  ackSamples: number;
  stormS: number;
  stormP50S: number;
  stormRetries: number;
  stormCpuCores: number;
  stormPeakMiB: number;
  stormPeakFds: number;
  stormCloseCodes: Record<string, number>;
  rssAfterStormMiB: number;
  deadFromLastBeatS: number[];
  deadFromSilenceS: number[];
  unexpectedCloses: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How many descriptors `pid` has open. */
function openFiles(pid: number): number {
  let n = 0;
  for (const _ of Deno.readDirSync(`/proc/${pid}/fd`)) n++;
  return n;
}
const mib = (kib: number) => kib / 1024;

function checkFileLimit(): void {
  const limit = openFilesLimit();
  // The server holds one descriptor per agent, and so does this process (all workers share it).
  const loadSide = PROCESSES > 0 ? 2 * Math.ceil(MAX_N / PROCESSES) : 2 * MAX_N;
  if (MAX_N + 1000 > limit || loadSide + 500 > limit) {
    throw new Error(
      `--n ${MAX_N} needs more open files than the limit of ${limit} (the server one per ` +
        `agent, each load process two per agent during a storm): raise it first (bash ` +
        `bench/run.sh agents does \`ulimit -n 65536\` where allowed), use --processes 2, or ` +
        `lower --n.`,
    );
  }
  if (2 * MAX_N + 200 > limit) {
    progress(
      `note: during a storm the server briefly holds up to two descriptors per agent; the ` +
        `limit of ${limit} may refuse connections at N=${MAX_N} (they are retried)`,
    );
  }
}

function startServer(dataDir: string, logFile: string, databaseUrl?: string): Spawned {
  return startLattice({
    dataDir,
    logFile,
    databaseUrl,
    env: {
      // Debug adds one line per stored batch (counted below) and per HTTP request (setup only).
      LATTICE_LOG_LEVEL: "debug",
      LATTICE_HEARTBEAT_INTERVAL_MS: String(INTERVAL_MS),
    },
  });
}

/** Create the database, join and approve MAX_N simulated agents; returns the admin token. */
async function prepare(
  db: string,
  dataDir: string,
  workers: SimWorker[],
  databaseUrl: string | undefined,
): Promise<string> {
  const server = startServer(dataDir, `${dataDir}/setup.log`, databaseUrl);
  try {
    await waitReady(server);
    for (const w of workers) await w.call("init", { base: server.url, intervalMs: INTERVAL_MS });
    const admin = await createApiToken(server.url);
    if (databaseUrl) {
      const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
      await sql`UPDATE pools SET auto_approve = true WHERE id = ${DEFAULT_POOL}`;
      await sql.end();
    }
    const t0 = performance.now();
    let address = 1;
    const ids: string[] = [];
    const perWorker = Math.ceil(MAX_N / workers.length);
    await Promise.all(workers.map(async (w, k) => {
      const count = Math.min(perWorker, MAX_N - k * perWorker);
      const first = address;
      address += count;
      // A join token admits at most 10,000 nodes.
      for (let done = 0; done < count; done += 10_000) {
        const chunk = Math.min(10_000, count - done);
        const created = await api(server.url, admin, "/join-tokens", {
          method: "POST",
          body: JSON.stringify({ maxUses: chunk, description: `bench ${db}` }),
        });
        if (created.status !== 201) throw new Error(`join token: ${JSON.stringify(created)}`);
        const joined = await w.call<string[]>("join", {
          token: created.body.secret,
          count: chunk,
          firstAddress: first + done,
          concurrency: 8,
        });
        ids.push(...joined);
        w.size += joined.length;
      }
    }));
    progress(
      `${db}: joined ${ids.length} simulated agents in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s`,
    );
    if (!databaseUrl) {
      const t1 = performance.now();
      await parallel(ids, 16, async (id) => {
        const r = await api(server.url, admin, `/nodes/${id}/approve`, {
          method: "POST",
          body: "{}",
        });
        if (r.status !== 200) {
          throw new Error(`approve ${id}: ${r.status} ${JSON.stringify(r.body)}`);
        }
      });
      progress(`${db}: approved them in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    }
    return admin;
  } catch (err) {
    progress(`server log tail:\n${await readTail(server.logFile)}`);
    throw err;
  } finally {
    await stop(server);
  }
}

/** Batches the server logged between two instants. */
async function batchesIn(logFile: string, from: Date, to: Date) {
  await sleep(300); // the log sink flushes every 50 ms
  const lines = (await logLines(logFile, "stored agent records")).filter((l) => {
    const t = new Date(String(l.time));
    return t >= from && t < to;
  });
  return {
    batches: lines.length,
    records: lines.reduce((a, l) => a + Number(l.records), 0),
    sizes: lines.map((l) => Number(l.records)),
    dbMs: lines.map((l) => Number(l.ms)),
  };
}

async function round(
  db: string,
  n: number,
  rep: number,
  dataDir: string,
  admin: string,
  workers: SimWorker[],
  databaseUrl: string | undefined,
): Promise<Round> {
  const logFile = `${dataDir}/n${n}-r${rep}.log`;
  const server = startServer(dataDir, logFile, databaseUrl);
  const pid = server.child.pid;
  try {
    await waitReady(server);
    for (const w of workers) await w.call("setBase", { base: server.url });
    await sleep(2000);
    const idle = memoryKiB(pid);

    // Connect: each worker opens its share, at most 500 handshakes in flight per worker.
    const t0 = performance.now();
    const shares = workers.map((w) => Math.min(w.size, Math.ceil(n / workers.length)));
    await Promise.all(workers.map((w, k) =>
      w.call("connect", {
        from: 0,
        to: shares[k],
        concurrency: 500,
        timeoutMs: Math.max(120_000, n * 30),
      })
    ));
    const connectS = (performance.now() - t0) / 1000;
    progress(`${db} N=${n}: all connected in ${connectS.toFixed(1)} s; warm-up ${WARMUP_S} s`);
    await sleep(WARMUP_S * 1000);

    // Steady window.
    await poolStats(workers); // clears latencies
    const before = await poolStats(workers);
    const from = new Date();
    const cpu = cpuWindow(pid);
    const loads = [...new Set(workers.map((w) => w.pid))].map((p) => cpuWindow(p));
    const postmaster = databaseUrl ? postmasterPid() : null;
    const pg0 = postmaster ? await treeCpuSeconds(postmaster) : NaN;
    await sleep(STEADY_S * 1000);
    const steadyCpu = cpu.stop();
    const loadCpu = { cores: loads.reduce((a, l) => a + l.stop().cores, 0) };
    const pgCores = postmaster ? (await treeCpuSeconds(postmaster) - pg0) / steadyCpu.seconds : NaN;
    const to = new Date();
    const steady = memoryKiB(pid);
    const after = await poolStats(workers);
    const batches = await batchesIn(logFile, from, to);
    const lat = after.latencies;
    const r: Partial<Round> = {
      db,
      n,
      rep,
      connectS,
      rssIdleMiB: mib(idle.rss),
      rssSteadyMiB: mib(steady.rss),
      kibPerAgent: (steady.rss - idle.rss) / n,
      cpuCores: steadyCpu.cores,
      loadCpuCores: loadCpu.cores,
      postgresCpuCores: pgCores,
      heartbeatsPerS: (after.sent - before.sent) / steadyCpu.seconds,
      storedPerS: batches.records / steadyCpu.seconds,
      batchesPerS: batches.batches / steadyCpu.seconds,
      batchP50Records: percentile(batches.sizes, 50),
      batchDbMsP99: percentile(batches.dbMs, 99),
      ackP50Ms: percentile(lat, 50),
      ackP99Ms: percentile(lat, 99),
      ackMaxMs: percentile(lat, 100),
      ackSamples: lat.length,
    };
    progress(
      `${db} N=${n}: server ${(r.cpuCores! * 100).toFixed(1)}% of a core, ` +
        (databaseUrl ? `PostgreSQL ${(pgCores * 100).toFixed(1)}%, ` : "") +
        `${r.kibPerAgent!.toFixed(1)} KiB/agent, ${r.heartbeatsPerS!.toFixed(0)} heartbeats/s, ` +
        `${r.batchesPerS!.toFixed(1)} batches/s, ack p50 ${r.ackP50Ms} p99 ${r.ackP99Ms} ms`,
    );

    // Reconnect storm.
    const stormCpu = cpuWindow(pid);
    const codesBefore = (await poolStats(workers)).closeCodes;
    let peak = 0;
    let peakFds = 0;
    let ticks = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, memoryKiB(pid).rss);
      if (ticks++ % 4 === 0) peakFds = Math.max(peakFds, openFiles(pid));
    }, 250);
    const storms = await Promise.all(
      workers.map((w) =>
        w.call<{ closedAt: number; welcomeMs: number[]; retries: number }>("storm", {
          jitterMs: STORM_JITTER_MS,
          timeoutMs: STORM_TIMEOUT_S * 1000,
        })
      ),
    );
    clearInterval(sampler);
    r.stormCpuCores = stormCpu.stop().cores;
    r.stormPeakMiB = mib(Math.max(peak, memoryKiB(pid).rss));
    const welcomeMs = storms.flatMap((s) => s.welcomeMs);
    r.stormS = Math.max(...welcomeMs) / 1000;
    r.stormP50S = percentile(welcomeMs, 50) / 1000;
    r.stormRetries = storms.reduce((a, s) => a + s.retries, 0);
    r.stormPeakFds = peakFds;
    const codesAfter = (await poolStats(workers)).closeCodes;
    r.stormCloseCodes = Object.fromEntries(
      Object.entries(codesAfter).map(([c, k]) => [c, k - (codesBefore[c] ?? 0)]).filter(([, k]) =>
        Number(k) > 0
      ),
    );
    progress(
      `${db} N=${n}: storm absorbed in ${r.stormS.toFixed(1)} s (p50 ${
        r.stormP50S.toFixed(1)
      } s, ` +
        `${r.stormRetries} retries ${JSON.stringify(r.stormCloseCodes)}, server ` +
        `${(r.stormCpuCores * 100).toFixed(0)}% of a core, ${peakFds} descriptors at most)`,
    );
    await sleep(WARMUP_S * 1000);
    r.rssAfterStormMiB = mib(memoryKiB(pid).rss);

    // Dead nodes: silent but connected.
    const perWorker = Math.max(1, Math.ceil(DEAD / workers.length));
    const silent = (await Promise.all(workers.map((w) =>
      w.call<{ nodeId: string; lastBeatAt: number }[]>("silence", { count: perWorker })
    ))).flat();
    const silencedAt = Date.now();
    const offlineAt = new Map<string, number>();
    const deadline = silencedAt + 60_000;
    while (offlineAt.size < silent.length && Date.now() < deadline) {
      await Promise.all(
        silent.filter((s) =>
          !offlineAt.has(s.nodeId)
        ).map(async (s) => {
          const res = await api(server.url, admin, `/nodes/${s.nodeId}`);
          const status = (res.body.node as { status?: string } | undefined)?.status;
          if (status === "offline") {
            offlineAt.set(s.nodeId, Date.now());
          }
        }),
      );
      await sleep(250);
    }
    r.deadFromLastBeatS = silent.map((s) =>
      ((offlineAt.get(s.nodeId) ?? NaN) - s.lastBeatAt) / 1000
    );
    r.deadFromSilenceS = silent.map((s) =>
      ((offlineAt.get(s.nodeId) ?? NaN) - silencedAt) / 1000
    );
    r.unexpectedCloses = (await poolStats(workers)).unexpectedCloses;
    progress(
      `${db} N=${n}: ${offlineAt.size}/${silent.length} silent nodes offline; from last ` +
        `heartbeat max ${Math.max(...r.deadFromLastBeatS).toFixed(2)} s`,
    );
    return r as Round;
  } catch (err) {
    progress(`server log tail:\n${await readTail(logFile)}`);
    throw err;
  } finally {
    await Promise.all(workers.map((w) => w.call("stopAll")));
    await stop(server);
  }
}

const f = (v: number, d = 0) => Number.isFinite(v) ? v.toFixed(d) : "–";

function report(db: string, rounds: Round[]): string {
  const out: string[] = [];
  const byN = NS.map((n) => ({ n, rs: rounds.filter((r) => r.n === n) }));
  const med = (rs: Round[], pick: (r: Round) => number) => median(rs.map(pick));
  out.push(`### ${db === "pglite" ? "Embedded PGlite" : "PostgreSQL 15"}`, "");
  out.push(
    `${REPEAT} run(s) per N, medians shown; heartbeat interval ${INTERVAL_MS} ms with a random ` +
      `phase per agent; steady window ${STEADY_S} s after a ${WARMUP_S} s warm-up.`,
    "",
  );
  out.push(table(
    [
      "N",
      "heartbeats/s sent",
      "stored/s",
      "batches/s",
      "records/batch p50",
      "server CPU (% of a core)",
      "RSS idle → steady (MiB)",
      "KiB per agent",
      "send→ack p50 / p99 / max (ms)",
      "storm: all welcomed (s)",
      "storm p50 (s)",
      "dead → offline, from last heartbeat (s, max)",
      "from going silent (s, max)",
      "connect (s)",
      "load process CPU",
      ...(db === "postgres" ? ["PostgreSQL CPU (% of a core)"] : []),
    ],
    byN.map(({ n, rs }) => [
      String(n),
      f(med(rs, (r) => r.heartbeatsPerS)),
      f(med(rs, (r) => r.storedPerS)),
      f(med(rs, (r) => r.batchesPerS), 1),
      f(med(rs, (r) => r.batchP50Records)),
      f(med(rs, (r) => r.cpuCores * 100), 1),
      `${f(med(rs, (r) => r.rssIdleMiB))} → ${f(med(rs, (r) => r.rssSteadyMiB))}`,
      f(med(rs, (r) => r.kibPerAgent), 1),
      `${f(med(rs, (r) => r.ackP50Ms))} / ${f(med(rs, (r) => r.ackP99Ms))} / ${
        f(med(rs, (r) => r.ackMaxMs))
      }`,
      f(med(rs, (r) => r.stormS), 1),
      f(med(rs, (r) => r.stormP50S), 1),
      f(med(rs, (r) => Math.max(...r.deadFromLastBeatS)), 2),
      f(med(rs, (r) => Math.max(...r.deadFromSilenceS)), 2),
      f(med(rs, (r) => r.connectS), 1),
      f(med(rs, (r) => r.loadCpuCores * 100), 0) + "%",
      ...(db === "postgres" ? [f(med(rs, (r) => r.postgresCpuCores * 100), 1)] : []),
    ]),
  ));
  const marginal = byN.slice(1).map(({ n, rs }, k) => {
    const prev = byN[k];
    const slope = (med(rs, (r) => r.rssSteadyMiB) - med(prev.rs, (r) => r.rssSteadyMiB)) * 1024 /
      (n - prev.n);
    return `${prev.n}→${n}: ${f(slope, 1)} KiB`;
  });
  if (marginal.length > 0) {
    out.push(
      "",
      `Marginal server memory per added agent (steady RSS between fresh processes): ${
        marginal.join(", ")
      }.`,
    );
  }
  out.push("", "Targets per N (medians):", "");
  out.push(table(
    ["N", "CPU ≤ 25%", "≤ 32 KiB/agent", "storm ≤ 60 s", "p99 < 1 s", "offline ≤ 15 s", "all"],
    byN.map(({ n, rs }) => {
      const checks = [
        med(rs, (r) => r.cpuCores) <= TARGET.cpuCores,
        med(rs, (r) => r.kibPerAgent) <= TARGET.kibPerAgent,
        med(rs, (r) => r.stormS) <= TARGET.stormS,
        med(rs, (r) => r.ackP99Ms) < TARGET.p99Ms,
        med(rs, (r) => Math.max(...r.deadFromLastBeatS)) <= TARGET.deadS,
      ];
      return [String(n), ...checks.map(verdict), verdict(checks.every(Boolean))];
    }),
  ));
  return out.join("\n");
}

async function main() {
  checkFileLimit();
  const workers = Array.from({ length: WORKERS }, newWorker);
  const sections: string[] = [];
  const all: Round[] = [];
  try {
    for (const db of DBS) {
      const dataDir = await Deno.makeTempDir({ prefix: `lattice-agents-${db}-` });
      const database = db === "postgres" ? await createBenchDatabase("lattice_bench") : null;
      try {
        const admin = await prepare(db, dataDir, workers, database?.url);
        const rounds: Round[] = [];
        for (let rep = 1; rep <= REPEAT; rep++) {
          for (const n of NS) {
            rounds.push(await round(db, n, rep, dataDir, admin, workers, database?.url));
          }
        }
        all.push(...rounds);
        sections.push(report(db, rounds));
      } finally {
        await database?.drop().catch((e) => progress(`dropping the database failed: ${e}`));
        // Each worker's agents belong to this database: start the next one from scratch.
        for (const w of workers) w.size = 0;
      }
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      if (DBS.length > 1) {
        workers.forEach((w) => w.terminate());
        workers.splice(
          0,
          workers.length,
          ...Array.from({ length: WORKERS }, newWorker),
        );
      }
    }
  } finally {
    workers.forEach((w) => w.terminate());
  }
  await Deno.mkdir(`${ROOT}/bench/results`, { recursive: true });
  const saved = `${ROOT}/bench/results/agents-${
    new Date().toISOString().replace(/[:.]/g, "")
  }.json`;
  await Deno.writeTextFile(saved, JSON.stringify(all, null, 2));
  progress(`raw figures saved to ${saved}`);
  console.log(
    [
      "## Agent heartbeat ingest (simulated agents)",
      "",
      `Load average: ${
        (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ")
      }`,
      "",
      ...sections,
    ].join("\n\n"),
  );
}

await main();
