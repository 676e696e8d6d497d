// Time from running the Join page's one line to the node being online, on this machine.
//
//   deno run -A bench/time_to_online.ts [--runs 5]      (or: bash bench/run.sh online)
//
// Starts a fresh control plane (`deno task start`, embedded PGlite) with a pool that approves
// new nodes automatically and one join token, then --runs times, each in a fresh HOME (and
// agent state dir): runs exactly `curl -fsSL <server>/install.sh | sh -s -- --token T` with `sh`
// and polls GET /api/v1/nodes every 25 ms until that run's node is `online` and `approved`.
// Each run's agent is stopped (SIGTERM, its pid file) before the next. The server bundles the
// agent on the first download: that is timed apart (`bundleBuildMs`) and done before run 1, as a
// server that has served the installer once would have it. There is no compiled agent build
// here (deno compile cannot fetch denort), so the installer uses the bundle with Deno.
//
// JSON on stdout (median/min/max of the runs), progress on stderr, a copy in
// bench/results/time-to-online-*.json. Docker: DOCKER_HOST, else LATTICE_TEST_DOCKER_SOCK.
import { parseArgs } from "node:util";
import {
  createApiToken,
  freePort,
  median,
  postJson,
  progress,
  readTail,
  ROOT,
  spawnToFile,
  stop,
  waitReady,
} from "./lib.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error("--runs must be a positive integer");
const DOCKER_HOST = Deno.env.get("DOCKER_HOST") ??
  `unix://${Deno.env.get("LATTICE_TEST_DOCKER_SOCK") ?? "/var/run/docker.sock"}`;
const DEADLINE_MS = 120_000;

interface Node {
  id: string;
  status: string;
  approval: string;
}

async function listNodes(url: string, token: string): Promise<Node[]> {
  const res = await fetch(`${url}/api/v1/nodes`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /api/v1/nodes: ${res.status} ${await res.text()}`);
  return (await res.json()).nodes;
}

async function stopAgent(stateDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await Deno.readTextFile(`${stateDir}/agent.pid`)).trim());
  } catch {
    return;
  }
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
      if (stat.slice(stat.lastIndexOf(")") + 2)[0] === "Z") return;
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  Deno.kill(pid, "SIGKILL");
}

const stamp = new Date().toISOString().replace(/[-:.]/g, "");
const dataDir = await Deno.makeTempDir({ prefix: "lattice-bench-online-" });
const port = freePort();
const server = spawnToFile(["deno", "task", "start"], {
  port,
  logFile: `${dataDir}/server.log`,
  env: {
    LATTICE_PORT: String(port),
    LATTICE_HOSTNAME: "127.0.0.1",
    LATTICE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    LATTICE_DATA_DIR: `${dataDir}/data`,
  },
});
const homes: string[] = [];
try {
  progress(`server ready in ${Math.round(await waitReady(server))} ms`);
  const token = await createApiToken(server.url);
  const { pool } = await postJson(
    `${server.url}/api/v1/pools`,
    { name: "bench", autoApprove: true },
    201,
    token,
  ) as { pool: { id: string } };
  const { secret } = await postJson(
    `${server.url}/api/v1/join-tokens`,
    { poolId: pool.id, maxUses: RUNS, expiresInHours: 1 },
    201,
    token,
  ) as { secret: string };

  const b0 = performance.now();
  const sums = await fetch(`${server.url}/downloads/SHA256SUMS`);
  if (!sums.ok) throw new Error(`GET /downloads/SHA256SUMS: ${sums.status}`);
  await sums.body?.cancel();
  const bundleBuildMs = performance.now() - b0;
  progress(`agent bundle ready in ${Math.round(bundleBuildMs)} ms`);

  const online: number[] = [];
  const scripts: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const home = await Deno.makeTempDir({ prefix: "lattice-bench-home-" });
    homes.push(home);
    const before = new Set((await listNodes(server.url, token)).map((n) => n.id));
    const t0 = performance.now();
    const child = new Deno.Command("sh", {
      args: ["-c", `curl -fsSL ${server.url}/install.sh | sh -s -- --token ${secret}`],
      clearEnv: true,
      env: {
        HOME: home,
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        LATTICE_AGENT_STATE_DIR: `${home}/.lattice-agent`,
        DOCKER_HOST,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let scriptMs = NaN;
    const output = child.output().then((o) => {
      scriptMs = performance.now() - t0;
      return o;
    });
    let onlineMs = NaN;
    while (performance.now() - t0 < DEADLINE_MS) {
      const fresh = (await listNodes(server.url, token)).filter((n) => !before.has(n.id));
      if (fresh.some((n) => n.status === "online" && n.approval === "approved")) {
        onlineMs = performance.now() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    const out = await output;
    if (!out.success || Number.isNaN(onlineMs)) {
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      throw new Error(`run ${run}: exit ${out.code}, online ${onlineMs} ms\n${text}`);
    }
    online.push(onlineMs);
    scripts.push(scriptMs);
    progress(
      `run ${run}: online after ${Math.round(onlineMs)} ms (script ${Math.round(scriptMs)} ms)`,
    );
    await stopAgent(`${home}/.lattice-agent`);
  }

  const round = (n: number) => Math.round(n);
  const summary = (xs: number[]) => ({
    median: round(median(xs)),
    min: round(Math.min(...xs)),
    max: round(Math.max(...xs)),
  });
  const result = {
    benchmark: "time from the one-line installer to the node online (auto-approve pool)",
    date: new Date().toISOString(),
    runs: RUNS,
    artefact: "lattice-agent.js + deno wrapper (no compiled build on this machine)",
    onlineMs: { ...summary(online), all: online.map(round) },
    scriptExitMs: { ...summary(scripts), all: scripts.map(round) },
    bundleBuildMs: round(bundleBuildMs),
  };
  await Deno.mkdir(`${ROOT}/bench/results`, { recursive: true });
  await Deno.writeTextFile(
    `${ROOT}/bench/results/time-to-online-${stamp}.json`,
    JSON.stringify(result, null, 2) + "\n",
  );
  console.log(JSON.stringify(result, null, 2));
} catch (err) {
  progress(`server log tail:\n${await readTail(server.logFile)}`);
  throw err;
} finally {
  for (const home of homes) await stopAgent(`${home}/.lattice-agent`);
  await stop(server);
  for (const dir of [...homes, dataDir]) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
