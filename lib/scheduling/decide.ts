/**
 * What to do about one workload (pure): given its desired state and its allocations, the
 * actions that move actual toward desired, and the status to show. The orchestrator does the
 * I/O; this decides, so every rule below is tested without a database or a node.
 *
 * Rules:
 * - Each replica is a slot 0…replicas-1 with at most one live allocation of the current
 *   generation; slots beyond `replicas` are removed.
 * - A stateless slot whose allocation is lost or failed gets a new allocation wherever the
 *   planner picks. A stateful slot is only ever placed again on the node holding its data; if
 *   that node is lost, the workload is `lost` and waits for recovery (never two copies).
 * - A new generation (PATCH, restart) rolls slot by slot: stateless slots start the new
 *   container first and give up the old one once the new one has run for `healthyAfterMs`;
 *   stateful slots are recreated on the same node (old container removed, volume kept).
 * - After `maxDeployFailures` failed deploys the change is rolled back to the previous spec
 *   when there is one, else the workload is `failed` with the last reason.
 * - A stateless replica on a leaving node (drained, or its computation hours ending) gets a
 *   successor elsewhere first and is given up once the successor is healthy; stateful ones
 *   stay with their data.
 */
import type { Allocation, Workload, WorkloadStatus } from "../../db/workloads.ts";
import { isStateful } from "../workloads/templates.ts";

/** Knobs of the decisions (the orchestrator passes its configuration). */
export interface DecideOptions {
  now: number;
  healthyAfterMs: number;
  maxDeployFailures: number;
  nodeOnline(nodeId: string): boolean;
  /** True while a command for the allocation is on its way. */
  busy(allocationId: string): boolean;
  /** Why a node is leaving (drained, or its computation hours end soon), or null. */
  leaving(nodeId: string): string | null;
}

/** A new allocation to place. */
export interface PlaceAction {
  slot: number;
  /** Stateful slots go back to the node that holds their data. */
  pinnedNodeId: string | null;
  /** Allocations given up in the same commit (a stateful recreate). */
  replaces: string[];
}

/** Everything to do for a workload now. */
export interface Decision {
  place: PlaceAction[];
  /** Pending allocations whose deploy must be sent (again). */
  deploy: string[];
  start: string[];
  stop: string[];
  /** Allocations to give up (desired → removed). */
  giveUp: { id: string; reason: string }[];
  /** Given-up allocations whose containers must be removed from their (online) nodes. */
  remove: string[];
  /** Given-up allocations on offline nodes: marked removed now, cleaned when the node returns. */
  forget: string[];
  /** Roll the spec back (too many failed deploys of a change). */
  rollBack: boolean;
  /** Stateless replicas being moved off leaving nodes, with why. */
  moving: { allocationId: string; reason: string }[];
  /** The workload row can go (deleted, nothing left on any node). */
  purge: boolean;
  status: WorkloadStatus;
  reason: string | null;
}

const LIVE_STATES = new Set(["pending", "running", "stopped"]);

/** True when the allocation holds (or is about to hold) a container the workload wants. */
function isLive(a: Allocation): boolean {
  return a.desired !== "removed" && LIVE_STATES.has(a.state);
}

function isHealthy(a: Allocation, opts: DecideOptions): boolean {
  return a.state === "running" && a.containerState === "running" &&
    opts.now - a.updatedAt.getTime() >= opts.healthyAfterMs;
}

/** Decide for one workload. `allocations` excludes those already removed. */
export function decide(
  w: Workload,
  allocations: readonly Allocation[],
  opts: DecideOptions,
): Decision {
  const d: Decision = {
    place: [],
    deploy: [],
    start: [],
    stop: [],
    giveUp: [],
    remove: [],
    forget: [],
    rollBack: false,
    moving: [],
    purge: false,
    status: w.status,
    reason: w.statusReason,
  };
  const given = new Set<string>();
  const giveUp = (a: Allocation, reason: string) => {
    if (given.has(a.id)) return;
    given.add(a.id);
    if (a.desired !== "removed") d.giveUp.push({ id: a.id, reason });
  };

  if (w.desired === "deleted") {
    for (const a of allocations) giveUp(a, "workload deleted");
  } else {
    for (const a of allocations) {
      // Given up earlier (a crash may have come between that and the removal): finish it.
      if (a.desired === "removed") given.add(a.id);
      else if (a.slot >= w.spec.replicas) giveUp(a, `scaled down to ${w.spec.replicas}`);
      else if (a.state === "failed") giveUp(a, a.reason ?? "failed");
      else if (a.state === "lost" && !a.stateful) giveUp(a, a.reason ?? "node lost");
    }
  }

  const failedOut = w.deployFailures >= opts.maxDeployFailures;
  if (w.desired === "running" && failedOut && w.canRollBack) d.rollBack = true;

  let running = 0;
  let lostStateful: Allocation | null = null;
  let updating = false;
  if (w.desired === "running" && !d.rollBack) {
    for (let slot = 0; slot < w.spec.replicas; slot++) {
      const mine = allocations.filter((a) => a.slot === slot && !given.has(a.id));
      const live = mine.filter(isLive);
      const current = live.filter((a) => a.generation === w.generation);
      const old = live.filter((a) => a.generation < w.generation);
      const lost = mine.find((a) => a.state === "lost" && a.stateful && a.desired !== "removed");
      if (lost) {
        lostStateful ??= lost;
        continue;
      }
      for (const a of current) {
        if (a.state === "pending" && !opts.busy(a.id) && opts.nodeOnline(a.nodeId)) {
          d.deploy.push(a.id);
        } else if (a.state === "stopped" && !opts.busy(a.id) && opts.nodeOnline(a.nodeId)) {
          d.start.push(a.id);
        }
      }
      if (current.some((a) => a.state === "running")) running++;
      else if (old.some((a) => a.state === "running")) running++;
      if (current.length === 0) {
        if (failedOut) continue;
        // The node holding this slot's data: its latest allocation's node.
        const stateful = isStateful(w.spec);
        const latest = mine.filter((a) => a.state !== "lost").at(-1) ??
          allocations.filter((a) => a.slot === slot).at(-1);
        if (stateful && old.length > 0) {
          updating = true;
          d.place.push({ slot, pinnedNodeId: old[0].nodeId, replaces: old.map((a) => a.id) });
          for (const a of old) given.add(a.id);
        } else if (stateful && latest) {
          d.place.push({ slot, pinnedNodeId: latest.nodeId, replaces: [] });
        } else {
          if (old.length > 0) updating = true;
          d.place.push({ slot, pinnedNodeId: null, replaces: [] });
        }
      } else if (old.length > 0) {
        updating = true;
        if (current.some((a) => isHealthy(a, opts))) {
          for (const a of old) giveUp(a, `replaced by generation ${w.generation}`);
        }
      } else {
        // Stateless replicas on a leaving node get a successor elsewhere first; they are given
        // up once it is healthy. Stateful ones stay with their data.
        const departing = current.flatMap((a) => {
          const reason = a.stateful ? null : opts.leaving(a.nodeId);
          return reason === null ? [] : [{ a, reason }];
        });
        if (departing.length > 0) {
          const staying = current.filter((a) => !departing.some((x) => x.a === a));
          for (const { a, reason } of departing) d.moving.push({ allocationId: a.id, reason });
          if (staying.length === 0 && !failedOut) {
            d.place.push({ slot, pinnedNodeId: null, replaces: [] });
          } else if (staying.some((a) => isHealthy(a, opts))) {
            for (const { a, reason } of departing) giveUp(a, `moved to another node: ${reason}`);
          }
        }
      }
    }
  } else if (w.desired === "stopped") {
    for (const a of allocations) {
      if (!isLive(a) || given.has(a.id)) continue;
      if ((a.state === "running" || a.state === "pending") && !opts.busy(a.id)) {
        if (opts.nodeOnline(a.nodeId)) d.stop.push(a.id);
      }
    }
  }

  // Given-up allocations leave their nodes: removed now where the node is online, forgotten
  // (cleaned up when it returns) where it is not.
  const byId = new Map(allocations.map((a) => [a.id, a]));
  for (const id of given) {
    const a = byId.get(id);
    if (!a || a.state === "removed" || opts.busy(id)) continue;
    if (opts.nodeOnline(a.nodeId) && a.state !== "lost") d.remove.push(id);
    else d.forget.push(id);
  }
  for (const p of d.place) {
    for (const id of p.replaces) {
      if (!d.remove.includes(id) && !d.forget.includes(id)) {
        const a = byId.get(id);
        if (a && opts.nodeOnline(a.nodeId)) d.remove.push(id);
        else d.forget.push(id);
      }
    }
  }

  // Status.
  if (w.desired === "deleted") {
    d.purge = allocations.every((a) => a.state === "removed" || given.has(a.id)) &&
      d.remove.length === 0;
    return d;
  }
  if (w.desired === "stopped") {
    const stillUp = allocations.some((a) =>
      isLive(a) && !given.has(a.id) && (a.state === "running" || a.state === "pending")
    );
    d.status = stillUp ? "scheduled" : "stopped";
    d.reason = stillUp ? "stopping" : "stopped by its owner";
    return d;
  }
  if (d.rollBack) {
    d.status = "scheduled";
    d.reason = `rolling back: ${w.statusReason ?? "the change never became healthy"}`;
    return d;
  }
  if (failedOut && running === 0) {
    d.status = "failed";
    d.reason = w.statusReason ?? "deploys kept failing";
  } else if (lostStateful) {
    d.status = "lost";
    d.reason = `its stateful allocation on ${
      lostStateful.nodeName ?? lostStateful.nodeId
    } is lost (${lostStateful.reason ?? "node offline"}); the data needs recovery`;
  } else if (running >= w.spec.replicas && !updating && d.moving.length > 0) {
    d.status = "running";
    const n = d.moving.length;
    d.reason = `moving ${n} replica${n === 1 ? "" : "s"}: ${d.moving[0].reason}`;
  } else if (running >= w.spec.replicas && !updating && d.place.length === 0) {
    d.status = "running";
    d.reason = null;
  } else if (w.status === "pending" && w.unplaced && d.place.length > 0) {
    // Still waiting for capacity: keep the per-filter explanation.
    d.status = "pending";
  } else {
    d.status = "scheduled";
    d.reason = updating
      ? `updating to generation ${w.generation}`
      : running > 0
      ? `${running} of ${w.spec.replicas} replicas running`
      : w.statusReason;
  }
  return d;
}
