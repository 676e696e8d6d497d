import { backoffDelay } from "../lib/backoff.ts";
import type { Logger } from "../lib/log.ts";
import {
  type AgentMessage,
  CLOSE,
  type CommandMessage,
  type Hello,
  MAX_MESSAGE_BYTES,
  proofMessage,
  type Rejected,
  ServerMessage,
  type Welcome,
} from "../lib/protocol.ts";
import { encodeBase64Url } from "./encoding.ts";

/** What the connection tells the agent about. */
export interface ConnectionHandlers {
  /** Build a fresh hello (capabilities and inventory) for each connection attempt. */
  hello(): Promise<Hello>;
  welcome(welcome: Welcome): void;
  pending(message: string): void;
  ack(seq: number): void;
  command(message: CommandMessage): void;
  cancel(id: string): void;
  /** The session ended (it may come back). */
  disconnected(reason: string): void;
}

/** Why `run` returned. */
export type RunOutcome = { kind: "stopped" } | { kind: "rejected"; rejected: Rejected };

/** Options of the connection loop. */
export interface ConnectionOptions {
  serverUrl: string;
  nodeId: string;
  privateKey: CryptoKey;
  log: Logger;
  /** Backoff base and cap (tests shorten them). */
  backoff?: { baseMs?: number; capMs?: number };
  /** Injected for tests; the real WebSocket otherwise. */
  connect?: (url: string) => WebSocket;
}

/** The WebSocket URL of a control plane. */
export function connectUrl(serverUrl: string): string {
  const url = new URL("/api/v1/agents/connect", serverUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

/**
 * The agent's side of the session: dial out, prove the node key, then pass messages both ways.
 * It reconnects after any failure with exponential backoff and full jitter (capped at 30 s),
 * and stops only when the server refuses the node or `stop()` is called.
 */
export class AgentConnection {
  #socket: WebSocket | null = null;
  #welcomed = false;
  #stopped = false;
  #wake: (() => void) | null = null;
  #attempt = 0;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly on: ConnectionHandlers,
  ) {}

  /** True between `welcome` and the end of the session. */
  get ready(): boolean {
    return this.#welcomed && this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Send a message if the session is ready; false otherwise (the caller keeps it buffered). */
  send(message: AgentMessage): boolean {
    if (!this.ready) return false;
    this.#socket!.send(JSON.stringify(message));
    return true;
  }

  /** Bytes queued in the socket but not yet sent (for flow control of large resends). */
  get bufferedAmount(): number {
    return this.#socket?.bufferedAmount ?? 0;
  }

  /** Close the session and stop reconnecting. */
  stop(): void {
    this.#stopped = true;
    try {
      this.#socket?.close(CLOSE.normal, "agent stopping");
    } catch {
      // already closed
    }
    this.#wake?.();
  }

  /** Connect, and keep reconnecting until stopped or refused. */
  async run(): Promise<RunOutcome> {
    const log = this.options.log;
    while (!this.#stopped) {
      const outcome = await this.#session().catch((err) => ({
        kind: "error" as const,
        reason: err instanceof Error ? err.message : String(err),
      }));
      if (outcome.kind === "rejected") return outcome;
      if (this.#stopped) break;
      if (this.#welcomed) this.#attempt = 0;
      this.#welcomed = false;
      const delay = backoffDelay(this.#attempt++, this.options.backoff);
      log.info("disconnected from the control plane; reconnecting", {
        reason: outcome.reason,
        retry_in_ms: Math.round(delay),
        attempt: this.#attempt,
      });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
    return { kind: "stopped" };
  }

  /** One connection, from dial to close. */
  async #session(): Promise<
    { kind: "closed"; reason: string } | RunOutcome & { kind: "rejected" }
  > {
    const { serverUrl, nodeId, privateKey, log } = this.options;
    const hello = await this.on.hello();
    const url = connectUrl(serverUrl);
    const socket = this.options.connect?.(url) ?? new WebSocket(url);
    this.#socket = socket;
    return await new Promise((resolve) => {
      let rejected: Rejected | null = null;
      let settled = false;
      const finish = (
        value: { kind: "closed"; reason: string } | { kind: "rejected"; rejected: Rejected },
      ) => {
        if (settled) return;
        settled = true;
        if (this.#welcomed) {
          this.on.disconnected(value.kind === "closed" ? value.reason : "rejected");
        }
        resolve(value);
      };
      socket.onopen = () => socket.send(JSON.stringify(hello));
      socket.onerror = (e) => {
        const message = (e as ErrorEvent).message ?? "connection failed";
        log.debug("agent socket error", { error: message });
      };
      socket.onclose = (e) => {
        if (rejected) finish({ kind: "rejected", rejected });
        else {finish({
            kind: "closed",
            reason: `closed (${e.code}${e.reason ? `: ${e.reason}` : ""})`,
          });}
      };
      socket.onmessage = async (e) => {
        if (typeof e.data !== "string" || e.data.length > MAX_MESSAGE_BYTES) {
          return socket.close(CLOSE.policy, "unexpected frame");
        }
        let message: ServerMessage;
        try {
          message = ServerMessage.parse(JSON.parse(e.data));
        } catch {
          log.warn("the server sent a message this agent does not understand; reconnecting");
          return socket.close(CLOSE.policy, "invalid message");
        }
        switch (message.type) {
          case "challenge": {
            const signature = new Uint8Array(
              await crypto.subtle.sign("Ed25519", privateKey, proofMessage(message.nonce, nodeId)),
            );
            socket.send(JSON.stringify({ type: "proof", signature: encodeBase64Url(signature) }));
            const skew = Math.abs(Date.parse(message.serverTime) - Date.now());
            if (skew > 60_000) {
              log.warn("this machine's clock differs from the server's; enable NTP", {
                skew_ms: skew,
              });
            }
            return;
          }
          case "pending":
            return this.on.pending(message.message);
          case "welcome":
            this.#welcomed = true;
            this.#attempt = 0;
            return this.on.welcome(message);
          case "rejected":
            rejected = message;
            return;
          case "ack":
            return this.on.ack(message.seq);
          case "command":
            return this.on.command(message);
          case "cancel":
            return this.on.cancel(message.id);
        }
      };
    });
  }
}
