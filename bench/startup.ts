// Start-up time to /readyz on embedded defaults (PGlite + Deno KV in a temp data dir):
// `deno task start` as users run it, first on an empty data dir, then again on the same dir;
// and a bare `deno run` of a Deno.serve script as the baseline.
//
//   deno run -A bench/startup.ts
//
// BENCH_STARTUP_RUNS (default 5) sets how many later runs (and bare runs) to time.
import {
  envInt,
  logLines,
  median,
  ms,
  progress,
  spawnBare,
  spawnLattice,
  stop,
  table,
  verdict,
  waitReady,
} from "./lib.ts";

const RUNS = envInt("BENCH_STARTUP_RUNS", 5);
const TARGET_MS = 2_000;

interface LatticeRun {
  label: string;
  wallMs: number;
  /** What main.ts logs as startup_ms: after its imports, until listening. */
  inProcessMs: number | null;
  /** What buildControlPlane logs: opening PGlite and running migrations. */
  databaseMs: number | null;
  stopMs: number;
}

async function timeLattice(label: string, dataDir: string, work: string): Promise<LatticeRun> {
  const logFile = `${work}/${label.replace(/\W+/g, "-")}.log`;
  const server = spawnLattice({ dataDir, logFile });
  let wallMs: number;
  let stopMs = NaN;
  try {
    wallMs = await waitReady(server, { intervalMs: 10 });
  } finally {
    // Stop even when start-up failed, so no process outlives the benchmark.
    stopMs = await stop(server);
  }
  const listening = (await logLines(logFile, "control plane listening"))[0];
  const database = (await logLines(logFile, "database ready"))[0];
  const run = {
    label,
    wallMs,
    inProcessMs: typeof listening?.startup_ms === "number" ? listening.startup_ms : null,
    databaseMs: typeof database?.ms === "number" ? database.ms : null,
    stopMs,
  };
  progress(`${label}: ${ms(wallMs)} ms to /readyz`);
  return run;
}

async function timeBare(work: string, i: number): Promise<number> {
  const server = spawnBare({ logFile: `${work}/bare-${i}.log` });
  try {
    return await waitReady(server, { intervalMs: 10 });
  } finally {
    await stop(server);
  }
}

const work = await Deno.makeTempDir({ prefix: "lattice-bench-startup-" });
const dataDir = `${work}/data`;
try {
  progress(`start-up: data dir ${dataDir}`);
  const first = await timeLattice("first run (empty data dir)", dataDir, work);
  const later: LatticeRun[] = [];
  for (let i = 1; i <= RUNS; i++) {
    later.push(await timeLattice(`later run ${i}`, dataDir, work));
  }

  // One untimed bare run first, so Deno's transpile cache for the script is warm, like
  // Lattice's is after its first run.
  progress("bare baseline: warm-up run");
  await timeBare(work, 0);
  const bare: number[] = [];
  for (let i = 1; i <= RUNS; i++) {
    const t = await timeBare(work, i);
    progress(`bare run ${i}: ${ms(t)} ms to /readyz`);
    bare.push(t);
  }

  const laterMedian = median(later.map((r) => r.wallMs));
  const bareMedian = median(bare);
  const numOrDash = (v: number | null) => (v === null ? "–" : String(v));
  const rows = [first, ...later].map((r) => [
    r.label,
    ms(r.wallMs),
    numOrDash(r.inProcessMs),
    numOrDash(r.databaseMs),
    ms(r.stopMs),
  ]);
  rows.push([
    `**median of later runs**`,
    `**${ms(laterMedian)}**`,
    numOrDash(median(later.flatMap((r) => r.inProcessMs ?? []))),
    numOrDash(median(later.flatMap((r) => r.databaseMs ?? []))),
    ms(median(later.map((r) => r.stopMs))),
  ]);

  console.log("### Start-up time to /readyz (embedded PGlite + Deno KV)\n");
  console.log(
    "Wall time from spawning `deno task start` until `GET /readyz` answers 200 (polled every " +
      "10 ms). *In-process* is main.ts's own `startup_ms` (after its imports, until listening); " +
      "*database* is opening PGlite and running migrations, both from the server's log.\n",
  );
  console.log(
    table(
      ["Lattice run", "to /readyz (ms)", "in-process (ms)", "database (ms)", "SIGTERM → exit (ms)"],
      rows,
    ),
  );
  console.log();
  console.log(
    table(
      ["Bare baseline (`deno run bench/bare_server.ts`)", "to /readyz (ms)"],
      [
        ...bare.map((t, i) => [`run ${i + 1}`, ms(t)]),
        ["**median**", `**${ms(bareMedian)}**`],
      ],
    ),
  );
  console.log();
  console.log(
    `- Lattice later-run median / bare median: **${(laterMedian / bareMedian).toFixed(1)}×** ` +
      `(Lattice's own start-up ≈ ${ms(laterMedian - bareMedian)} ms on top of a bare Deno ` +
      `server, including the \`deno task\` runner).`,
  );
  console.log(
    `- Target: later runs under ${TARGET_MS / 1000} s — median ${ms(laterMedian)} ms, slowest ` +
      `${ms(Math.max(...later.map((r) => r.wallMs)))} ms: ` +
      `${verdict(later.every((r) => r.wallMs < TARGET_MS))}.`,
  );
  console.log(
    `- First run (creates the database, secret key, migrations): ${ms(first.wallMs)} ms.`,
  );
  console.log();
} finally {
  await Deno.remove(work, { recursive: true }).catch(() => {});
}
