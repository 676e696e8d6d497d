// Deploy overhead: a deploy command through Lattice (HTTP API → control plane → WebSocket →
// the REAL agent → Docker) against a bare Docker create + start of the same cached image and
// the same create body, measured side by side in one run, interleaved A, B, A, B…
//
//   deno run -A bench/deploy_overhead.ts [--iterations 80] [--warmup 3]
//
// Needs a running Docker Engine (DOCKER_HOST or /var/run/docker.sock) and /bin/busybox from
// busybox-static (the image is built locally; no registry is used). "Running" is the moment
// Docker's `start` event for the container reaches an events stream this script holds open,
// for both A and B. Every container made here carries the label lattice-bench.run=<run id>
// and is removed between iterations (not timed) and at the end.
//
// Markdown on stdout, progress on stderr, raw figures in bench/results/deploy-*.json.
import { parseArgs } from "node:util";
import { DockerClient, type DockerEvent } from "../agent/docker/mod.ts";
import type { ContainerCreateBody } from "../agent/docker/mod.ts";
import { buildCreateBody } from "../agent/container_body.ts";
import { ContainerSpec, LABELS } from "../lib/protocol.ts";
import { ensureBusyboxImage } from "../tests/helpers/images.ts";
import {
  createApiToken,
  freePort,
  median,
  progress,
  readTail,
  ROOT,
  type Spawned,
  spawnToFile,
  startTaskFlags,
  stop,
  table,
  verdict,
  waitReady,
} from "./lib.ts";
import { percentile } from "./proc.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    iterations: { type: "string", default: "80" },
    warmup: { type: "string", default: "3" },
  },
});
const ITERATIONS = Number(flags.iterations);
const WARMUP = Number(flags.warmup);
const IMAGE = "lattice-test/busybox:1";
const RUN_LABEL = "lattice-bench.run";
const ITER_LABEL = "lattice-bench.iteration";
const TARGET = { medianMs: 50, p99Ms: 100 };

const runId = crypto.randomUUID();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Docker `start` events of this run, by iteration label, as performance.now() on arrival. */
class StartEvents {
  #seen = new Map<string, number>();
  #waiters = new Map<string, (t: number) => void>();
  readonly #abort = new AbortController();
  readonly done: Promise<void>;

  constructor(docker: DockerClient) {
    this.done = (async () => {
      try {
        for await (
          const e of docker.events({
            type: ["container"],
            labels: { [RUN_LABEL]: runId },
            signal: this.#abort.signal,
          })
        ) this.#on(e);
      } catch (err) {
        if (!this.#abort.signal.aborted) progress(`Docker event stream failed: ${err}`);
      }
    })();
  }

  #on(e: DockerEvent): void {
    const now = performance.now();
    if ((e.Action ?? e.status) !== "start") return;
    const key = e.Actor?.Attributes?.[ITER_LABEL];
    if (!key) return;
    this.#seen.set(key, now);
    this.#waiters.get(key)?.(now);
  }

  /** When the start event of iteration `key` arrived (waits for it, up to `timeoutMs`). */
  wait(key: string, timeoutMs = 30_000): Promise<number> {
    const seen = this.#seen.get(key);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(key);
        reject(new Error(`no start event for ${key} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.set(key, (t) => {
        clearTimeout(timer);
        this.#waiters.delete(key);
        resolve(t);
      });
    });
  }

  close(): void {
    this.#abort.abort();
  }
}

function spec(iteration: string) {
  return {
    image: IMAGE,
    command: ["sleep", "3600"],
    resources: { cpus: 0.1, memoryBytes: 33_554_432 },
    labels: { [RUN_LABEL]: runId, [ITER_LABEL]: iteration },
  };
}

/** B's body: exactly what the agent would create, minus the labels that make it Lattice's. */
function bareBody(iteration: string): ContainerCreateBody {
  const built = buildCreateBody(ContainerSpec.parse(spec(iteration)), {
    nodeId: crypto.randomUUID(),
    allocationId: crypto.randomUUID(),
    hostPorts: [],
  });
  const labels = Object.fromEntries(
    Object.entries(built.body.Labels).filter(([k]) => !Object.values(LABELS).includes(k as never)),
  );
  return { ...built.body, Labels: labels } as ContainerCreateBody;
}

async function removeRunContainers(docker: DockerClient): Promise<number> {
  const list = await docker.containerList({ all: true, labels: { [RUN_LABEL]: runId } });
  for (const c of list) await docker.containerRemove(c.Id, { force: true }).catch(() => {});
  return list.length;
}

interface Sample {
  iteration: number;
  /** A: POST …/commands deploy → response (the agent answers after start). */
  aResponseMs: number;
  /** A: POST → Docker's start event. */
  aStartMs: number;
  /** B: create + start calls. */
  bCallsMs: number;
  /** B: create → Docker's start event. */
  bStartMs: number;
}

async function main() {
  const docker = await DockerClient.connect();
  await ensureBusyboxImage(docker, IMAGE);
  const work = await Deno.makeTempDir({ prefix: "lattice-deploy-bench-" });
  const port = freePort();
  let server: Spawned | null = null;
  let agent: Spawned | null = null;
  const events = new StartEvents(docker);
  const samples: Sample[] = [];
  try {
    server = spawnToFile(["deno", "run", ...startTaskFlags(), "main.ts"], {
      port,
      logFile: `${work}/server.log`,
      env: {
        LATTICE_PORT: String(port),
        LATTICE_HOSTNAME: "127.0.0.1",
        LATTICE_DATA_DIR: `${work}/data`,
        LATTICE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
    });
    await waitReady(server);
    const admin = await createApiToken(server.url);
    const api = async (path: string, body?: unknown) => {
      const res = await fetch(`${server!.url}/api/v1${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : {} };
    };
    const token = await api("/join-tokens", { maxUses: 1, description: "deploy bench" });
    if (token.status !== 201) throw new Error(`join token: ${JSON.stringify(token.body)}`);

    // The real agent: join, then run, as a user would.
    const stateDir = `${work}/agent-state`;
    const joined = await new Deno.Command("deno", {
      args: [
        "run",
        "-A",
        "agent/main.ts",
        "join",
        "--server",
        server.url,
        "--token",
        token.body.secret,
        "--name",
        "deploy-bench",
        "--state-dir",
        stateDir,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const joinOut = new TextDecoder().decode(joined.stdout) +
      new TextDecoder().decode(joined.stderr);
    const nodeId = /as node ([0-9a-f-]{36})/.exec(joinOut)?.[1];
    if (!joined.success || !nodeId) throw new Error(`agent join failed:\n${joinOut}`);
    agent = spawnToFile(
      ["deno", "run", "-A", "agent/main.ts", "run", "--state-dir", stateDir],
      { port: 0, logFile: `${work}/agent.log` },
    );
    const approved = await api(`/nodes/${nodeId}/approve`, {});
    if (approved.status !== 200) throw new Error(`approve: ${JSON.stringify(approved.body)}`);
    const deadline = Date.now() + 60_000;
    while ((await api(`/nodes/${nodeId}`)).body.node?.status !== "online") {
      if (Date.now() > deadline) {
        throw new Error(`the agent did not come online:\n${await readTail(agent.logFile)}`);
      }
      await sleep(100);
    }
    progress(`agent online as node ${nodeId}; ${WARMUP} warm-up pairs, then ${ITERATIONS}`);
    await sleep(1000);

    for (let i = -WARMUP; i < ITERATIONS; i++) {
      // A: through Lattice.
      const aKey = `a-${i}-${crypto.randomUUID()}`;
      const t0 = performance.now();
      const res = await api(`/nodes/${nodeId}/commands`, {
        action: "deploy",
        allocationId: crypto.randomUUID(),
        spec: spec(aKey),
      });
      const tResponse = performance.now();
      if (res.status !== 200) throw new Error(`deploy: ${res.status} ${JSON.stringify(res.body)}`);
      const tStartA = await events.wait(aKey);
      await docker.containerRemove(res.body.data.containerId, { force: true });
      await sleep(200); // let the agent report the removal before the next timing

      // B: the same body straight to Docker.
      const bKey = `b-${i}-${crypto.randomUUID()}`;
      const body = bareBody(bKey);
      const t1 = performance.now();
      const { id } = await docker.containerCreate(undefined, body);
      await docker.containerStart(id);
      const tCalls = performance.now();
      const tStartB = await events.wait(bKey);
      await docker.containerRemove(id, { force: true });
      await sleep(200);

      if (i < 0) continue;
      samples.push({
        iteration: i,
        aResponseMs: tResponse - t0,
        aStartMs: tStartA - t0,
        bCallsMs: tCalls - t1,
        bStartMs: tStartB - t1,
      });
      if ((i + 1) % 20 === 0) progress(`${i + 1}/${ITERATIONS}`);
    }
  } catch (err) {
    if (server) progress(`server log tail:\n${await readTail(server.logFile)}`);
    if (agent) progress(`agent log tail:\n${await readTail(agent.logFile)}`);
    throw err;
  } finally {
    events.close();
    const left = await removeRunContainers(docker).catch(() => 0);
    if (left > 0) progress(`removed ${left} leftover container(s) of this run`);
    if (agent) await stop(agent);
    if (server) await stop(server);
    await events.done;
    docker.close();
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  report(samples);
}

function report(samples: Sample[]): void {
  const pick = (f: (s: Sample) => number) => samples.map(f);
  const aStart = pick((s) => s.aStartMs);
  const bStart = pick((s) => s.bStartMs);
  const aResp = pick((s) => s.aResponseMs);
  const bCalls = pick((s) => s.bCallsMs);
  const paired = pick((s) => s.aStartMs - s.bStartMs);
  const pairedResp = pick((s) => s.aResponseMs - s.bCallsMs);
  const row = (name: string, v: number[]) => [
    name,
    median(v).toFixed(1),
    percentile(v, 90).toFixed(1),
    percentile(v, 99).toFixed(1),
    Math.min(...v).toFixed(1),
    Math.max(...v).toFixed(1),
  ];
  const overheadMedian = median(aStart) - median(bStart);
  const overheadP99 = percentile(aStart, 99) - percentile(bStart, 99);
  const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  console.log([
    "## Deploy overhead",
    "",
    `${samples.length} interleaved pairs (A then B) after ${WARMUP} warm-up pairs; image ${IMAGE} ` +
    `(cached), \`sleep 3600\`, 0.1 CPU, 32 MiB. Load average after: ${load}.`,
    "",
    table(["ms", "median", "p90", "p99", "min", "max"], [
      row("A: deploy → Docker `start` event", aStart),
      row("A: deploy → API response", aResp),
      row("B: create + start → Docker `start` event", bStart),
      row("B: create + start calls", bCalls),
      row("A − B per pair, to `start` event", paired),
      row("A response − B calls, per pair", pairedResp),
    ]),
    "",
    `Overhead to running (median A − median B): **${overheadMedian.toFixed(1)} ms**; ` +
    `p99 A − p99 B: **${overheadP99.toFixed(1)} ms**; ratio of medians A/B: ` +
    `**${(median(aStart) / median(bStart)).toFixed(2)}**.`,
    "",
    table(["Target", "Measured", "Verdict"], [
      [
        `overhead median < ${TARGET.medianMs} ms`,
        `${overheadMedian.toFixed(1)} ms`,
        verdict(overheadMedian < TARGET.medianMs),
      ],
      [
        `overhead p99 < ${TARGET.p99Ms} ms`,
        `${overheadP99.toFixed(1)} ms`,
        verdict(overheadP99 < TARGET.p99Ms),
      ],
    ]),
  ].join("\n"));
  const saved = `${ROOT}/bench/results/deploy-${
    new Date().toISOString().replace(/[:.]/g, "")
  }.json`;
  Deno.mkdirSync(`${ROOT}/bench/results`, { recursive: true });
  Deno.writeTextFileSync(saved, JSON.stringify(samples, null, 2));
  progress(`raw figures saved to ${saved}`);
}

await main();
