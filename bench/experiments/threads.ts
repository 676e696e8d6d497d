// Which threads of the server burn the CPU under wrk: per-thread user+system time from
// /proc/<pid>/task while GET /api/v1/me is driven for a few seconds, at each log level.
// Linux only. Not part of `deno task bench`.
//
//   deno run -A bench/experiments/threads.ts [seconds=5] [level[:null] ...]
//
// "info:null" sends the server's output to /dev/null instead of a file.
import {
  createApiToken,
  freePort,
  progress,
  runWrk,
  spawnToFile,
  startTaskFlags,
  stop,
  table,
  waitReady,
} from "../lib.ts";

const seconds = Number(Deno.args[0] ?? "5");
const levels = Deno.args.length > 1 ? Deno.args.slice(1) : ["info", "warn"];

/** Ticks per thread name (threads of the same name summed) of process `pid`. */
async function threadTicks(pid: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const t of Deno.readDir(`/proc/${pid}/task`)) {
    try {
      const stat = await Deno.readTextFile(`/proc/${pid}/task/${t.name}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(name, (out.get(name) ?? 0) + Number(rest[11]) + Number(rest[12]));
    } catch {
      // The thread ended.
    }
  }
  return out;
}

const work = await Deno.makeTempDir({ prefix: "lattice-bench-threads-" });
try {
  for (const [i, spec] of levels.entries()) {
    const [level, target] = spec.split(":");
    const port = freePort();
    const server = spawnToFile(["deno", "run", ...startTaskFlags(), "main.ts"], {
      port,
      logFile: target === "null" ? "/dev/null" : `${work}/${i}-${level}.log`,
      env: {
        LATTICE_PORT: String(port),
        LATTICE_HOSTNAME: "127.0.0.1",
        LATTICE_DATA_DIR: `${work}/data-${i}`,
        LATTICE_LOG_LEVEL: level,
      },
    });
    try {
      await waitReady(server);
      const header = `Authorization: Bearer ${await createApiToken(server.url)}`;
      const url = `${server.url}/api/v1/me`;
      await runWrk(url, { duration: "2s", header });
      const before = await threadTicks(server.child.pid);
      const r = await runWrk(url, { duration: `${seconds}s`, header });
      const after = await threadTicks(server.child.pid);
      progress(`${spec}: ${Math.round(r.requestsPerSec)} req/s`);
      const rows = [...after].map(([name, ticks]) => {
        const used = (ticks - (before.get(name) ?? 0)) / 100;
        return [name, (used / seconds).toFixed(2), (used / r.requests * 1e6).toFixed(1)];
      }).filter((row) => row[1] !== "0.00").sort((a, b) => Number(b[1]) - Number(a[1]));
      console.log(
        `\n#### LATTICE_LOG_LEVEL=${level}, output to ${
          target === "null" ? "/dev/null" : "a file"
        }: ` +
          `${Math.round(r.requestsPerSec)} requests/s\n`,
      );
      console.log(table(["Thread", "cores", "µs / request"], rows));
    } finally {
      await stop(server);
    }
  }
} finally {
  await Deno.remove(work, { recursive: true }).catch(() => {});
}
