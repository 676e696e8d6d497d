// Where the server's time goes under simulated agents (bench/agents_sim_worker.ts): run the
// control plane under the V8 inspector, connect N simulated agents, and print the functions with
// the most self and inclusive CPU time during the steady heartbeat load, or during a reconnect
// storm. A tool for explaining bench/agents_load.ts, not part of any benchmark run.
//
//   deno run -A bench/experiments/agents_profile.ts [--n 2000] [--seconds 20] [--phase steady|storm]
import { parseArgs } from "node:util";
import {
  createApiToken,
  freePort,
  progress,
  readTail,
  type Spawned,
  spawnToFile,
  startTaskFlags,
  stop,
  table,
  waitReady,
} from "../lib.ts";
import { SimWorker } from "../sim_pool.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string", default: "2000" },
    seconds: { type: "string", default: "20" },
    phase: { type: "string", default: "steady" },
  },
});
const N = Number(flags.n);
const SECONDS = Number(flags.seconds);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

async function inspector(wsUrl: string) {
  const ws = new WebSocket(wsUrl);
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
  return {
    send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
      const id = nextId++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve) => pending.set(id, resolve as (v: unknown) => void));
    },
    close: () => ws.close(),
  };
}

function label(n: ProfileNode): string {
  const f = n.callFrame;
  const url = f.url.replace(/^file:\/\/.*?\/node_modules\/\.deno\//, "npm:")
    .replace(/^file:\/\/.*?\/work\/main\//, "");
  return url ? `${f.functionName || "(anonymous)"} ${url}:${f.lineNumber + 1}` : f.functionName;
}

function summarise(profile: Profile): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    self.set(label(byId.get(id)!), (self.get(label(byId.get(id)!)) ?? 0) + dt);
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
  return [
    `### Server CPU profile, ${N} simulated agents, ${flags.phase} (${SECONDS} s)`,
    "",
    table(["Self time", "share"], top(self, 30)),
    "",
    table(["Inclusive time", "share"], top(inclusive, 50)),
  ].join("\n");
}

const work = await Deno.makeTempDir({ prefix: "lattice-agents-profile-" });
const port = freePort();
const inspectPort = freePort();
const worker = new SimWorker();
let server: Spawned | undefined;
try {
  server = spawnToFile(
    ["deno", "run", `--inspect=127.0.0.1:${inspectPort}`, ...startTaskFlags(), "main.ts"],
    {
      port,
      logFile: `${work}/server.log`,
      env: {
        LATTICE_PORT: String(port),
        LATTICE_HOSTNAME: "127.0.0.1",
        LATTICE_DATA_DIR: `${work}/data`,
        LATTICE_TRUST_PROXY: "true",
      },
    },
  );
  await waitReady(server);
  const admin = await createApiToken(server.url);
  const auth = { authorization: `Bearer ${admin}`, "content-type": "application/json" };
  const token = await (await fetch(`${server.url}/api/v1/join-tokens`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ maxUses: N }),
  })).json();
  await worker.call("init", { base: server.url, intervalMs: 5000 });
  const ids = await worker.call<string[]>("join", {
    token: token.secret,
    count: N,
    firstAddress: 1,
    concurrency: 8,
  });
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < ids.length) {
      const res = await fetch(`${server!.url}/api/v1/nodes/${ids[next++]}/approve`, {
        method: "POST",
        headers: auth,
        body: "{}",
      });
      await res.body?.cancel();
    }
  }));
  await worker.call("connect", { from: 0, to: N, concurrency: 500, timeoutMs: 300_000 });
  progress(`${N} simulated agents connected; warming up 10 s`);
  await new Promise((r) => setTimeout(r, 10_000));
  const targets = await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json();
  const cdp = await inspector(targets[0].webSocketDebuggerUrl);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 500 });
  await cdp.send("Profiler.start");
  if (flags.phase === "storm") {
    await worker.call("storm", { jitterMs: 0, timeoutMs: 300_000 });
  } else await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const { profile } = await cdp.send<{ profile: Profile }>("Profiler.stop");
  cdp.close();
  console.log(summarise(profile));
} catch (err) {
  if (server) progress(await readTail(server.logFile));
  throw err;
} finally {
  await worker.call("stopAll").catch(() => {});
  worker.terminate();
  if (server) await stop(server);
  await Deno.remove(work, { recursive: true }).catch(() => {});
}
