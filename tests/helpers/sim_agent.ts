/**
 * SimAgent: a SIMULATION of a node agent that speaks the real protocol (join over HTTP, then
 * hello / challenge / proof / welcome and heartbeats over a real WebSocket) without Docker.
 * Protocol tests use it to send exactly the frames they want; the load benchmark runs
 * thousands of them. The real agent (agent/) is tested separately against real Docker.
 */
import {
  type AgentMessage,
  type Capabilities,
  type Hello,
  type InventoryItem,
  type Metrics,
  proofMessage,
  PROTOCOL_VERSION,
  ServerMessage,
} from "../../lib/protocol.ts";
import { base64url } from "../../lib/auth/secrets.ts";

/** Capabilities of a made-up 4-core, 8 GiB Linux machine. */
export const SIM_CAPABILITIES: Capabilities = {
  cpu: { cores: 4, model: "Simulated CPU" },
  memoryBytes: 8 * 1024 ** 3,
  disk: { path: "/var/lib/docker", totalBytes: 100 * 1024 ** 3, freeBytes: 60 * 1024 ** 3 },
  os: "Simulated Linux",
  arch: "x86_64",
  kernel: "6.1.0-sim",
  docker: { version: "20.10.24", apiVersion: "1.41", runtimes: ["runc"] },
  gpus: [],
  network: { downloadBps: 12_500_000, uploadBps: 5_000_000 },
  agentVersion: "0.1.0",
};

/** Metrics for a simulated heartbeat. */
export function simMetrics(cpuPercent = 12.5): Metrics {
  return {
    cpuPercent,
    memory: { usedBytes: 2 * 1024 ** 3, totalBytes: 8 * 1024 ** 3 },
    disk: { usedBytes: 40 * 1024 ** 3, totalBytes: 100 * 1024 ** 3 },
    network: { rxBps: 1000, txBps: 500 },
    docker: { healthy: true, containers: 0, running: 0 },
    containers: [],
  };
}

/** A new Ed25519 key pair with the public key as base64url raw bytes. */
export async function simKeys(): Promise<{ publicKey: string; privateKey: CryptoKey }> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return { publicKey: base64url(raw), privateKey: pair.privateKey };
}

/** Create a join token through the API as an admin (bearer token). */
export async function createJoinToken(
  baseUrl: string,
  adminToken: string,
  body: Record<string, unknown> = { maxUses: 100 },
): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/join-tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`join token: ${res.status} ${await res.text()}`);
  return (await res.json()).secret;
}

/** A message the simulated agent received, or the close that ended its socket. */
export type Received = ServerMessage | { type: "close"; code: number; reason: string };

/** One simulated agent. */
export class SimAgent {
  nodeId = "";
  socket: WebSocket | null = null;
  readonly received: Received[] = [];
  #waiters: { match: (m: Received) => boolean; resolve: (m: Received) => void }[] = [];
  seq = 0;

  constructor(
    readonly baseUrl: string,
    readonly keys: { publicKey: string; privateKey: CryptoKey },
    readonly name = "sim",
  ) {}

  /** Make a SimAgent with fresh keys and join it with `token`. */
  static async join(baseUrl: string, token: string, name = "sim"): Promise<SimAgent> {
    const agent = new SimAgent(baseUrl, await simKeys(), name);
    const res = await fetch(`${baseUrl}/api/v1/agents/join`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, publicKey: agent.keys.publicKey, name, agentVersion: "0.1.0" }),
    });
    if (res.status !== 201) throw new Error(`join: ${res.status} ${await res.text()}`);
    agent.nodeId = (await res.json()).nodeId;
    return agent;
  }

  /** Open the WebSocket (no messages sent yet). */
  async open(headers?: Record<string, string>): Promise<void> {
    const url = this.baseUrl.replace(/^http/, "ws") + "/api/v1/agents/connect";
    // Deno's WebSocket takes extra headers (for the Origin test) as a non-standard option.
    const ws = headers
      ? new WebSocket(url, { headers } as unknown as string[])
      : new WebSocket(url);
    this.socket = ws;
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = (e) => reject(new Error((e as ErrorEvent).message ?? "socket error"));
    });
    ws.onerror = () => {};
    ws.onmessage = (e) => this.#push(ServerMessage.parse(JSON.parse(e.data)));
    ws.onclose = (e) => this.#push({ type: "close", code: e.code, reason: e.reason });
  }

  #push(m: Received): void {
    this.received.push(m);
    const i = this.#waiters.findIndex((w) => w.match(m));
    if (i >= 0) this.#waiters.splice(i, 1)[0].resolve(m);
  }

  /** Wait for the first message (already received or not) of `type`, with a deadline. */
  next<T extends Received["type"]>(
    type: T,
    timeoutMs = 5000,
  ): Promise<Extract<Received, { type: T }>> {
    return this.nextOf([type], timeoutMs) as Promise<Extract<Received, { type: T }>>;
  }

  /** Wait for the first message whose type is one of `types`. */
  nextOf(types: Received["type"][], timeoutMs = 5000): Promise<Received> {
    const match = (m: Received) => types.includes(m.type);
    const already = this.received.find(match);
    if (already) {
      this.received.splice(this.received.indexOf(already), 1);
      return Promise.resolve(already);
    }
    return new Promise((resolve, reject) => {
      const done = (m: Received) => {
        clearTimeout(timer);
        this.received.splice(this.received.indexOf(m), 1);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(
          new Error(
            `no ${types.join("|")} within ${timeoutMs} ms; got ${JSON.stringify(this.received)}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push({ match, resolve: done });
    });
  }

  /** Send a raw frame (any string). */
  raw(frame: string): void {
    this.socket!.send(frame);
  }

  /** Send a protocol message. */
  send(message: AgentMessage | Record<string, unknown>): void {
    this.raw(JSON.stringify(message));
  }

  /** The hello this agent sends. */
  hello(overrides: Partial<Hello> = {}, inventory: InventoryItem[] = []): Hello {
    return {
      type: "hello",
      protocol: PROTOCOL_VERSION,
      nodeId: this.nodeId,
      agentVersion: "0.1.0",
      capabilities: SIM_CAPABILITIES,
      labels: { zone: "test" },
      inventory,
      ...overrides,
    };
  }

  /** Sign a nonce with this agent's key (or another key, for the bad-proof test). */
  async sign(
    nonce: string,
    key: CryptoKey = this.keys.privateKey,
    nodeId = this.nodeId,
  ): Promise<string> {
    return base64url(
      new Uint8Array(await crypto.subtle.sign("Ed25519", key, proofMessage(nonce, nodeId))),
    );
  }

  /** Open, say hello, answer the challenge; returns what the server answered the proof with. */
  async handshake(
    overrides: Partial<Hello> = {},
    inventory: InventoryItem[] = [],
  ): Promise<Received> {
    await this.open();
    this.send(this.hello(overrides, inventory));
    const challenge = await this.next("challenge");
    this.send({ type: "proof", signature: await this.sign(challenge.nonce) });
    return await this.nextOf(["welcome", "pending", "rejected"]);
  }

  /** Send a heartbeat with the next sequence number; returns the seq. */
  heartbeat(metrics: Metrics = simMetrics()): number {
    const seq = ++this.seq;
    this.send({ type: "heartbeat", seq, at: new Date().toISOString(), metrics });
    return seq;
  }

  /** Wait until the server acks `seq` or later. */
  async acked(seq: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const ack = await this.next("ack", deadline - Date.now());
      if (ack.seq >= seq) return;
    }
    throw new Error(`seq ${seq} not acked within ${timeoutMs} ms`);
  }

  /** Close the socket. */
  close(): void {
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
  }
}
