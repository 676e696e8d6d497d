// Throughput and latency of GET /api/v1/me with a bearer API token, measured with wrk against
// `deno task start` on embedded defaults: at the default log level (info, as users run it), at
// warn (no access log at all) and at debug (an access-log line per request, which is what info
// wrote before commit 2ce3083); and the identical wrk command against a bare Deno.serve.
//
//   deno run -A bench/http.ts
//
// Needs wrk on PATH. BENCH_WRK_SECONDS (default 10) sets the measured duration; the warm-up
// is always 2 s.
import {
  createApiToken,
  envInt,
  ms,
  progress,
  readTail,
  runWrk,
  spawnBare,
  type Spawned,
  spawnLattice,
  stop,
  table,
  verdict,
  waitReady,
  type WrkResult,
} from "./lib.ts";

const SECONDS = envInt("BENCH_WRK_SECONDS", 10);
const TARGET_RPS = 20_000;
const TARGET_RATIO = 0.2;
const TARGET_P99_MS = 10;

interface Measured {
  name: string;
  level: string;
  result: WrkResult;
  /** Bytes the server wrote to its log during the measured run (Lattice only). */
  logBytes?: number;
}

/** Warm up for 2 s, then measure with the fixed wrk command. */
async function measure(
  server: Spawned,
  path: string,
  header: string,
): Promise<{ result: WrkResult; logBytes: number }> {
  const url = `${server.url}${path}`;
  progress(`warm-up: wrk 2 s ${url}`);
  await runWrk(url, { duration: "2s", header });
  progress(`measuring: wrk -t2 -c64 -d${SECONDS}s --latency ${url}`);
  const before = (await Deno.stat(server.logFile)).size;
  const result = await runWrk(url, { duration: `${SECONDS}s`, header, pid: server.child.pid });
  // The sink may still hold up to 50 ms of lines: wait for them before measuring the log.
  await new Promise((r) => setTimeout(r, 200));
  const logBytes = (await Deno.stat(server.logFile)).size - before;
  progress(
    `${ms(result.requestsPerSec)} req/s, p99 ${ms(result.latencyMs.p99, 2)} ms, ` +
      `server CPU ${ms(result.cpuUsPerRequest, 1)} µs/request` +
      (result.non2xx ? `, ${result.non2xx} non-2xx` : ""),
  );
  return { result, logBytes };
}

type Level = "info" | "warn" | "debug";

async function benchLattice(level: Level, work: string): Promise<Measured> {
  const dataDir = `${work}/data-${level}`;
  const logFile = `${work}/lattice-${level}.log`;
  progress(`Lattice at LATTICE_LOG_LEVEL=${level}: starting`);
  const server = spawnLattice({ dataDir, logFile, logLevel: level });
  try {
    await waitReady(server);
    const secret = await createApiToken(server.url);
    const { result, logBytes } = await measure(
      server,
      "/api/v1/me",
      `Authorization: Bearer ${secret}`,
    );
    return { name: "Lattice `GET /api/v1/me`", level, result, logBytes };
  } catch (err) {
    progress(`server log tail:\n${await readTail(logFile)}`);
    throw err;
  } finally {
    await stop(server);
  }
}

async function benchBare(work: string, header: string): Promise<Measured> {
  progress("bare Deno.serve: starting");
  const server = spawnBare({ logFile: `${work}/bare.log` });
  try {
    await waitReady(server);
    const { result } = await measure(server, "/api/v1/me", header);
    return { name: "bare `Deno.serve` hello-world", level: "–", result };
  } finally {
    await stop(server);
  }
}

const work = await Deno.makeTempDir({ prefix: "lattice-bench-http-" });
try {
  // Bare first, then Lattice at info (as users run it), warn and debug. The bare server gets
  // the same header, a real-looking token, so the request is identical.
  const bare = await benchBare(work, "Authorization: Bearer lat_0000000000000000000000000000");
  const info = await benchLattice("info", work);
  const warn = await benchLattice("warn", work);
  const debug = await benchLattice("debug", work);
  const all = [bare, info, warn, debug];

  const rows = all.map((m) => [
    m.name,
    m.level,
    `**${ms(m.result.requestsPerSec)}**`,
    ms(m.result.latencyMs.p50, 2),
    ms(m.result.latencyMs.p90, 2),
    `**${ms(m.result.latencyMs.p99, 2)}**`,
    `${(m.result.requestsPerSec / bare.result.requestsPerSec * 100).toFixed(1)}%`,
    ms(m.result.cpuUsPerRequest, 1),
    m.result.cpuCores.toFixed(2),
    m.logBytes === undefined ? "–" : (m.logBytes / 1e6).toFixed(1),
    String(m.result.non2xx + m.result.socketErrors),
  ]);

  console.log("### Throughput of `GET /api/v1/me` with a bearer API token\n");
  console.log(
    `\`wrk -t2 -c64 -d${SECONDS}s --latency -H "Authorization: Bearer <token>" <url>\` after a ` +
      "2 s warm-up; wrk runs on the same machine as the server. Lattice runs `deno task start` " +
      "on embedded defaults with its output redirected to a file. *Server CPU* is the server " +
      "process tree's user + system time over the requests served; *cores busy* is that time " +
      "over the run's wall time.\n",
  );
  console.log(
    table(
      [
        "Server",
        "Log level",
        "Requests/s",
        "p50 (ms)",
        "p90 (ms)",
        "p99 (ms)",
        "of bare",
        "server CPU µs/req",
        "server cores busy",
        "log in run (MB)",
        "errors",
      ],
      rows,
    ),
  );
  console.log();
  const ofBare = (m: Measured) => m.result.requestsPerSec / bare.result.requestsPerSec;
  const ratio = ofBare(info);
  console.log(
    `- Ratio to bare: Lattice at info **${ratio.toFixed(3)}**, at warn ` +
      `**${ofBare(warn).toFixed(3)}**, at debug **${ofBare(debug).toFixed(3)}**.`,
  );
  const logCost = 1 - debug.result.requestsPerSec / warn.result.requestsPerSec;
  const cpuCost = debug.result.cpuUsPerRequest / warn.result.cpuUsPerRequest - 1;
  console.log(
    "- A log line per request (debug vs warn): throughput " +
      `${Math.abs(logCost * 100).toFixed(1)}% ${logCost >= 0 ? "lower" : "higher"}, server ` +
      `CPU per request ${Math.abs(cpuCost * 100).toFixed(1)}% ` +
      `${cpuCost >= 0 ? "higher" : "lower"} (differences of a few % are within this ` +
      "machine's run-to-run noise).",
  );
  const p99 = info.result.latencyMs.p99;
  const short = (m: Measured) =>
    m.result.requestsPerSec < TARGET_RPS
      ? ` (${((1 - m.result.requestsPerSec / TARGET_RPS) * 100).toFixed(0)}% short)`
      : "";
  console.log(
    `- Target ≥ ${TARGET_RPS.toLocaleString("en")} requests/s at the default log level: ` +
      `${ms(info.result.requestsPerSec)} — ${verdict(info.result.requestsPerSec >= TARGET_RPS)}` +
      `${short(info)}; at warn ${ms(warn.result.requestsPerSec)} — ` +
      `${verdict(warn.result.requestsPerSec >= TARGET_RPS)}${short(warn)}; at debug ` +
      `${ms(debug.result.requestsPerSec)} — ${verdict(debug.result.requestsPerSec >= TARGET_RPS)}` +
      `${short(debug)}.`,
  );
  console.log(
    `- Target ≥ ${TARGET_RATIO * 100}% of bare throughput: ${(ratio * 100).toFixed(1)}% — ` +
      `${verdict(ratio >= TARGET_RATIO)}.`,
  );
  console.log(
    `- Target p99 < ${TARGET_P99_MS} ms: ${ms(p99, 2)} ms — ${verdict(p99 < TARGET_P99_MS)}` +
      `; at warn ${ms(warn.result.latencyMs.p99, 2)} ms, at debug ` +
      `${ms(debug.result.latencyMs.p99, 2)} ms.`,
  );
  const failures = all.filter((m) => m.result.non2xx + m.result.socketErrors > 0);
  if (failures.length > 0) {
    console.log(
      `- **Warning:** errors during ${failures.map((m) => `${m.name} (${m.level})`).join(", ")}` +
        ": the figures above include failed requests.",
    );
  }
  console.log();
} finally {
  await Deno.remove(work, { recursive: true }).catch(() => {});
}
