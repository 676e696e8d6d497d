/**
 * A SIMULATION of many node agents in one Worker: each simulated agent joins over HTTP with its
 * own Ed25519 key, then speaks the real agent protocol over its own WebSocket (hello, challenge,
 * proof, welcome, heartbeats, acks). No Docker, no disk buffer: this is a load generator for
 * bench/agents_load.ts and bench/workloads_e2e.ts, not an agent. Commands are answered ok at
 * once (a deploy "starts" without Docker) and deploy receipts are recorded. Per-agent state is
 * kept in typed arrays so the load process stays small; the heartbeat JSON is built from a
 * precomputed template.
 *
 * The orchestrator drives it with `{ id, op, ...args }` messages and gets `{ id, ok, value }` or
 * `{ id, ok: false, error }` back. Times that cross threads are `Date.now()` values.
 */
/// <reference lib="deno.worker" />
import { backoffDelay } from "../lib/backoff.ts";
import { proofMessage, PROTOCOL_VERSION } from "../lib/protocol.ts";
import { base64url } from "../lib/auth/secrets.ts";
import { SIM_CAPABILITIES, simKeys, simMetrics } from "../tests/helpers/sim_agent.ts";

/** Agent states, one byte each. */
const IDLE = 0, CONNECTING = 1, ACTIVE = 2, SILENT = 3, STOPPED = 4;
/** Heartbeats are scheduled on a wheel of 10 ms slots, so one timer drives every agent. */
const TICK_MS = 10;

let base = "";
let intervalMs = 5000;
let slots = 500;
const nodeIds: string[] = [];
const keys: CryptoKey[] = [];
const sockets: (WebSocket | null)[] = [];
let state = new Uint8Array(0);
let seq = new Float64Array(0);
let pendingSeq = new Float64Array(0);
let pendingAt = new Float64Array(0);
let attempts = new Uint16Array(0);
/** Date.now() of the last heartbeat sent, of the last welcome, and of the server's close. */
let lastBeatAt = new Float64Array(0);
let welcomedAt = new Float64Array(0);
let closedAt = new Float64Array(0);
let closeCode = new Uint16Array(0);
let scheduled = new Uint8Array(0);
/** How far the current handshake got: 1 socket made, 2 open (hello sent), 3 proof sent. */
let stage = new Uint8Array(0);
let wheel: number[][] = [];
let ticker: ReturnType<typeof setInterval> | undefined;
let nextSlotAt = 0;
let nextSlot = 0;

const counters = {
  sent: 0,
  acks: 0,
  welcomes: 0,
  pending: 0,
  rejected: 0,
  errors: 0,
  retries: 0,
  unexpectedCloses: 0,
};
let latencies: number[] = [];
/**
 * Deploy commands received (bench/workloads_e2e.ts): the workload id and Date.now() at receipt
 * of each, until `deploys` collects them. Every command is answered ok at once, as if the
 * container had started: there is no Docker here.
 */
let deployIds: string[] = [];
let deployAt: number[] = [];
let deploysTotal = 0;
let commandsTotal = 0;
const closeCodes = new Map<number, number>();
/** Called on every welcome (the connect and storm phases count them). */
let onWelcome: ((i: number) => void) | null = null;

const METRICS = JSON.stringify(simMetrics(12.5));
/** What every simulated agent advertises; `init` may replace it (the workload benchmark). */
let capabilities = SIM_CAPABILITIES;
function helloFrame(nodeId: string): string {
  return JSON.stringify({
    type: "hello",
    protocol: PROTOCOL_VERSION,
    nodeId,
    agentVersion: "0.1.0",
    capabilities,
    labels: { zone: "sim" },
    inventory: [],
  });
}

function grow(n: number): void {
  const copy = <T extends Float64Array | Uint8Array | Uint16Array>(
    a: T,
    make: (n: number) => T,
  ) => {
    const b = make(n);
    b.set(a.subarray(0, Math.min(a.length, n)) as never);
    return b;
  };
  state = copy(state, (k) => new Uint8Array(k));
  seq = copy(seq, (k) => new Float64Array(k));
  pendingSeq = copy(pendingSeq, (k) => new Float64Array(k));
  pendingAt = copy(pendingAt, (k) => new Float64Array(k));
  attempts = copy(attempts, (k) => new Uint16Array(k));
  lastBeatAt = copy(lastBeatAt, (k) => new Float64Array(k));
  welcomedAt = copy(welcomedAt, (k) => new Float64Array(k));
  closedAt = copy(closedAt, (k) => new Float64Array(k));
  closeCode = copy(closeCode, (k) => new Uint16Array(k));
  scheduled = copy(scheduled, (k) => new Uint8Array(k));
  stage = copy(stage, (k) => new Uint8Array(k));
  while (sockets.length < n) sockets.push(null);
}

/** Join `count` simulated agents; each join comes from its own (forwarded) client address. */
async function join(
  args: { token: string; count: number; firstAddress: number; concurrency: number },
): Promise<string[]> {
  const start = nodeIds.length;
  const joined: string[] = new Array(args.count);
  let next = 0;
  const one = async () => {
    while (next < args.count) {
      const i = next++;
      const pair = await simKeys();
      const a = args.firstAddress + i;
      const res = await fetch(`${base}/api/v1/agents/join`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-forwarded-for": `10.${(a >> 16) & 255}.${(a >> 8) & 255}.${a & 255}`,
        },
        body: JSON.stringify({
          token: args.token,
          publicKey: pair.publicKey,
          name: `sim-${a}`,
          agentVersion: "0.1.0",
        }),
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`join ${a}: ${res.status} ${text}`);
      joined[i] = JSON.parse(text).nodeId;
      keys[start + i] = pair.privateKey;
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, one));
  nodeIds.push(...joined);
  grow(nodeIds.length);
  return joined;
}

function open(i: number): void {
  state[i] = CONNECTING;
  let ws: WebSocket;
  try {
    ws = new WebSocket(`${base.replace(/^http/, "ws")}/api/v1/agents/connect`);
  } catch {
    counters.errors++;
    return retry(i);
  }
  sockets[i] = ws;
  stage[i] = 1;
  ws.onopen = () => {
    stage[i] = 2;
    ws.send(helloFrame(nodeIds[i]));
  };
  ws.onerror = () => {};
  ws.onmessage = (e) => void receive(i, ws, e.data as string);
  ws.onclose = (e) => closed(i, ws, e.code);
}

function retry(i: number): void {
  counters.retries++;
  const delay = backoffDelay(attempts[i]++, { baseMs: 500, capMs: 30_000 });
  setTimeout(() => {
    if (state[i] === CONNECTING) open(i);
  }, delay);
}

async function receive(i: number, ws: WebSocket, data: string): Promise<void> {
  // Acks are most of the traffic: recognise them without a full parse of anything else.
  const m = JSON.parse(data);
  switch (m.type) {
    case "ack":
      counters.acks++;
      if (pendingSeq[i] > 0 && m.seq >= pendingSeq[i]) {
        latencies.push(Date.now() - pendingAt[i]);
        pendingSeq[i] = 0;
      }
      return;
    case "challenge": {
      const signature = await crypto.subtle.sign(
        "Ed25519",
        keys[i],
        proofMessage(m.nonce, nodeIds[i]),
      );
      if (ws.readyState === WebSocket.OPEN) {
        stage[i] = 3;
        ws.send(JSON.stringify({ type: "proof", signature: base64url(new Uint8Array(signature)) }));
      }
      return;
    }
    case "welcome":
      counters.welcomes++;
      attempts[i] = 0;
      welcomedAt[i] = Date.now();
      seq[i] = Math.max(seq[i], m.ackedSeq);
      pendingSeq[i] = 0;
      if (state[i] === CONNECTING) state[i] = ACTIVE;
      // Heartbeats start at the first welcome (the server times out a quiet session), each
      // agent at its own random phase within the interval.
      if (!scheduled[i]) {
        scheduled[i] = 1;
        wheel[Math.floor(Math.random() * slots)].push(i);
      }
      onWelcome?.(i);
      return;
    case "command": {
      const at = Date.now();
      commandsTotal++;
      const command = m.command as { action: string; workloadId?: string };
      let data: unknown = {};
      if (command.action === "deploy") {
        deploysTotal++;
        deployIds.push(command.workloadId ?? "");
        deployAt.push(at);
        data = { containerId: "c".repeat(64), created: true, ports: [] };
      }
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify({ type: "result", id: m.id, ok: true, data }));
      }
      return;
    }
    case "pending":
      counters.pending++;
      return;
    case "rejected":
      counters.rejected++;
      state[i] = STOPPED;
      return;
  }
}

function closed(i: number, ws: WebSocket, code: number): void {
  if (sockets[i] !== ws) return;
  sockets[i] = null;
  closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
  if (state[i] === STOPPED || state[i] === IDLE) return;
  if (state[i] === SILENT) {
    // The server gave up on a silent agent: note when, and stay dead.
    closedAt[i] = Date.now();
    closeCode[i] = code;
    state[i] = STOPPED;
    return;
  }
  // Anything else is unexpected: reconnect like the real agent (backoff with full jitter).
  counters.unexpectedCloses++;
  state[i] = CONNECTING;
  retry(i);
}

function beat(i: number, now: number): void {
  const ws = sockets[i];
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  const s = ++seq[i];
  if (pendingSeq[i] === 0) {
    // Only the oldest unacked heartbeat is timed, so a lost ack shows up as a long latency.
    pendingSeq[i] = s;
    pendingAt[i] = now;
  }
  lastBeatAt[i] = now;
  counters.sent++;
  ws.send(
    `{"type":"heartbeat","seq":${s},"at":"${new Date(now).toISOString()}","metrics":${METRICS}}`,
  );
}

function startTicker(): void {
  if (ticker !== undefined) return;
  nextSlotAt = Date.now();
  nextSlot = 0;
  ticker = setInterval(() => {
    const now = Date.now();
    // Catch up on every slot that came due, so a late timer does not skip agents.
    while (nextSlotAt <= now) {
      for (const i of wheel[nextSlot]) if (state[i] === ACTIVE) beat(i, now);
      nextSlot = (nextSlot + 1) % slots;
      nextSlotAt += TICK_MS;
    }
  }, TICK_MS);
}

/** Open agents [from, to) with at most `concurrency` handshakes in flight; resolve when all are welcomed. */
async function connect(
  args: { from: number; to: number; concurrency: number; timeoutMs: number },
): Promise<{ ms: number; welcomed: number }> {
  const t0 = Date.now();
  let next = args.from;
  let inFlight = 0;
  let done = 0;
  const total = args.to - args.from;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `only ${done} of ${total} agents welcomed in ${args.timeoutMs} ms: ` +
              JSON.stringify({ ...stats(), latencies: undefined }),
          ),
        ),
      args.timeoutMs,
    );
    const pump = () => {
      while (inFlight < args.concurrency && next < args.to) {
        inFlight++;
        open(next++);
      }
    };
    // Each welcome frees a slot for the next handshake.
    onWelcome = (i) => {
      if (i < args.from || i >= args.to) return;
      inFlight--;
      if (++done === total) {
        clearTimeout(timer);
        resolve();
      } else pump();
    };
    pump();
  }).finally(() => (onWelcome = null));
  return { ms: Date.now() - t0, welcomed: done };
}

/**
 * The reconnect storm: close every active agent's socket at once, then open them all again at
 * once (optionally each after a random delay up to `jitterMs`). Resolves when all are welcomed.
 */
async function storm(
  args: { jitterMs: number; timeoutMs: number },
): Promise<{ closedAt: number; welcomeMs: number[]; retries: number }> {
  const members: number[] = [];
  for (let i = 0; i < state.length; i++) if (state[i] === ACTIVE) members.push(i);
  const retries0 = counters.retries;
  const t0 = Date.now();
  for (const i of members) {
    state[i] = IDLE; // so the close does not trigger a reconnect by itself
    welcomedAt[i] = 0;
    try {
      sockets[i]?.close(1000, "simulated storm");
    } catch {
      // already closing
    }
    sockets[i] = null;
  }
  let left = members.length;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(
          `${left} of ${members.length} agents not welcomed after the storm: ` +
            JSON.stringify({ ...stats(), latencies: undefined }),
        ),
      );
    }, args.timeoutMs);
    const member = new Uint8Array(state.length);
    for (const i of members) member[i] = 1;
    onWelcome = (i) => {
      if (!member[i]) return;
      member[i] = 0;
      if (--left === 0) {
        clearTimeout(timer);
        resolve();
      }
    };
    for (const i of members) {
      if (args.jitterMs > 0) {
        state[i] = CONNECTING;
        setTimeout(() => open(i), Math.random() * args.jitterMs);
      } else open(i);
    }
  }).finally(() => (onWelcome = null));
  return {
    closedAt: t0,
    welcomeMs: members.map((i) => welcomedAt[i] - t0),
    retries: counters.retries - retries0,
  };
}

/** Make `count` active agents go silent: no more heartbeats, socket left open. */
function silence(args: { count: number }): { nodeId: string; index: number; lastBeatAt: number }[] {
  const out: { nodeId: string; index: number; lastBeatAt: number }[] = [];
  for (let i = state.length - 1; i >= 0 && out.length < args.count; i--) {
    if (state[i] !== ACTIVE) continue;
    state[i] = SILENT;
    // The server counts from the last heartbeat or, if none came since, from the welcome.
    out.push({ nodeId: nodeIds[i], index: i, lastBeatAt: Math.max(lastBeatAt[i], welcomedAt[i]) });
  }
  return out;
}

/** When the server closed each silent agent (0: not yet) and with which code. */
function silentClosed(args: { indices: number[] }): { closedAt: number; code: number }[] {
  return args.indices.map((i) => ({ closedAt: closedAt[i], code: closeCode[i] }));
}

/** Close every socket and forget the sessions (no reconnects). */
function stopAll(): number {
  let n = 0;
  for (let i = 0; i < state.length; i++) {
    if (state[i] === IDLE) continue;
    state[i] = IDLE;
    const ws = sockets[i];
    sockets[i] = null;
    if (ws) {
      n++;
      try {
        ws.close(1000, "simulation stopping");
      } catch {
        // already closing
      }
    }
  }
  // Sequence numbers survive, as in a real agent's state directory.
  for (const slot of wheel) slot.length = 0;
  scheduled.fill(0);
  return n;
}

/** Counters since start, latencies since the last call (then cleared). */
function stats(): Record<string, unknown> {
  const byState = [0, 0, 0, 0, 0];
  for (const s of state) byState[s]++;
  const stages = [0, 0, 0, 0];
  for (let i = 0; i < state.length; i++) if (state[i] === CONNECTING) stages[stage[i]]++;
  const out = {
    ...counters,
    idle: byState[IDLE],
    connecting: byState[CONNECTING],
    active: byState[ACTIVE],
    silent: byState[SILENT],
    stopped: byState[STOPPED],
    closeCodes: Object.fromEntries(closeCodes),
    connectingStages: { made: stages[1], open: stages[2], proofSent: stages[3] },
    latencies,
  };
  latencies = [];
  return out;
}

const ops: Record<string, (args: never) => unknown> = {
  init: (args: { base: string; intervalMs: number; capabilities?: typeof SIM_CAPABILITIES }) => {
    base = args.base;
    if (args.capabilities) capabilities = args.capabilities;
    intervalMs = args.intervalMs;
    slots = Math.max(1, Math.round(intervalMs / TICK_MS));
    wheel = Array.from({ length: slots }, () => []);
    startTicker();
    return true;
  },
  setBase: (args: { base: string }) => (base = args.base),
  join,
  connect,
  storm,
  silence,
  silentClosed,
  stopAll,
  stats,
  /** How many commands and deploy commands arrived so far (cheap, for progress). */
  deployCount: () => ({ deploys: deploysTotal, commands: commandsTotal }),
  /** The deploys received since the last call: workload ids and receipt times. */
  deploys: () => {
    const out = { ids: deployIds, at: deployAt };
    deployIds = [];
    deployAt = [];
    return out;
  },
};

self.onmessage = async (e: MessageEvent<{ id: number; op: string; args: unknown }>) => {
  const { id, op, args } = e.data;
  try {
    const value = await ops[op](args as never);
    self.postMessage({ id, ok: true, value });
  } catch (err) {
    self.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
};
