import {
  type AgentMessage,
  CLOSE,
  type CommandMessage,
  compareVersions,
  type EventMessage,
  type Heartbeat,
  type Hello,
  type LogChunk,
  proofMessage,
  PROTOCOL_VERSION,
  type Rejected,
  type Result,
  type ServerMessage,
} from "../protocol.ts";
import { parseAgentFrame } from "./messages.ts";
import type { IngestSink } from "./ingest.ts";
import type { SessionNodeRecord } from "../../db/nodes.ts";
import { base64url } from "../auth/secrets.ts";

/** What a session asks of the hub that owns it. */
export interface SessionHost {
  readonly heartbeatIntervalMs: number;
  readonly minAgentVersion: string;
  loadNode(nodeId: string): Promise<SessionNodeRecord | null>;
  /** Wait for a handshake slot; call the returned function when the step's work is done. */
  admit(step: "hello" | "proof"): Promise<() => void>;
  /** The proof checked out and the node is approved: register, record, reconcile. */
  activate(session: AgentSession, hello: Hello, node: SessionNodeRecord): Promise<void>;
  /** The proof checked out but the node waits for approval. */
  park(session: AgentSession, hello: Hello, node: SessionNodeRecord): void;
  /** The session ended (any reason, any state). */
  ended(session: AgentSession): void;
  ingest(session: AgentSession, message: Heartbeat | EventMessage): void;
  inventory(session: AgentSession, items: Hello["inventory"]): Promise<void>;
  audit(session: AgentSession, action: string, details: Record<string, unknown>): void;
  log(level: "debug" | "info" | "warn", message: string, context: Record<string, unknown>): void;
}

/** A command waiting for its one result (or, for followed logs, for its chunks). */
export interface PendingCommand {
  resolve(result: Result): void;
  onLogs?: (chunk: LogChunk) => void;
}

type State = "hello" | "proof" | "pending" | "active" | "closed";

/**
 * One agent's WebSocket, from `hello` to close. Every frame is parsed against the protocol;
 * anything malformed, unknown, oversized or out of order closes this one connection with a
 * policy code and touches nothing else.
 */
export class AgentSession implements IngestSink {
  state: State = "hello";
  nodeId = "";
  /** performance.now() of the last heartbeat (or of activation). */
  lastSeen = performance.now();
  /** True when a heartbeat arrived since presence was last written to KV. */
  presenceDirty = false;
  agentVersion = "";
  #hello: Hello | null = null;
  #node: SessionNodeRecord | null = null;
  #nonce = "";
  #chain: Promise<void> = Promise.resolve();
  #pending: Map<string, PendingCommand> | null = null;
  #helloTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly host: SessionHost,
    private readonly socket: WebSocket,
    readonly remoteAddr: string | null,
    helloTimeoutMs = 10_000,
  ) {
    socket.onmessage = (e) => this.#receive(e.data);
    socket.onclose = () => this.#closed();
    socket.onerror = () => {};
    // The wait for hello starts when the upgrade completes: under load that can take seconds,
    // and closing a socket that is still CONNECTING does not reach the agent (it would wait
    // for a challenge forever on a connection the server has forgotten).
    socket.onopen = () => {
      this.#helloTimer = setTimeout(
        () => this.state === "hello" && this.close(CLOSE.policy, "no hello within 10 s"),
        helloTimeoutMs,
      );
    };
  }

  /** Send one message; false when the socket is no longer open. */
  send(message: ServerMessage): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** Close with a code and a short reason (trimmed to WebSocket's 123-byte limit). */
  close(code: number, reason: string): void {
    const safe = reason.replace(/[^\x20-\x7e]/g, "?").slice(0, 120);
    try {
      this.socket.close(code, safe);
    } catch {
      // Already closing.
    }
    this.#closed();
  }

  /** Refuse the session with a message the agent prints, then close. */
  reject(code: Rejected["code"], reason: string): void {
    this.send({ type: "rejected", code, reason });
    this.close(CLOSE.rejected, code);
  }

  /** Tell the agent the session is accepted. */
  welcome(ackedSeq: number): void {
    this.state = "active";
    this.lastSeen = performance.now();
    this.send({
      type: "welcome",
      nodeId: this.nodeId,
      heartbeatIntervalMs: this.host.heartbeatIntervalMs,
      minAgentVersion: this.host.minAgentVersion,
      serverTime: new Date().toISOString(),
      ackedSeq,
    });
  }

  /** Send a command and register who waits for its result. */
  command(message: CommandMessage, pending: PendingCommand): boolean {
    if (this.state !== "active") return false;
    (this.#pending ??= new Map()).set(message.id, pending);
    if (!this.send(message)) {
      this.#pending.delete(message.id);
      return false;
    }
    return true;
  }

  /** Forget a command (timed out or cancelled); a late result is then ignored. */
  forget(id: string): void {
    this.#pending?.delete(id);
  }

  /** The hello this session was accepted with. */
  get hello(): Hello | null {
    return this.#hello;
  }

  /** The node record loaded at proof time. */
  get node(): SessionNodeRecord | null {
    return this.#node;
  }

  // IngestSink
  /** Records up to `seq` are stored: ack them. */
  stored(seq: number): void {
    this.send({ type: "ack", seq });
  }

  /** Storing failed: close so the agent resends from its buffer on reconnect. */
  failed(reason: string): void {
    this.close(CLOSE.goingAway, reason);
  }

  #receive(data: unknown): void {
    if (this.state === "closed") return;
    const parsed = parseAgentFrame(data);
    if (!parsed.ok) {
      this.host.log("warn", "closed an agent connection on a bad message", {
        node_id: this.nodeId || null,
        remote_addr: this.remoteAddr,
        reason: parsed.error.reason,
      });
      this.close(parsed.error.code, parsed.error.reason);
      return;
    }
    const m = parsed.message;
    // The hot path: heartbeats of an active session skip the promise chain.
    if (this.state === "active" && (m.type === "heartbeat" || m.type === "event")) {
      this.lastSeen = performance.now();
      this.presenceDirty = true;
      this.host.ingest(this, m);
      return;
    }
    this.#chain = this.#chain.then(() => this.#handle(m)).catch((err) => {
      this.host.log("warn", "agent session failed", {
        node_id: this.nodeId || null,
        error: err instanceof Error ? err.message : String(err),
      });
      this.close(CLOSE.goingAway, "server error; reconnect");
    });
  }

  async #handle(m: AgentMessage): Promise<void> {
    if (this.state === "closed") return;
    switch (m.type) {
      case "hello":
        if (this.state !== "hello") return this.#violation("hello sent twice");
        return await this.#onHello(m);
      case "proof":
        if (this.state !== "proof") return this.#violation("proof out of order");
        return await this.#onProof(m.signature);
      case "heartbeat":
      case "event":
        if (this.state !== "active") return this.#violation(`${m.type} before welcome`);
        this.lastSeen = performance.now();
        this.presenceDirty = true;
        return this.host.ingest(this, m);
      case "inventory":
        if (this.state !== "active") return this.#violation("inventory before welcome");
        return await this.host.inventory(this, m.items);
      case "result": {
        if (this.state !== "active") return this.#violation("result before welcome");
        const p = this.#pending?.get(m.id);
        if (!p) {
          this.host.log("debug", "ignored a result for an unknown or finished command", {
            node_id: this.nodeId,
            command_id: m.id,
          });
          return;
        }
        this.#pending!.delete(m.id);
        return p.resolve(m);
      }
      case "logs": {
        if (this.state !== "active") return this.#violation("logs before welcome");
        const p = this.#pending?.get(m.id);
        if (!p?.onLogs) return;
        p.onLogs(m);
        if (m.done) {
          this.#pending!.delete(m.id);
          p.resolve({ type: "result", id: m.id, ok: true, data: { followed: true } });
        }
        return;
      }
    }
  }

  #violation(reason: string): void {
    this.host.log("warn", "closed an agent connection on a protocol violation", {
      node_id: this.nodeId || null,
      remote_addr: this.remoteAddr,
      reason,
    });
    this.close(CLOSE.policy, reason);
  }

  async #onHello(hello: Hello): Promise<void> {
    clearTimeout(this.#helloTimer);
    if (hello.protocol !== PROTOCOL_VERSION) {
      return this.reject(
        "unsupported_protocol",
        `This control plane speaks agent protocol ${PROTOCOL_VERSION}, the agent speaks ` +
          `${hello.protocol}. Install the agent version that matches the server.`,
      );
    }
    if (compareVersions(hello.agentVersion, this.host.minAgentVersion) < 0) {
      return this.reject(
        "agent_too_old",
        `Agent ${hello.agentVersion} is older than the minimum ${this.host.minAgentVersion}. ` +
          `Upgrade lattice-agent, then run it again.`,
      );
    }
    const release = await this.host.admit("hello");
    let node: SessionNodeRecord | null;
    try {
      if (this.state === "closed") return;
      node = await this.host.loadNode(hello.nodeId);
    } finally {
      release();
    }
    if (!node) {
      this.host.audit(this, "node.connect", { outcome: "unknown_node", node_id: hello.nodeId });
      return this.reject(
        "unknown_node",
        "This control plane has no such node. Run `lattice-agent reset` and join again with a new token.",
      );
    }
    this.nodeId = node.id;
    this.#node = node;
    this.#hello = hello;
    this.agentVersion = hello.agentVersion;
    this.#nonce = base64url(crypto.getRandomValues(new Uint8Array(32)));
    this.state = "proof";
    this.send({ type: "challenge", nonce: this.#nonce, serverTime: new Date().toISOString() });
  }

  async #onProof(signature: string): Promise<void> {
    const release = await this.host.admit("proof");
    try {
      if (this.state !== "closed") await this.#checkProof(signature);
    } finally {
      release();
    }
  }

  async #checkProof(signature: string): Promise<void> {
    const node = this.#node!;
    // The nonce is single-use: whatever the outcome, it cannot be answered again.
    const nonce = this.#nonce;
    this.#nonce = "";
    if (!nonce || !(await verifyProof(node.publicKey, signature, proofMessage(nonce, node.id)))) {
      this.host.audit(this, "node.connect", { outcome: "bad_proof" });
      return this.reject("bad_proof", "The node's signature does not match its registered key.");
    }
    // Re-read the record: approval may have changed while the proof was in flight.
    const fresh = (await this.host.loadNode(node.id)) ?? node;
    this.#node = fresh;
    switch (fresh.approval) {
      case "rejected":
        return this.reject(
          "rejected",
          `An admin rejected this node: ${fresh.approvalReason ?? "no reason given"}.`,
        );
      case "revoked":
        return this.reject(
          "revoked",
          `This node's access was revoked${
            fresh.approvalReason ? `: ${fresh.approvalReason}` : ""
          }. Run \`lattice-agent reset\` and join again if an admin allows it.`,
        );
      case "pending":
        this.state = "pending";
        this.send({
          type: "pending",
          message: "Waiting for an admin to approve this node (Approvals in the dashboard).",
        });
        return this.host.park(this, this.#hello!, fresh);
      case "approved":
        return await this.host.activate(this, this.#hello!, fresh);
    }
  }

  #closed(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    clearTimeout(this.#helloTimer);
    const pending = this.#pending;
    this.#pending = null;
    for (const [id, p] of pending ?? []) {
      p.resolve({
        type: "result",
        id,
        ok: false,
        error: { code: "node_disconnected", message: "The node disconnected before answering." },
      });
    }
    this.host.ended(this);
  }
}

/** Check an Ed25519 signature against a base64url raw public key; false on any malformed input. */
export async function verifyProof(
  publicKey: string,
  signature: string,
  message: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey(
      "raw",
      decodeBase64url(publicKey),
      { name: "Ed25519" },
      false,
      ["verify"],
    );
    return await crypto.subtle.verify("Ed25519", key, decodeBase64url(signature), message);
  } catch {
    return false;
  }
}

/** Decode unpadded base64url. */
export function decodeBase64url(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
