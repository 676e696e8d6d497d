// Per-request cost of GET /api/v1/me with no network: each variant's handler (variants.ts)
// called in a loop in this process, rounds interleaved, medians reported. Not part of
// `deno task bench`; it shows where the JS time goes with less noise than wrk on a shared box.
// Response bodies are strings, so this misses what Deno.serve does with them afterwards.
//
//   deno run -A bench/experiments/inprocess.ts [calls=20000] [rounds=5] [variant ...]
import { loadConfig } from "../../lib/config.ts";
import { createLogger, type LogSink } from "../../lib/log.ts";
import { buildControlPlane } from "../../lib/server.ts";
import { median, table } from "../lib.ts";
import { type Handler, variantHandler } from "./variants.ts";

const N = Number(Deno.args[0] ?? "20000");
const ROUNDS = Number(Deno.args[1] ?? "5");
const variants = Deno.args.length > 2 ? Deno.args.slice(2) : [
  "real",
  "copy",
  "nolog",
  "fastlog",
  "old-headers",
  "routes-only",
  "stack:0",
  "stack:1",
  "stack:2",
  "stack:3",
  "stack:5",
  "hono-min",
];

const work = await Deno.makeTempDir({ prefix: "lattice-bench-inprocess-" });
// Log lines are built and counted, not written.
let lines = 0;
const sink: LogSink = { write: () => void lines++ };
const config = loadConfig({ LATTICE_DATA_DIR: `${work}/data`, LATTICE_LOG_LEVEL: "info" });
const plane = await buildControlPlane(config, { log: createLogger({ level: "info", sink }) });
const info = {
  remoteAddr: { hostname: "127.0.0.1", port: 1, transport: "tcp" },
  completed: Promise.resolve(),
} as Deno.ServeHandlerInfo<Deno.NetAddr>;

async function call(method: string, path: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
  const res = await plane.fetch(new Request(`http://127.0.0.1${path}`, init), info);
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}
const creds = { email: "bench@example.com", password: "bench-password-123" };
await call("POST", "/api/v1/auth/register", creds);
const { token } = await call("POST", "/api/v1/auth/login", creds);
const { secret } = await call("POST", "/api/v1/tokens", { name: "bench" }, token);

async function time(handler: Handler, calls: number): Promise<number> {
  const headers = { authorization: `Bearer ${secret}` };
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    const res = await handler(new Request("http://127.0.0.1/api/v1/me", { headers }), info);
    if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  return (performance.now() - t0) / calls * 1000;
}

const handlers = new Map<string, Handler>();
for (const v of variants) handlers.set(v, await variantHandler(v, plane, sink));
const handlerOnly: Handler = () => new Response('{"user":{}}');
handlers.set("Request + Response only", handlerOnly);
const samples = new Map<string, number[]>([...handlers.keys()].map((k) => [k, []]));
for (const h of handlers.values()) await time(h, 2000);
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, h] of handlers) samples.get(name)!.push(await time(h, N));
}
const base = median(samples.get(variants[0])!);
console.log(`### In-process cost of GET /api/v1/me (${ROUNDS} × ${N} calls, medians)\n`);
console.log(table(
  ["Variant", "µs / request", `vs ${variants[0]}`, "all rounds (µs)"],
  [...samples].map(([name, s]) => [
    name,
    median(s).toFixed(1),
    `${((median(s) / base - 1) * 100).toFixed(0)}%`,
    s.map((x) => x.toFixed(1)).join(", "),
  ]),
));
console.log(`\n(${lines} access-log lines built)`);
await plane.close();
await Deno.remove(work, { recursive: true });
