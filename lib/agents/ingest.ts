import type { Db } from "../../db/db.ts";
import {
  applyContainerState,
  type EventRow,
  type MetricsRow,
  type NodeBatchUpdate,
  storeBatch,
} from "../../db/agent_sessions.ts";
import { appendAudit } from "../../db/audit_log.ts";
import type { Logger } from "../log.ts";
import type { EventMessage, Heartbeat, Metrics } from "../protocol.ts";

/** Who gets told when records are stored: the session acks, or closes when storing failed. */
export interface IngestSink {
  readonly nodeId: string;
  /** Everything up to `seq` is stored. */
  stored(seq: number): void;
  /** Storing failed; the agent must resend from its buffer. */
  failed(reason: string): void;
}

/** Tuning for the batcher. */
export interface IngestOptions {
  /** Flush at most this long after the first queued record. */
  maxDelayMs?: number;
  /** Flush at once when this many records are queued. */
  maxBatch?: number;
}

/** Observations for benchmarks and the status page. */
export interface IngestStats {
  batches: number;
  records: number;
  failures: number;
  /** Milliseconds from receipt to commit of the most recent batches' records (ring buffer). */
  latencies: number[];
}

interface Queued {
  sink: IngestSink;
  message: Heartbeat | EventMessage;
  receivedAt: number;
}

/**
 * Heartbeats and events are stored in batches: one transaction of a few statements per flush,
 * not one per message, so thousands of agents cost a handful of statements per second.
 * Acks go out only after the commit, so an agent never drops a record the server lost.
 */
export class Ingest {
  #queue: Queued[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> | null = null;
  #closed = false;
  readonly stats: IngestStats = { batches: 0, records: 0, failures: 0, latencies: [] };
  readonly #maxDelayMs: number;
  readonly #maxBatch: number;

  constructor(
    private readonly deps: {
      db: Db;
      log: Logger;
      onMetrics?: (nodeId: string) => void;
      /** A container's state changed (after it is stored). */
      onContainer?: (
        nodeId: string,
        change: { allocationId: string; state: string; exitCode: number | null },
      ) => void;
    },
    options: IngestOptions = {},
  ) {
    this.#maxDelayMs = options.maxDelayMs ?? 200;
    this.#maxBatch = options.maxBatch ?? 2000;
  }

  /** Queue one record from a session. */
  push(sink: IngestSink, message: Heartbeat | EventMessage): void {
    if (this.#closed) return sink.failed("server is shutting down");
    this.#queue.push({ sink, message, receivedAt: performance.now() });
    if (this.#queue.length >= this.#maxBatch) this.#kick(0);
    else if (this.#timer === undefined) this.#kick(this.#maxDelayMs);
  }

  /** Store everything queued and stop accepting records. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    while (this.#flushing || this.#queue.length > 0) {
      if (this.#flushing) await this.#flushing;
      else await this.flush();
    }
  }

  /** Store what is queued now (tests and shutdown). */
  async flush(): Promise<void> {
    if (this.#flushing) return await this.#flushing;
    this.#flushing = this.#flushOnce().finally(() => {
      this.#flushing = null;
      if (this.#queue.length > 0 && !this.#closed) this.#kick(this.#maxDelayMs);
    });
    return await this.#flushing;
  }

  #kick(delay: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, delay);
  }

  async #flushOnce(): Promise<void> {
    const batch = this.#queue.splice(0, this.#maxBatch);
    if (batch.length === 0) return;
    const metrics: MetricsRow[] = [];
    const events: EventRow[] = [];
    const containerEvents: Queued[] = [];
    const perNode = new Map<
      string,
      { sink: IngestSink; update: NodeBatchUpdate; newest: number }
    >();
    for (const q of batch) {
      const m = q.message;
      const nodeId = q.sink.nodeId;
      let entry = perNode.get(nodeId);
      if (!entry) {
        entry = { sink: q.sink, update: { nodeId, maxSeq: 0, metrics: null }, newest: 0 };
        perNode.set(nodeId, entry);
      }
      entry.sink = q.sink; // the latest session for the node gets the ack
      entry.update.maxSeq = Math.max(entry.update.maxSeq, m.seq);
      if (m.type === "heartbeat") {
        metrics.push({ nodeId, seq: m.seq, at: m.at, metrics: m.metrics });
        if (m.seq > entry.newest) {
          entry.newest = m.seq;
          entry.update.metrics = m.metrics as Metrics;
        }
      } else {
        const e = m.event;
        events.push({
          nodeId,
          seq: m.seq,
          at: m.at,
          kind: e.kind,
          allocationId: e.kind === "container" ? e.allocationId : null,
          data: e,
        });
        if (e.kind === "container") containerEvents.push(q);
      }
    }
    const t0 = performance.now();
    try {
      // Container events change records another node might own: check each one.
      for (const q of containerEvents) await this.#applyContainerEvent(q);
      await storeBatch(this.deps.db, {
        metrics,
        events,
        nodes: [...perNode.values()].map((e) => e.update),
      });
    } catch (err) {
      this.stats.failures++;
      this.deps.log.error("storing agent records failed; sessions will resend", {
        records: batch.length,
        error: err instanceof Error ? err.message : String(err),
      });
      for (const { sink } of perNode.values()) sink.failed("the server could not store records");
      return;
    }
    const now = performance.now();
    this.stats.batches++;
    this.stats.records += batch.length;
    for (const q of batch) {
      this.stats.latencies.push(now - q.receivedAt);
    }
    if (this.stats.latencies.length > 20_000) this.stats.latencies.splice(0, 10_000);
    this.deps.log.debug("stored agent records", {
      records: batch.length,
      nodes: perNode.size,
      ms: Math.round(now - t0),
    });
    for (const { sink, update } of perNode.values()) {
      sink.stored(update.maxSeq);
      if (update.metrics) this.deps.onMetrics?.(update.nodeId);
    }
  }

  async #applyContainerEvent(q: Queued): Promise<void> {
    const m = q.message as EventMessage;
    if (m.event.kind !== "container") return;
    const e = m.event;
    const applied = await applyContainerState(this.deps.db, q.sink.nodeId, {
      allocationId: e.allocationId,
      containerId: e.containerId,
      state: e.state,
      exitCode: e.exitCode ?? null,
    });
    if (applied) {
      this.deps.onContainer?.(q.sink.nodeId, {
        allocationId: e.allocationId,
        state: e.state,
        exitCode: e.exitCode ?? null,
      });
    } else {
      this.deps.log.warn("refused a container event for another node's allocation", {
        node_id: q.sink.nodeId,
        allocation_id: e.allocationId,
      });
      await appendAudit(this.deps.db, {
        actorId: null,
        actor: `node:${q.sink.nodeId}`,
        action: "node.claim_refused",
        outcome: "denied",
        targetType: "allocation",
        targetId: e.allocationId,
        details: { reason: "allocation belongs to another node", event: e.action },
      });
    }
  }
}
