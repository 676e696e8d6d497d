/**
 * The scheduling loop of DESIGN §1 on the main thread: Deno KV queue jobs name workloads; each
 * batch loads their desired state and allocations, decides (decide.ts), asks the scheduler
 * worker for placements, commits allocations in one transaction with capacity re-checked, and
 * sends the resulting commands to the nodes. Results and container events feed back into the
 * records and enqueue the workload again. A periodic reconciler re-enqueues every workload
 * whose actual state may differ from desired, so a crash between a write and its enqueue loses
 * nothing; a lost-node sweep turns long absences into rescheduling.
 */
import { z } from "zod";
import type { Db } from "../../db/db.ts";
import { claimNewAllocations, commitAllocations, loadNodesForView } from "../../db/scheduling.ts";
import {
  type Allocation,
  appendWorkloadEvents,
  getAllocation,
  getWorkloadsForReconcile,
  giveUpAllocations,
  listAllocations,
  markAllocationsRunning,
  markLostAllocations,
  type NewAllocation,
  purgeWorkload,
  recordDeployFailure,
  resumeLostAllocations,
  rollBackWorkload,
  setWorkloadStatuses,
  staleContainers,
  type StatusWrite,
  updateAllocation,
  type Workload,
  workloadsToReconcile,
} from "../../db/workloads.ts";
import { type AgentHub, NodeUnavailableError } from "../agents/hub.ts";
import { open } from "../crypto/secret_box.ts";
import type { Logger } from "../log.ts";
import type { NodeChange, NodeChanges } from "../nodes/changes.ts";
import type { WorkloadChanges } from "../workloads/changes.ts";
import type { Command, Result } from "../protocol.ts";
import { WorkloadCredentials } from "../workloads/connection.ts";
import { toContainerSpec } from "../workloads/container_spec.ts";
import { expandTemplate, isStateful } from "../workloads/templates.ts";
import type { PlacementRequest } from "../../scheduler/types.ts";
import { decide, type Decision } from "./decide.ts";
import { placementRequest, toNodeView } from "./views.ts";
import { leavingReason } from "./leaving.ts";
import { listLeavingCandidates, workloadsOnNodes } from "../../db/evacuation.ts";
import { SchedulerWorker } from "./worker_client.ts";
import { deployBlame } from "./blame.ts";

/** Timings and limits; the control plane passes its config, tests tighten them. */
export interface OrchestratorOptions {
  minAgentVersion: string;
  /** A node offline this long has its allocations marked lost (default 60 s). */
  lostGraceMs: number;
  /** How often the reconciler looks for drifted workloads. */
  reconcileEveryMs: number;
  /** A new container must keep running this long before the old one is given up. */
  healthyAfterMs: number;
  /** Failed deploys before a change is rolled back or the workload fails. */
  maxDeployFailures: number;
  /** First retry delay after a failed deploy; doubles per failure, capped at 30 s. */
  retryBaseMs: number;
  /** How long a deploy may take on the node (pulls included). */
  deployTimeoutMs: number;
  /** Evacuating nodes start moving work this long before their computation hours end. */
  evacuationLeadMs: number;
}

export const DEFAULT_ORCHESTRATOR_OPTIONS: Omit<OrchestratorOptions, "minAgentVersion"> = {
  lostGraceMs: 60_000,
  reconcileEveryMs: 5_000,
  healthyAfterMs: 5_000,
  maxDeployFailures: 3,
  retryBaseMs: 1_000,
  deployTimeoutMs: 300_000,
  evacuationLeadMs: 15 * 60_000,
};

/** A queue job: reconcile these workloads. */
export const ReconcileJob = z.object({
  kind: z.literal("reconcile"),
  workloadIds: z.array(z.uuid()).min(1).max(10_000),
  /**
   * Which orchestrator enqueued it, and when by its monotonic clock: workloads that orchestrator
   * has reconciled since are skipped (it ran their batch at once).
   */
  enqueued: z.object({ by: z.string().max(64), at: z.number() }).optional(),
});
export type ReconcileJob = z.infer<typeof ReconcileJob>;

/**
 * How long a batch's start is remembered, to skip the queue message that follows it. A message
 * later than this reconciles again, which is harmless.
 */
const RECONCILED_KEEP_MS = 30_000;

/** Workload ids per queue message: Deno KV refuses a message over 64 KiB. */
export const JOB_IDS_MAX = 1_000;

/** Where jobs that could not be delivered are kept for admins to see. */
export const UNDELIVERED_PREFIX = ["scheduler", "undelivered"] as const;

/** Counters an admin (and the benchmark) can read. */
export interface OrchestratorStats {
  batches: number;
  /** Workloads of queue messages skipped: this process had already run their batch. */
  skipped: number;
  placed: number;
  unplaced: number;
  commandsSent: number;
  lastBatchMs: number;
}

/** A deploy the node reported done. */
interface Deployed {
  allocationId: string;
  workloadId: string;
  nodeId: string;
  slot: number;
  ports: Allocation["ports"];
  healthLook: boolean;
}

interface Deps {
  db: Db;
  kv: Deno.Kv;
  log: Logger;
  agents: AgentHub;
  nodeChanges: NodeChanges;
  /** Live views learn which workloads changed (ids only: WorkloadChanges.touch). */
  workloadChanges?: WorkloadChanges;
  encryptionKey: CryptoKey;
}

/** The control plane's scheduler loop. */
export class Orchestrator {
  readonly stats: OrchestratorStats = {
    batches: 0,
    skipped: 0,
    placed: 0,
    unplaced: 0,
    commandsSent: 0,
    lastBatchMs: 0,
  };
  /** Called with each allocation id right after its deploy command is handed to the hub. */
  onDeploySent: ((allocationId: string, workloadId: string) => void) | null = null;
  readonly options: OrchestratorOptions;
  #worker: SchedulerWorker | null = null;
  #dirtyNodes = new Set<string>();
  #allNodesDirty = true;
  #busy = new Set<string>();
  #pending = new Map<string, (() => void)[]>();
  #running: Promise<void> | null = null;
  #enqueueBuffer = new Set<string>();
  /** When each workload's last successful batch started here (kept `RECONCILED_KEEP_MS`). */
  #reconciledAt = new Map<string, number>();
  /** This orchestrator, in the queue messages it sends. */
  readonly #instance = crypto.randomUUID();
  #started = false;
  #enqueueWaiters: { resolve: () => void }[] = [];
  #enqueueTimer: ReturnType<typeof setTimeout> | null = null;
  #timers: ReturnType<typeof setInterval>[] = [];
  #unsubscribe: (() => void) | null = null;
  #closed = false;
  #seed = 1;
  #credentials = new Map<string, WorkloadCredentials | null>();
  /** Successful deploys waiting to be stored together (#recordDeployed). */
  #deployed: Deployed[] = [];
  #deployedFlush: Promise<void> | null = null;
  /** Node names as last loaded, for messages people read. */
  #nodeNames = new Map<string, string>();
  /** Nodes work is moving off, with why (drained, or computation hours ending). */
  #leaving = new Map<string, string>();
  #evacuationTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly deps: Deps,
    options: Partial<OrchestratorOptions> & {
      minAgentVersion: string;
    },
  ) {
    this.options = { ...DEFAULT_ORCHESTRATOR_OPTIONS, ...options };
  }

  /** Start the worker, the queue listener and the periodic sweeps. */
  start(): void {
    this.#started = true;
    this.#worker = new SchedulerWorker();
    this.#unsubscribe = this.deps.nodeChanges.subscribe((c) => this.#onNodeChange(c));
    this.deps.kv.listenQueue(async (message: unknown) => {
      const job = ReconcileJob.safeParse(message);
      if (!job.success) {
        this.deps.log.warn("dropped a malformed scheduler job", { error: job.error.message });
        return;
      }
      // The job is the durable record; this process usually ran its batch at once (enqueue).
      const mine = job.data.enqueued?.by === this.#instance ? job.data.enqueued.at : null;
      const ids = mine === null
        ? job.data.workloadIds
        : job.data.workloadIds.filter((id) => !((this.#reconciledAt.get(id) ?? -1) >= mine));
      this.stats.skipped += job.data.workloadIds.length - ids.length;
      if (ids.length > 0) await this.reconcile(ids);
    }).catch((err) => {
      if (!this.#closed) this.deps.log.error("scheduler queue stopped", { error: String(err) });
    });
    this.#timers.push(setInterval(() => void this.#sweep(), this.options.reconcileEveryMs));
    this.#timers.push(
      setInterval(
        () => void this.#evacuationCheck(),
        Math.min(30_000, this.options.reconcileEveryMs),
      ),
    );
    this.#timers.push(
      setInterval(
        () => void this.#lostSweep(),
        Math.max(250, Math.min(5_000, this.options.lostGraceMs / 4)),
      ),
    );
  }

  /** Stop timers and the worker; in-flight commands finish on their own. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    if (this.#enqueueTimer) clearTimeout(this.#enqueueTimer);
    if (this.#evacuationTimer) clearTimeout(this.#evacuationTimer);
    this.#unsubscribe?.();
    await this.#running?.catch(() => {});
    await this.#deployedFlush?.catch(() => {});
    this.#worker?.close();
  }

  /**
   * Queue workloads for scheduling. Calls within a few milliseconds share one queue message
   * (Deno KV delivers about 1,500 messages/s); resolves once the message is enqueued. The batch
   * also starts here at once, without the queue's 0–100 ms delivery delay; when the message
   * arrives, workloads reconciled since are skipped. After a crash the message is still there.
   */
  enqueue(workloadIds: readonly string[], delayMs = 0): Promise<void> {
    if (delayMs > 0) {
      return this.#send(workloadIds, delayMs);
    }
    for (const id of workloadIds) this.#enqueueBuffer.add(id);
    const done = new Promise<void>((resolve) => this.#enqueueWaiters.push({ resolve }));
    this.#enqueueTimer ??= setTimeout(() => {
      this.#enqueueTimer = null;
      const ids = [...this.#enqueueBuffer];
      const waiters = this.#enqueueWaiters;
      this.#enqueueBuffer = new Set();
      this.#enqueueWaiters = [];
      const enqueuedAt = performance.now();
      void this.#send(ids, 0, enqueuedAt).finally(() => waiters.forEach((w) => w.resolve()));
      if (this.#started) void this.reconcile(ids);
    }, 2);
    return done;
  }

  async #send(ids: readonly string[], delay: number, enqueuedAt?: number): Promise<void> {
    if (this.#closed || ids.length === 0) return;
    try {
      // Deno KV refuses a message over 64 KiB: 1,000 ids (~39 KB of JSON) per message.
      for (let i = 0; i < ids.length; i += JOB_IDS_MAX) {
        const batch = ids.slice(i, i + JOB_IDS_MAX);
        const job: ReconcileJob = {
          kind: "reconcile",
          workloadIds: batch,
          ...(enqueuedAt === undefined ? {} : { enqueued: { by: this.#instance, at: enqueuedAt } }),
        };
        await this.deps.kv.enqueue(job, {
          delay,
          keysIfUndelivered: [[...UNDELIVERED_PREFIX, crypto.randomUUID()]],
        });
      }
    } catch (err) {
      // The periodic reconciler finds these workloads again.
      this.deps.log.warn("enqueueing a scheduler job failed", {
        error: String(err),
        workloads: ids.length,
      });
    }
  }

  /** Reconcile workloads now; resolves after a batch including all of them has run. */
  reconcile(workloadIds: readonly string[]): Promise<void> {
    const waits = workloadIds.map((id) =>
      new Promise<void>((resolve) => {
        const list = this.#pending.get(id) ?? [];
        list.push(resolve);
        this.#pending.set(id, list);
      })
    );
    this.#pump();
    return Promise.all(waits).then(() => {});
  }

  #pump(): void {
    if (this.#running || this.#pending.size === 0 || this.#closed) {
      if (this.#closed) {
        for (const list of this.#pending.values()) list.forEach((r) => r());
        this.#pending.clear();
      }
      return;
    }
    const batch = this.#pending;
    this.#pending = new Map();
    const started = performance.now();
    this.#running = this.#runBatch([...batch.keys()])
      .then(() => {
        for (const id of batch.keys()) this.#reconciledAt.set(id, started);
      })
      .catch((err) => this.deps.log.error("scheduling batch failed", { error: String(err) }))
      .finally(() => {
        for (const list of batch.values()) list.forEach((r) => r());
        this.#running = null;
        this.#pump();
      });
  }

  // ------------------------------------------------------------------ one batch

  async #runBatch(ids: string[]): Promise<void> {
    const t0 = performance.now();
    const { db } = this.deps;
    await this.#refreshNodes();
    // Allocations before workloads: a deploy result counts the failure on the workload before
    // it marks the allocation failed, so this order never sees a failed allocation with a
    // failure count that misses it.
    const allocations = await listAllocations(db, ids);
    const workloads = await getWorkloadsForReconcile(db, ids);
    const byWorkload = new Map<string, Allocation[]>();
    for (const a of allocations) {
      const list = byWorkload.get(a.workloadId) ?? [];
      list.push(a);
      byWorkload.set(a.workloadId, list);
    }
    const now = Date.now();
    const decisions = new Map<string, { w: Workload; d: Decision }>();
    for (const w of workloads) {
      const d = decide(w, byWorkload.get(w.id) ?? [], {
        now,
        healthyAfterMs: this.options.healthyAfterMs,
        maxDeployFailures: this.options.maxDeployFailures,
        nodeOnline: (nodeId) => this.deps.agents.isConnected(nodeId),
        busy: (id) => this.#busy.has(id),
        leaving: (id) => this.#leaving.get(id) ?? null,
      });
      decisions.set(w.id, { w, d });
    }

    // Placements: pinned ones go straight to their node; the rest through the worker.
    const requests: PlacementRequest[] = [];
    const requestOwners: { w: Workload; slot: number }[] = [];
    const newAllocations: NewAllocation[] = [];
    const release: string[] = [];
    const unplaced = new Map<string, { reasons: Record<string, number>; summary: string }>();
    const allocOf = (w: Workload, slot: number, nodeId: string): NewAllocation => ({
      id: crypto.randomUUID(),
      workloadId: w.id,
      nodeId,
      slot,
      generation: w.generation,
      resources: w.spec.resources,
      stateful: isStateful(w.spec),
    });
    for (const { w, d } of decisions.values()) {
      for (const p of d.place) {
        if (p.pinnedNodeId) {
          if (!this.deps.agents.isConnected(p.pinnedNodeId)) {
            unplaced.set(w.id, {
              reasons: { online: 1 },
              summary: "the node holding its data is offline; waiting for it to return",
            });
            continue;
          }
          release.push(...p.replaces);
          newAllocations.push(allocOf(w, p.slot, p.pinnedNodeId));
        } else {
          requests.push(
            placementRequest(w.id, w.spec, p.slot, {
              minAgentVersion: this.options.minAgentVersion,
            }),
          );
          requestOwners.push({ w, slot: p.slot });
        }
      }
    }
    const touchedNodes = new Set<string>();
    /** Allocations the worker placed: its view already counts them once they are committed. */
    const planned = new Set<string>();
    if (requests.length > 0) {
      // A new generation: nodes holding the older one are seen afresh, where it no longer
      // counts against anti-affinity to itself (views.ts).
      const stale = requestOwners.flatMap(({ w }) =>
        (byWorkload.get(w.id) ?? []).filter((a) => a.generation < w.generation).map((a) => a.nodeId)
      );
      if (stale.length > 0) {
        for (const id of stale) this.#dirtyNodes.add(id);
        await this.#refreshNodes();
      }
      const { placements } = await this.#worker!.plan(requests, new Date(now), this.#seed++);
      placements.forEach((placement, i) => {
        const { w, slot } = requestOwners[i];
        if (placement.ok) {
          const a = allocOf(w, slot, placement.nodeId);
          planned.add(a.id);
          newAllocations.push(a);
        } else {
          this.stats.unplaced++;
          unplaced.set(w.id, { reasons: placement.reasons, summary: placement.summary });
        }
      });
    }

    // One transaction: give-ups, releases and new allocations.
    const giveUps = [...decisions.values()].flatMap(({ d }) => d.giveUp);
    const forgets = [...decisions.values()].flatMap(({ d }) => d.forget);
    const { committed, refused } = await db.transaction(async (tx) => {
      await giveUpAllocations(tx, giveUps);
      if (forgets.length > 0) {
        await tx.query(
          `UPDATE allocations SET state = 'removed', desired = 'removed', updated_at = now()
           WHERE id = ANY($1::uuid[])`,
          [forgets],
        );
      }
      const result = await commitAllocations(tx, newAllocations, release);
      // Claimed for their nodes here, so their deploys need no claim each.
      await claimNewAllocations(
        tx,
        result.committed.map((a) => ({ ...a, image: decisions.get(a.workloadId)!.w.spec.image })),
      );
      return result;
    });
    // Only what the worker's view does not already show is reloaded into it: pinned
    // allocations, refused plans (counted there, not stored) and allocations given up. Reloading
    // every node a batch placed on would read all their allocations again, every batch.
    for (const a of committed) if (!planned.has(a.id)) touchedNodes.add(a.nodeId);
    for (const a of refused) touchedNodes.add(a.nodeId);
    const left = new Set([...giveUps.map((g) => g.id), ...forgets]);
    for (const a of allocations) if (left.has(a.id)) touchedNodes.add(a.nodeId);
    this.stats.placed += committed.length;
    if (refused.length > 0) {
      // Another batch took the capacity first: plan these again shortly.
      void this.enqueue([...new Set(refused.map((a) => a.workloadId))], 200);
    }
    for (const id of touchedNodes) this.#dirtyNodes.add(id);

    // Records of what happened, then statuses.
    const events: Parameters<typeof appendWorkloadEvents>[1][number][] = [];
    for (const a of committed) {
      const w = decisions.get(a.workloadId)!.w;
      events.push({
        workloadId: w.id,
        kind: "placed",
        message: `replica ${a.slot} placed on node ${this.#nodeName(a.nodeId)}`,
        allocationId: a.id,
        nodeId: a.nodeId,
      });
    }
    const placedNow = new Set(committed.map((a) => a.workloadId));
    const statusWrites: (StatusWrite & { from: Workload["status"] })[] = [];
    for (const { w, d } of decisions.values()) {
      if (d.rollBack) {
        await rollBackWorkload(db, w.id, `rolled back: ${w.statusReason ?? "the change failed"}`);
        events.push({
          workloadId: w.id,
          kind: "rolled_back",
          message: `the change never became healthy (${
            w.statusReason ?? "deploys failed"
          }); rolled back to the previous spec`,
        });
        void this.enqueue([w.id]);
        continue;
      }
      if (d.purge) {
        await purgeWorkload(db, w.id);
        this.#credentials.delete(w.id);
        continue;
      }
      const miss = unplaced.get(w.id);
      let status = d.status;
      let reason = d.reason;
      let unplacedReasons: Record<string, number> | null = null;
      if (miss && w.desired === "running" && d.moving.length > 0) {
        // Still running where it is; the move waits for room elsewhere.
        reason = `${d.reason ?? "moving"}; no other node fits yet: ${miss.summary}`;
        unplacedReasons = miss.reasons;
      } else if (miss && w.desired === "running" && d.status !== "failed") {
        status = "pending";
        reason = `waiting for capacity: ${miss.summary}`;
        unplacedReasons = miss.reasons;
      } else if (placedNow.has(w.id) && status === "pending") {
        status = "scheduled";
        reason = "placed; deploying";
      }
      statusWrites.push({
        id: w.id,
        status,
        reason,
        unplaced: unplacedReasons,
        expectDeployFailures: w.deployFailures,
        from: w.status,
      });
    }
    // Statuses of the whole batch in one statement; the changed ones are recorded as events.
    const changed = await setWorkloadStatuses(db, statusWrites);
    for (const u of statusWrites) {
      if (changed.has(u.id) && u.status !== u.from) {
        events.push({
          workloadId: u.id,
          kind: "status",
          message: u.reason ? `${u.status}: ${u.reason}` : u.status,
          data: { from: u.from, to: u.status },
        });
      }
    }
    await appendWorkloadEvents(db, events);
    // The batch's one notice to live views: workloads with a record of change, or an
    // allocation given up.
    this.deps.workloadChanges?.touch([
      ...events.map((e) => e.workloadId),
      ...allocations.filter((a) => left.has(a.id)).map((a) => a.workloadId),
    ]);

    // Commands, not awaited: results come back through #onResult.
    const workloadOf = new Map(workloads.map((w) => [w.id, w]));
    const byId = new Map(allocations.map((a) => [a.id, a]));
    for (const a of committed) {
      const w = workloadOf.get(a.workloadId)!;
      const replaced = release.filter((id) => byId.get(id)?.workloadId === w.id);
      // A health look later matters only where something waits for this replica to prove
      // itself (an older generation or a replica leaving a node): a new workload skips it.
      const waiting = (byWorkload.get(w.id) ?? []).some((x) => x.desired !== "removed");
      void this.#deploy(w, a, replaced.map((id) => byId.get(id)!), {
        claimed: true,
        healthLook: waiting,
      });
    }
    for (const { w, d } of decisions.values()) {
      for (const id of d.deploy) {
        const a = byId.get(id)!;
        void this.#deploy(w, a, []);
      }
      for (const id of d.start) void this.#simple(w, byId.get(id)!, "start");
      for (const id of d.stop) void this.#simple(w, byId.get(id)!, "stop");
      for (const id of d.remove) {
        if (release.includes(id)) continue;
        void this.#remove(w, byId.get(id)!);
      }
    }
    this.stats.batches++;
    this.stats.lastBatchMs = performance.now() - t0;
  }

  // ------------------------------------------------------------------ commands

  async #deploy(
    w: Workload,
    a: Pick<Allocation, "id" | "nodeId" | "slot"> & { workloadId: string },
    replaced: Allocation[],
    options: {
      /** Claimed for its node when it was committed (claimNewAllocations). */
      claimed?: boolean;
      /** Reconcile again once it has had time to become healthy (default true). */
      healthLook?: boolean;
    } = {},
  ): Promise<void> {
    this.#busy.add(a.id);
    try {
      // A stateful recreate: the old container leaves first (its volume stays).
      for (const old of replaced) await this.#remove(w, old, { keepVolumes: true });
      const credentials = await this.#openCredentials(w);
      const expanded = expandTemplate(w.spec, { workloadId: w.id, credentials });
      const spec = toContainerSpec(expanded, w.spec, { workloadId: w.id, allocationId: a.id });
      const command: Command = { action: "deploy", allocationId: a.id, workloadId: w.id, spec };
      const result = await this.#command(a.nodeId, command, this.options.deployTimeoutMs, () => {
        this.stats.commandsSent++;
        this.onDeploySent?.(a.id, w.id);
      }, options.claimed ?? false);
      await this.#onDeployResult(w, a, result, options.healthLook ?? true);
    } catch (err) {
      this.deps.log.error("deploy failed to run", { allocation_id: a.id, error: String(err) });
    } finally {
      this.#busy.delete(a.id);
    }
  }

  async #onDeployResult(
    w: Workload,
    a: Pick<Allocation, "id" | "nodeId" | "slot">,
    result: Result,
    healthLook: boolean,
  ): Promise<void> {
    const { db } = this.deps;
    if (result.ok) {
      const data = result.data as { ports?: Allocation["ports"] } | undefined;
      await this.#recordDeployed({
        allocationId: a.id,
        workloadId: w.id,
        nodeId: a.nodeId,
        slot: a.slot,
        ports: data?.ports ?? [],
        healthLook,
      });
      return;
    }
    const { code, message } = result.error;
    if (code === "node_disconnected" || code === "node_offline") {
      // Still pending: sent again when the node returns, or lost after the grace period.
      return;
    }
    const reason = `deploy failed on node ${this.#nodeName(a.nodeId)}: ${message}`;
    const max = this.options.maxDeployFailures;
    const failures = await db.transaction(async (tx) => {
      const n = await recordDeployFailure(
        tx,
        w.id,
        reason,
        max,
        w.canRollBack ? "scheduled" : "failed",
      );
      await updateAllocation(tx, a.id, { state: "failed", reason, attempt: true });
      return n;
    });
    await appendWorkloadEvents(db, [{
      workloadId: w.id,
      kind: "deploy_failed",
      message: `${reason} (${code})`,
      allocationId: a.id,
      nodeId: a.nodeId,
      // Rank counts only the failures that are the node's (not a missing image's).
      data: { code, attempt: failures, blame: deployBlame(code, message) },
    }]);
    this.deps.log.warn("deploy failed", {
      workload_id: w.id,
      allocation_id: a.id,
      node_id: a.nodeId,
      code,
      attempt: failures,
    });
    this.deps.workloadChanges?.touch([w.id]);
    const delay = Math.min(30_000, this.options.retryBaseMs * 2 ** Math.max(0, failures - 1));
    await this.enqueue([w.id], failures >= this.options.maxDeployFailures ? 1 : delay);
  }

  /**
   * A deploy that worked: stored together with the others that finish within a couple of
   * milliseconds (one UPDATE, one INSERT of events, one queue message now and one for the
   * health look later), instead of four round trips each. Resolves once stored.
   */
  #recordDeployed(d: Deployed): Promise<void> {
    this.#deployed.push(d);
    this.#deployedFlush ??= new Promise((resolve) => setTimeout(resolve, 2)).then(() =>
      this.#flushDeployed()
    );
    return this.#deployedFlush;
  }

  async #flushDeployed(): Promise<void> {
    const batch = this.#deployed;
    this.#deployed = [];
    this.#deployedFlush = null;
    const { db } = this.deps;
    await markAllocationsRunning(db, batch.map((d) => ({ id: d.allocationId, ports: d.ports })));
    await appendWorkloadEvents(
      db,
      batch.map((d) => ({
        workloadId: d.workloadId,
        kind: "deployed",
        message: `replica ${d.slot} started on node ${this.#nodeName(d.nodeId)}`,
        allocationId: d.allocationId,
        nodeId: d.nodeId,
      })),
    );
    const ids = [...new Set(batch.map((d) => d.workloadId))];
    this.deps.workloadChanges?.touch(ids);
    await this.enqueue(ids);
    // Look again once the new containers have had time to prove themselves healthy.
    const look = [...new Set(batch.filter((d) => d.healthLook).map((d) => d.workloadId))];
    if (look.length > 0) await this.enqueue(look, this.options.healthyAfterMs + 100);
  }

  async #simple(w: Workload, a: Allocation, action: "start" | "stop"): Promise<void> {
    this.#busy.add(a.id);
    try {
      const command: Command = action === "stop"
        ? { action: "stop", allocationId: a.id, timeoutSeconds: 10 }
        : { action: "start", allocationId: a.id };
      const result = await this.#command(a.nodeId, command, 60_000);
      if (result.ok || result.error.code === "no_such_container") {
        await updateAllocation(this.deps.db, a.id, {
          state: action === "stop" ? "stopped" : "running",
          reason: null,
        });
      } else {
        await appendWorkloadEvents(this.deps.db, [{
          workloadId: w.id,
          kind: `${action}_failed`,
          message: `${action} failed on node ${this.#nodeName(a.nodeId)}: ${result.error.message}`,
          allocationId: a.id,
          nodeId: a.nodeId,
        }]);
      }
      this.deps.workloadChanges?.touch([w.id]);
      await this.enqueue([w.id]);
    } finally {
      this.#busy.delete(a.id);
    }
  }

  async #remove(
    w: Pick<Workload, "id" | "desired">,
    a: Pick<Allocation, "id" | "nodeId" | "stateful">,
    options: { keepVolumes?: boolean } = {},
  ): Promise<void> {
    this.#busy.add(a.id);
    try {
      // Data volumes stay unless the workload itself is deleted.
      const volumes = !options.keepVolumes && (!a.stateful || w.desired === "deleted");
      const result = await this.#command(
        a.nodeId,
        { action: "remove", allocationId: a.id, volumes },
        120_000,
      );
      if (result.ok || result.error.code === "no_such_container") {
        await updateAllocation(this.deps.db, a.id, { state: "removed", desired: "removed" });
        await this.deps.db.query(
          `UPDATE node_containers SET state = 'removed', updated_at = now()
           WHERE allocation_id = $1`,
          [a.id],
        );
        this.#dirtyNodes.add(a.nodeId);
      } else {
        this.deps.log.warn("remove failed", {
          allocation_id: a.id,
          node_id: a.nodeId,
          error: result.error.message,
        });
      }
      this.deps.workloadChanges?.touch([w.id]);
      if (!options.keepVolumes) await this.enqueue([w.id]);
    } finally {
      this.#busy.delete(a.id);
    }
  }

  /** Send a command; a node that is not connected answers like a disconnect. */
  async #command(
    nodeId: string,
    command: Command,
    timeoutMs: number,
    onSent?: () => void,
    claimed = false,
  ): Promise<Result> {
    try {
      const pending = this.deps.agents.command(nodeId, command, { timeoutMs, claimed });
      onSent?.();
      return await pending;
    } catch (err) {
      if (err instanceof NodeUnavailableError) {
        return {
          type: "result",
          id: "local",
          ok: false,
          error: { code: "node_disconnected", message: err.message },
        };
      }
      return {
        type: "result",
        id: "local",
        ok: false,
        error: { code: "command_failed", message: String((err as Error).message ?? err) },
      };
    }
  }

  async #openCredentials(w: Workload): Promise<WorkloadCredentials | null> {
    if (!w.credentialsSealed) return null;
    if (this.#credentials.has(w.id)) return this.#credentials.get(w.id)!;
    const json = await open(this.deps.encryptionKey, w.credentialsSealed, `workload:${w.id}`);
    const creds = WorkloadCredentials.parse(JSON.parse(json));
    this.#credentials.set(w.id, creds);
    return creds;
  }

  // ------------------------------------------------------------------ node view and sweeps

  async #refreshNodes(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    if (this.#allNodesDirty) {
      this.#allNodesDirty = false;
      this.#dirtyNodes.clear();
      const records = await loadNodesForView(this.deps.db, null);
      for (const r of records) this.#nodeNames.set(r.id, r.name);
      await worker.nodes(records.map((r) => toNodeView(r, this.#leaving.has(r.id))));
      return;
    }
    if (this.#dirtyNodes.size === 0) return;
    const ids = [...this.#dirtyNodes];
    this.#dirtyNodes.clear();
    const records = await loadNodesForView(this.deps.db, ids);
    for (const r of records) this.#nodeNames.set(r.id, r.name);
    const found = new Set(records.map((r) => r.id));
    await worker.nodes(
      records.map((r) => toNodeView(r, this.#leaving.has(r.id))),
      ids.filter((id) => !found.has(id)),
    );
  }

  #onNodeChange(change: NodeChange): void {
    switch (change.kind) {
      case "metrics":
      case "containers":
        return;
      case "container":
        void this.#onContainer(change).catch((err) =>
          this.deps.log.warn("applying a container change failed", { error: String(err) })
        );
        return;
      case "status":
        this.#dirtyNodes.add(change.nodeId);
        if (change.status === "online") {
          void this.#nodeReturned(change.nodeId).catch((err) =>
            this.deps.log.warn("cleaning a returning node failed", {
              node_id: change.nodeId,
              error: String(err),
            })
          );
        }
        return;
      case "updated":
        this.#dirtyNodes.add(change.nodeId);
        // Drained or given new hours: look at once rather than at the next tick; new labels,
        // offer or hours may also let waiting workloads fit. Bursts share one look.
        this.#evacuationTimer ??= setTimeout(() => {
          this.#evacuationTimer = null;
          void this.#evacuationCheck();
          void this.#wakePending().catch((err) =>
            this.deps.log.warn("waking pending workloads failed", { error: String(err) })
          );
        }, 10);
        return;
      default:
        this.#dirtyNodes.add(change.nodeId);
        if (change.kind === "approval") {
          void this.#wakePending().catch((err) =>
            this.deps.log.warn("waking pending workloads failed", { error: String(err) })
          );
        }
    }
  }

  /** A node is back: resume its stateful allocations, remove containers nobody wants. */
  async #nodeReturned(nodeId: string): Promise<void> {
    const { db } = this.deps;
    const resumed = await resumeLostAllocations(db, nodeId);
    const stale = await staleContainers(db, nodeId);
    for (const allocationId of stale) {
      const a = await getAllocation(db, allocationId);
      const [w] = a ? await getWorkloadsForReconcile(db, [a.workloadId]) : [];
      this.deps.log.info("removing a stale container from a returning node", {
        node_id: nodeId,
        allocation_id: allocationId,
      });
      void this.#remove(
        { id: w?.id ?? a?.workloadId ?? allocationId, desired: w?.desired ?? "deleted" },
        { id: allocationId, nodeId, stateful: a?.stateful ?? false },
      );
    }
    const rows = await db.query(
      `SELECT DISTINCT workload_id FROM allocations WHERE node_id = $1 AND state <> 'removed'`,
      [nodeId],
    );
    await this.enqueue([...resumed, ...rows.map((r) => r.workload_id as string)]);
    await this.#wakePending();
  }

  async #onContainer(
    change: Extract<NodeChange, { kind: "container" }>,
  ): Promise<void> {
    if (change.state !== "exited" && change.state !== "dead") return;
    const a = await getAllocation(this.deps.db, change.allocationId);
    if (!a || a.desired !== "running" || a.state !== "running" || this.#busy.has(a.id)) return;
    const [w] = await getWorkloadsForReconcile(this.deps.db, [a.workloadId]);
    if (!w || w.desired !== "running") return;
    // Under every other policy Docker restarts the container itself.
    if (w.spec.restart !== "no") return;
    const reason = `container exited with code ${change.exitCode ?? "unknown"} on node ${
      a.nodeName ?? a.nodeId
    }`;
    const max = this.options.maxDeployFailures;
    const failures = await this.deps.db.transaction(async (tx) => {
      const n = await recordDeployFailure(
        tx,
        w.id,
        reason,
        max,
        w.canRollBack ? "scheduled" : "failed",
      );
      await updateAllocation(tx, a.id, { state: "failed", reason });
      return n;
    });
    await appendWorkloadEvents(this.deps.db, [{
      workloadId: w.id,
      kind: "exited",
      message: reason,
      allocationId: a.id,
      nodeId: a.nodeId,
      data: { exitCode: change.exitCode, failures },
    }]);
    this.deps.workloadChanges?.touch([w.id]);
    await this.enqueue([w.id]);
  }

  /** A node's name for messages, or its id when it is not known (yet). */
  #nodeName(id: string): string {
    return this.#nodeNames.get(id) ?? id;
  }

  /**
   * Which nodes are leaving now. Nodes that start or stop leaving are refreshed in the
   * scheduler's view (a leaving node takes no new work), and the workloads on every leaving
   * node are reconciled, which moves their stateless replicas off it.
   */
  async #evacuationCheck(): Promise<void> {
    if (this.#closed) return;
    try {
      const now = Date.now();
      const next = new Map<string, string>();
      for (const n of await listLeavingCandidates(this.deps.db)) {
        const reason = leavingReason(n, now, this.options.evacuationLeadMs);
        if (reason !== null) next.set(n.id, reason);
      }
      for (const id of new Set([...next.keys(), ...this.#leaving.keys()])) {
        if (next.get(id) !== this.#leaving.get(id)) this.#dirtyNodes.add(id);
      }
      const started = [...next.keys()].filter((id) => !this.#leaving.has(id));
      // Nodes that stopped leaving: their workloads are looked at once more, so a "moving"
      // reason clears (nothing else reconciles a running workload).
      const stopped = [...this.#leaving.keys()].filter((id) => !next.has(id));
      this.#leaving = next;
      for (const id of started) {
        this.deps.log.info("moving work off a leaving node", { node_id: id, reason: next.get(id) });
      }
      // Every leaving node each time: a move that found no room is tried again.
      const ids = await workloadsOnNodes(this.deps.db, [...next.keys(), ...stopped]);
      if (ids.length > 0) await this.enqueue(ids);
    } catch (err) {
      this.deps.log.warn("checking leaving nodes failed", { error: String(err) });
    }
  }

  /** Capacity may have appeared: workloads waiting for it try again. */
  async #wakePending(): Promise<void> {
    if (this.#closed) return;
    const rows = await this.deps.db.query(
      `SELECT id FROM workloads WHERE status = 'pending' AND desired = 'running' LIMIT 10000`,
    );
    if (rows.length > 0) await this.enqueue(rows.map((r) => r.id as string));
  }

  async #sweep(): Promise<void> {
    const old = performance.now() - RECONCILED_KEEP_MS;
    for (const [id, at] of this.#reconciledAt) {
      if (at < old) this.#reconciledAt.delete(id);
    }
    try {
      const ids = await workloadsToReconcile(this.deps.db, 10_000);
      if (ids.length > 0) await this.enqueue(ids);
    } catch (err) {
      this.deps.log.warn("reconciler sweep failed", { error: String(err) });
    }
  }

  async #lostSweep(): Promise<void> {
    try {
      const touched = await markLostAllocations(this.deps.db, this.options.lostGraceMs);
      if (touched.length > 0) {
        this.deps.log.info("allocations lost with their nodes", { workloads: touched.length });
        this.#allNodesDirty = true;
        await appendWorkloadEvents(
          this.deps.db,
          touched.map((id) => ({
            workloadId: id,
            kind: "lost",
            message: `a node was offline for more than ${
              Math.round(this.options.lostGraceMs / 1000)
            } s; its allocations are lost`,
          })),
        );
        this.deps.workloadChanges?.touch(touched);
        await this.enqueue(touched);
      }
    } catch (err) {
      this.deps.log.warn("lost-allocation sweep failed", { error: String(err) });
    }
  }
}
