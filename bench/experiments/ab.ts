// A/B: the same wrk command against variants of the app (bench/experiments/variant_server.ts),
// interleaved over several rounds because the machine is shared and noisy; prints medians.
// Not part of `deno task bench`.
//
//   deno run -A bench/experiments/ab.ts [rounds=3] [seconds=10] [variant ...]
import {
  createApiToken,
  freePort,
  median,
  ms,
  progress,
  readTail,
  runWrk,
  spawnToFile,
  startTaskFlags,
  stop,
  table,
  waitReady,
  type WrkResult,
} from "../lib.ts";
import { DEFAULT_VARIANTS } from "./variants.ts";

const rounds = Number(Deno.args[0] ?? "3");
const seconds = Number(Deno.args[1] ?? "10");
const variants = Deno.args.length > 2 ? Deno.args.slice(2) : DEFAULT_VARIANTS;

async function once(variant: string, work: string, round: number): Promise<WrkResult> {
  const port = freePort();
  const logFile = `${work}/${variant}-${round}.log`;
  const server = spawnToFile([
    "deno",
    "run",
    ...startTaskFlags(),
    "bench/experiments/variant_server.ts",
  ], {
    port,
    logFile,
    env: {
      VARIANT: variant,
      LATTICE_PORT: String(port),
      LATTICE_HOSTNAME: "127.0.0.1",
      LATTICE_DATA_DIR: `${work}/data-${variant}-${round}`,
      LATTICE_LOG_LEVEL: "info",
    },
  });
  try {
    await waitReady(server);
    const header = `Authorization: Bearer ${await createApiToken(server.url)}`;
    const url = `${server.url}/api/v1/me`;
    await runWrk(url, { duration: "2s", header });
    const r = await runWrk(url, { duration: `${seconds}s`, header, pid: server.child.pid });
    progress(
      `round ${round} ${variant}: ${ms(r.requestsPerSec)} req/s, p99 ${r.latencyMs.p99} ms, ` +
        `${ms(r.cpuUsPerRequest, 1)} µs CPU/request, ${r.cpuCores.toFixed(2)} cores`,
    );
    if (r.non2xx || r.socketErrors) {
      progress(`  ${r.non2xx} non-2xx, ${r.socketErrors} socket errors`);
    }
    return r;
  } catch (err) {
    progress(await readTail(logFile));
    throw err;
  } finally {
    await stop(server);
    const last = (await readTail(logFile, 2)).trim();
    if (last.includes("stdout writes")) progress(`  ${last}`);
  }
}

const work = await Deno.makeTempDir({ prefix: "lattice-bench-ab-" });
try {
  const results = new Map<string, WrkResult[]>(variants.map((v) => [v, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const v of variants) results.get(v)!.push(await once(v, work, round));
  }
  const base = median(results.get(variants[0])!.map((r) => r.requestsPerSec));
  const baseCpu = median(results.get(variants[0])!.map((r) => r.cpuUsPerRequest));
  console.log(`### A/B of GET /api/v1/me variants (${rounds} rounds × ${seconds} s, medians)\n`);
  console.log(table(
    [
      "Variant",
      "Requests/s",
      `vs ${variants[0]}`,
      "p99 (ms)",
      "server CPU µs/req",
      `CPU vs ${variants[0]}`,
      "all runs (req/s)",
      "all runs (µs/req)",
    ],
    [...results].map(([v, rs]) => {
      const rps = median(rs.map((r) => r.requestsPerSec));
      const cpu = median(rs.map((r) => r.cpuUsPerRequest));
      return [
        v,
        ms(rps),
        `${((rps / base - 1) * 100).toFixed(1)}%`,
        ms(median(rs.map((r) => r.latencyMs.p99)), 2),
        ms(cpu, 1),
        `${((cpu / baseCpu - 1) * 100).toFixed(1)}%`,
        rs.map((r) => ms(r.requestsPerSec)).join(", "),
        rs.map((r) => ms(r.cpuUsPerRequest, 1)).join(", "),
      ];
    }),
  ));
} finally {
  await Deno.remove(work, { recursive: true }).catch(() => {});
}
