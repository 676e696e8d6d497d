// Where the time goes in GET /api/v1/me: run the control plane under the V8 inspector, drive
// it with wrk, and print the functions with the most self and inclusive CPU time. Not part of
// `deno task bench`; a tool for explaining its figures.
//
//   deno run -A bench/experiments/profile.ts [seconds=10] [info|warn] [variant]
//
// With a variant (see bench/experiments/variants.ts), profiles that variant of the app
// instead of main.ts.
import {
  freePort,
  progress,
  readTail,
  runWrk,
  type Spawned,
  spawnToFile,
  startTaskFlags,
  stop,
  table,
  waitReady,
} from "../lib.ts";

const seconds = Number(Deno.args[0] ?? "10");
const level = Deno.args[1] ?? "info";
const variant = Deno.args[2];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket. */
async function connect(wsUrl: string) {
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let nextId = 1;
  const pending = new Map<number, (v: unknown) => void>();
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)!(msg.result);
      pending.delete(msg.id);
    }
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

function short(url: string): string {
  return url.replace(/^file:\/\/.*?\/node_modules\/\.deno\//, "npm:").replace(
    /^file:\/\/.*?\/work\/main\//,
    "",
  );
}

function label(n: ProfileNode): string {
  const f = n.callFrame;
  const name = f.functionName || "(anonymous)";
  return f.url ? `${name} ${short(f.url)}:${f.lineNumber + 1}` : name;
}

function summarise(profile: Profile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const node = byId.get(id)!;
    self.set(label(node), (self.get(label(node)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
    }
  });
  const top = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [
      `\`${k}\``,
      `${(v / total * 100).toFixed(1)}%`,
    ]);
  console.log(
    `### CPU profile of the server under wrk (${seconds} s, log level ${level}` +
      `${variant ? `, variant ${variant}` : ""})\n`,
  );
  console.log(table(["Self time", "share"], top(self, 40)));
  console.log();
  console.log(table(["Inclusive time", "share"], top(inclusive, 60)));
}

const work = await Deno.makeTempDir({ prefix: "lattice-bench-profile-" });
const inspectPort = freePort();
const port = freePort();
let server: Spawned | undefined;
try {
  server = spawnToFile([
    "deno",
    "run",
    `--inspect=127.0.0.1:${inspectPort}`,
    ...startTaskFlags(),
    variant ? "bench/experiments/variant_server.ts" : "main.ts",
  ], {
    port,
    logFile: `${work}/server.log`,
    env: {
      LATTICE_PORT: String(port),
      LATTICE_HOSTNAME: "127.0.0.1",
      LATTICE_DATA_DIR: `${work}/data`,
      LATTICE_LOG_LEVEL: level,
      VARIANT: variant ?? "real",
    },
  });
  await waitReady(server);
  const base = server.url;
  const post = async (path: string, body: unknown, token?: string) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(base + path, { method: "POST", headers, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return await res.json();
  };
  const creds = { email: "bench@example.com", password: "bench-password-123" };
  await post("/api/v1/auth/register", creds);
  const { token } = await post("/api/v1/auth/login", creds);
  const { secret } = await post("/api/v1/tokens", { name: "bench" }, token);
  const header = `Authorization: Bearer ${secret}`;

  const targets = await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json();
  const cdp = await connect(targets[0].webSocketDebuggerUrl);
  await runWrk(`${base}/api/v1/me`, { duration: "2s", header });
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  progress(`profiling ${seconds} s of wrk`);
  const result = await runWrk(`${base}/api/v1/me`, { duration: `${seconds}s`, header });
  const { profile } = await cdp.send<{ profile: Profile }>("Profiler.stop");
  cdp.close();
  progress(`${result.requestsPerSec} req/s under the profiler`);
  summarise(profile);
} catch (err) {
  if (server) progress(await readTail(server.logFile));
  throw err;
} finally {
  if (server) await stop(server);
  await Deno.remove(work, { recursive: true }).catch(() => {});
}
