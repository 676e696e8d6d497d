import type { Db } from "../../db/db.ts";
import {
  claimAllocation,
  markNodeOnline,
  markNodesOffline,
  pruneMetrics,
  reconcileInventory,
  recordPendingHello,
  sweepStaleNodes,
} from "../../db/agent_sessions.ts";
import { appendAudit } from "../../db/audit_log.ts";
import { getNodeForSession, type SessionNodeRecord } from "../../db/nodes.ts";
import { errorBody, HttpError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { NodeChange, NodeChanges } from "../nodes/changes.ts";
import {
  CLOSE,
  type Command,
  type EventMessage,
  type Heartbeat,
  type Hello,
  type LogChunk,
  type Result,
} from "../protocol.ts";
import { Ingest, type IngestOptions } from "./ingest.ts";
import { AgentSession, type SessionHost } from "./session.ts";

/** Settings of the hub; the control plane passes its config, tests tighten the timings. */
export interface HubOptions {
  heartbeatIntervalMs: number;
  minAgentVersion: string;
  metricsRetentionHours: number;
  /** Origin of the control plane; browser-originated upgrades from elsewhere are refused. */
  publicOrigin: string;
  helloTimeoutMs?: number;
  /** How often stale sessions are looked for (default: a tenth of the interval, 100 ms–1 s). */
  sweepEveryMs?: number;
  ingest?: IngestOptions;
}

/** The node is not connected (or not approved) so it cannot take a command now. */
export class NodeUnavailableError extends HttpError {
  constructor(nodeId: string) {
    super(
      409,
      "node_offline",
      `Node ${nodeId} is not connected; commands reach only online, approved nodes.`,
    );
  }
}

/** Presence in Deno KV expires by itself after three missed heartbeats. */
export const PRESENCE_KEY = "presence";
const MISSED_HEARTBEATS = 3;
/**
 * Handshakes doing database work at once. A reconnect storm would otherwise start every
 * handshake together: each one's statements queue behind all the others', none is welcomed
 * within three intervals, the sweep closes them and the agents' retries feed the storm
 * (bench/agents_load.ts, BENCHMARKS.md "Agent heartbeat ingest").
 */
const HANDSHAKE_SLOTS = 32;

/**
 * Every agent connection of this process: accepts WebSocket upgrades, runs the sessions, routes
 * commands to nodes, stores heartbeats in batches, and marks nodes offline when they go quiet.
 */
export class AgentHub implements Omit<SessionHost, never> {
  readonly heartbeatIntervalMs: number;
  readonly minAgentVersion: string;
  readonly ingestor: Ingest;
  #sessions = new Map<string, AgentSession>();
  #parked = new Map<string, AgentSession>();
  #all = new Set<AgentSession>();
  #nodeOps = new Map<string, Promise<void>>();
  #timers: ReturnType<typeof setInterval>[] = [];
  #unsubscribe: () => void;
  #closing = false;
  #admitted = 0;
  #waiting = { proof: [] as (() => void)[], hello: [] as (() => void)[] };

  constructor(
    private readonly deps: { db: Db; kv: Deno.Kv; log: Logger; nodeChanges: NodeChanges },
    private readonly options: HubOptions,
  ) {
    this.heartbeatIntervalMs = options.heartbeatIntervalMs;
    this.minAgentVersion = options.minAgentVersion;
    this.ingestor = new Ingest(
      {
        db: deps.db,
        log: deps.log,
        onMetrics: (nodeId) => deps.nodeChanges.emit({ kind: "metrics", nodeId }),
        onContainer: (nodeId, change) =>
          deps.nodeChanges.emit({ kind: "container", nodeId, ...change }),
      },
      options.ingest,
    );
    this.#unsubscribe = deps.nodeChanges.subscribe((change) => this.#onNodeChange(change));
    const sweepEvery = options.sweepEveryMs ??
      Math.min(1000, Math.max(100, Math.round(options.heartbeatIntervalMs / 10)));
    this.#timers.push(setInterval(() => this.#sweep(), sweepEvery));
    this.#timers.push(
      setInterval(() => void this.#sweepDb(), Math.max(1000, options.heartbeatIntervalMs)),
    );
    this.#timers.push(setInterval(() => void this.#prune(), 3_600_000));
  }

  /** How many sessions are open, by state. */
  counts(): { connections: number; active: number; pending: number } {
    return { connections: this.#all.size, active: this.#sessions.size, pending: this.#parked.size };
  }

  /** True when the node has an active session on this process. */
  isConnected(nodeId: string): boolean {
    return this.#sessions.has(nodeId);
  }

  /** Answer `GET /api/v1/agents/connect`: upgrade to a WebSocket and start a session. */
  handle(req: Request, info?: Deno.ServeHandlerInfo): Response {
    const origin = req.headers.get("origin");
    if (origin !== null && origin !== this.options.publicOrigin) {
      this.deps.log.warn("refused a cross-origin agent connection", { origin });
      return Response.json(
        errorBody("forbidden", "Agents connect without an Origin; browsers may not connect here."),
        { status: 403 },
      );
    }
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return Response.json(
        errorBody(
          "upgrade_required",
          "This endpoint speaks the agent protocol over WebSocket; run `lattice-agent run`.",
        ),
        { status: 426, headers: { upgrade: "websocket" } },
      );
    }
    if (this.#closing) {
      return Response.json(errorBody("unavailable", "The server is shutting down; retry."), {
        status: 503,
        headers: { "retry-after": "5" },
      });
    }
    // The peer address must be read before the upgrade: afterwards the request is closed.
    const remote = info?.remoteAddr;
    const remoteAddr = remote && "hostname" in remote ? remote.hostname : null;
    const { socket, response } = Deno.upgradeWebSocket(req);
    const session = new AgentSession(this, socket, remoteAddr, this.options.helloTimeoutMs);
    this.#all.add(session);
    return response;
  }

  /**
   * Send a command to a node and wait for its one result. Deploys first claim the allocation
   * for the node, so no two nodes run the same allocation; `claimed` says the caller already
   * did (the scheduler claims a batch's new allocations in the transaction that stores them).
   */
  async command(
    nodeId: string,
    command: Command,
    options: {
      timeoutMs?: number;
      onLogs?: (chunk: LogChunk) => void;
      signal?: AbortSignal;
      claimed?: boolean;
    } = {},
  ): Promise<Result> {
    const session = this.#sessions.get(nodeId);
    if (!session) throw new NodeUnavailableError(nodeId);
    if (command.action === "deploy" && !options.claimed) {
      const owner = await claimAllocation(this.deps.db, {
        allocationId: command.allocationId,
        nodeId,
        workloadId: command.workloadId ?? null,
        image: command.spec.image,
      });
      if (owner !== nodeId) {
        throw new HttpError(
          409,
          "allocation_elsewhere",
          `Allocation ${command.allocationId} belongs to node ${owner}; deploy it there or use a new allocation id.`,
        );
      }
    }
    const id = crypto.randomUUID();
    return await new Promise<Result>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (result: Result) => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        resolve(result);
      };
      const onAbort = () => {
        session.forget(id);
        session.send({ type: "cancel", id });
        finish({ type: "result", id, ok: true, data: { cancelled: true } });
      };
      const sent = session.command({ type: "command", id, command }, {
        resolve: finish,
        onLogs: options.onLogs,
      });
      if (!sent) return finish(unavailable(id));
      if (options.timeoutMs) {
        timer = setTimeout(() => {
          session.forget(id);
          finish({
            type: "result",
            id,
            ok: false,
            error: {
              code: "timeout",
              message: `The node did not answer within ${options.timeoutMs} ms.`,
            },
          });
        }, options.timeoutMs);
      }
      options.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Close every session (agents reconnect to the next server) and store what is queued. */
  async close(): Promise<void> {
    this.#closing = true;
    for (const t of this.#timers) clearInterval(t);
    this.#unsubscribe();
    for (const s of [...this.#all]) s.close(CLOSE.goingAway, "server restarting; reconnect");
    await this.ingestor.close();
    await Promise.allSettled([...this.#nodeOps.values()]);
  }

  // ------------------------------------------------------------ SessionHost

  /** Load the node a session claims. */
  loadNode(nodeId: string): Promise<SessionNodeRecord | null> {
    return getNodeForSession(this.deps.db, nodeId);
  }

  /** Wait for a handshake slot; proofs go before new hellos, so started handshakes finish first. */
  admit(step: "hello" | "proof"): Promise<() => void> {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      // Hand the slot straight to the next waiter, if any.
      const next = this.#waiting.proof.shift() ?? this.#waiting.hello.shift();
      if (next) next();
      else this.#admitted--;
    };
    if (this.#admitted < HANDSHAKE_SLOTS) {
      this.#admitted++;
      return Promise.resolve(release);
    }
    return new Promise((resolve) => this.#waiting[step].push(() => resolve(release)));
  }

  /** Register an approved session, record it online and reconcile its inventory. */
  async activate(session: AgentSession, hello: Hello, node: SessionNodeRecord): Promise<void> {
    this.#parked.delete(node.id);
    // Liveness counts from activation: under load the writes below can take longer than
    // three intervals, and the sweep must not time out a session before it is welcomed.
    session.lastSeen = performance.now();
    const previous = this.#sessions.get(node.id);
    this.#sessions.set(node.id, session);
    if (previous && previous !== session) {
      previous.close(CLOSE.replaced, "replaced by a newer session");
    }
    let settingsApplied = false;
    await this.#serial(node.id, async () => {
      ({ settingsApplied } = await markNodeOnline(this.deps.db, node.id, {
        agentVersion: hello.agentVersion,
        capabilities: hello.capabilities,
        labels: hello.labels,
        remoteAddr: session.remoteAddr,
        settings: hello.settings,
      }));
    });
    // The owner's hours or offer may have changed: the scheduler re-reads the node.
    if (settingsApplied) this.deps.nodeChanges.emit({ kind: "updated", nodeId: node.id });
    await this.inventory(session, hello.inventory);
    const fresh = await getNodeForSession(this.deps.db, node.id);
    if (session.state === "closed") return;
    session.welcome(fresh?.ackedSeq ?? node.ackedSeq);
    this.deps.log.info("node online", {
      node_id: node.id,
      name: node.name,
      agent_version: hello.agentVersion,
      remote_addr: session.remoteAddr,
    });
    this.deps.nodeChanges.emit({
      kind: "status",
      nodeId: node.id,
      status: "online",
      dockerHealthy: hello.capabilities.docker !== null,
    });
    void this.#writePresence([session]);
  }

  /** Hold a session until an admin decides. */
  park(session: AgentSession, hello: Hello, node: SessionNodeRecord): void {
    const previous = this.#parked.get(node.id);
    if (previous && previous !== session) {
      previous.close(CLOSE.replaced, "replaced by a newer session");
    }
    this.#parked.set(node.id, session);
    this.deps.log.info("node waiting for approval", { node_id: node.id, name: node.name });
    // What it reported, for the admin deciding on Approvals.
    void this.#serial(node.id, async () => {
      await recordPendingHello(this.deps.db, node.id, hello);
      this.deps.nodeChanges.emit({ kind: "updated", nodeId: node.id });
    });
  }

  /** Forget a closed session; mark its node offline unless a newer session holds it. */
  ended(session: AgentSession): void {
    this.#all.delete(session);
    const nodeId = session.nodeId;
    if (!nodeId) return;
    if (this.#parked.get(nodeId) === session) this.#parked.delete(nodeId);
    if (this.#sessions.get(nodeId) !== session) return;
    this.#sessions.delete(nodeId);
    void this.#serial(nodeId, async () => {
      if (this.#sessions.has(nodeId)) return;
      const changed = await markNodesOffline(this.deps.db, [nodeId]);
      await this.deps.kv.delete([PRESENCE_KEY, nodeId]);
      if (changed.length > 0) {
        this.deps.log.info("node offline", { node_id: nodeId, reason: "disconnected" });
        this.deps.nodeChanges.emit({
          kind: "status",
          nodeId,
          status: "offline",
          dockerHealthy: null,
        });
      }
    });
  }

  /** Queue a heartbeat or event for the next batch. */
  ingest(session: AgentSession, message: Heartbeat | EventMessage): void {
    this.ingestor.push(session, message);
  }

  /** Reconcile a node's reported containers; claims on other nodes' allocations are refused. */
  async inventory(session: AgentSession, items: Hello["inventory"]): Promise<void> {
    const result = await reconcileInventory(this.deps.db, session.nodeId, items);
    for (const r of result.refused) {
      this.deps.log.warn("refused a claim on another node's allocation", {
        node_id: session.nodeId,
        allocation_id: r.allocationId,
        owner_node_id: r.ownerNodeId,
      });
      this.audit(session, "node.claim_refused", {
        allocation_id: r.allocationId,
        reason: "allocation belongs to another node",
      });
    }
    if (result.updated.length > 0 || result.missing.length > 0) {
      this.deps.nodeChanges.emit({ kind: "containers", nodeId: session.nodeId });
    }
  }

  /** Write an audit record on behalf of a node session. */
  audit(session: AgentSession, action: string, details: Record<string, unknown>): void {
    const outcome = action === "node.claim_refused" || details.outcome ? "denied" : "success";
    appendAudit(this.deps.db, {
      actorId: null,
      actor: session.nodeId ? `node:${session.nodeId}` : "agent",
      action,
      outcome,
      targetType: "node",
      targetId: session.nodeId || null,
      ip: session.remoteAddr,
      details,
    }).catch((err) => this.deps.log.error("audit write failed", { action, error: String(err) }));
  }

  /** Log on behalf of a session. */
  log(level: "debug" | "info" | "warn", message: string, context: Record<string, unknown>): void {
    this.deps.log[level](message, context);
  }

  // ------------------------------------------------------------ internals

  #onNodeChange(change: NodeChange): void {
    if (change.kind !== "approval") return;
    const { nodeId, approval } = change;
    const parked = this.#parked.get(nodeId);
    const active = this.#sessions.get(nodeId);
    if (approval === "approved" && parked) {
      this.#parked.delete(nodeId);
      void this.activate(parked, parked.hello!, parked.node!).catch((err) => {
        this.deps.log.error("activating an approved node failed", {
          node_id: nodeId,
          error: String(err),
        });
        parked.close(CLOSE.goingAway, "server error; reconnect");
      });
    } else if (approval === "rejected" || approval === "revoked") {
      const reason = change.reason ? `: ${change.reason}` : "";
      for (const s of [parked, active]) {
        s?.reject(
          approval,
          approval === "rejected"
            ? `An admin rejected this node${reason}.`
            : `This node's access was revoked${reason}. Run \`lattice-agent reset\` and join again if an admin allows it.`,
        );
      }
    }
  }

  #sweep(): void {
    const now = performance.now();
    const limit = MISSED_HEARTBEATS * this.heartbeatIntervalMs;
    const dirty: AgentSession[] = [];
    for (const s of this.#sessions.values()) {
      if (now - s.lastSeen > limit) {
        this.deps.log.info("node missed three heartbeats", { node_id: s.nodeId });
        s.close(CLOSE.timeout, "no heartbeat for three intervals");
      } else if (s.presenceDirty) {
        s.presenceDirty = false;
        dirty.push(s);
      }
    }
    if (dirty.length > 0) void this.#writePresence(dirty);
  }

  async #writePresence(sessions: AgentSession[]): Promise<void> {
    const expireIn = MISSED_HEARTBEATS * this.heartbeatIntervalMs;
    const at = Date.now();
    try {
      // KV allows at most 1000 mutations per atomic commit.
      for (let i = 0; i < sessions.length; i += 500) {
        const op = this.deps.kv.atomic();
        for (const s of sessions.slice(i, i + 500)) {
          op.set([PRESENCE_KEY, s.nodeId], { at, agentVersion: s.agentVersion }, { expireIn });
        }
        await op.commit();
      }
    } catch (err) {
      this.deps.log.warn("writing node presence failed", { error: String(err) });
    }
  }

  async #sweepDb(): Promise<void> {
    try {
      const stale = await sweepStaleNodes(
        this.deps.db,
        MISSED_HEARTBEATS * this.heartbeatIntervalMs,
        [...this.#sessions.keys()],
      );
      for (const nodeId of stale) {
        this.deps.log.info("node offline", { node_id: nodeId, reason: "no heartbeat" });
        this.deps.nodeChanges.emit({
          kind: "status",
          nodeId,
          status: "offline",
          dockerHealthy: null,
        });
      }
    } catch (err) {
      this.deps.log.warn("sweeping stale nodes failed", { error: String(err) });
    }
  }

  async #prune(): Promise<void> {
    try {
      const n = await pruneMetrics(this.deps.db, this.options.metricsRetentionHours);
      if (n > 0) this.deps.log.info("pruned old node metrics", { rows: n });
    } catch (err) {
      this.deps.log.warn("pruning node metrics failed", { error: String(err) });
    }
  }

  /** Run status writes for one node in order, so online/offline cannot overtake each other. */
  #serial(nodeId: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.#nodeOps.get(nodeId) ?? Promise.resolve();
    const next = prev.then(fn).catch((err) =>
      this.deps.log.error("node status write failed", { node_id: nodeId, error: String(err) })
    );
    this.#nodeOps.set(nodeId, next);
    void next.then(() => {
      if (this.#nodeOps.get(nodeId) === next) this.#nodeOps.delete(nodeId);
    });
    return next;
  }
}

function unavailable(id: string): Result {
  return {
    type: "result",
    id,
    ok: false,
    error: {
      code: "node_disconnected",
      message: "The node disconnected before the command was sent.",
    },
  };
}
