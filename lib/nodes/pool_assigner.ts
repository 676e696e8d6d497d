/**
 * Automatic pool membership: puts every node not pinned by an admin into the pool whose
 * criteria it matches best (choosePool in pool_criteria.ts). It re-evaluates a node when it
 * joins, when its agent says hello (labels and capabilities arrive with it) and when anything
 * else about it changes; and every node when a pool is created, changed or deleted.
 *
 * Runs are serialised: requests that arrive while a run is in progress are coalesced into the
 * next one, so a burst of agents connecting costs a few runs, not one per node.
 */
import type { Db } from "../../db/db.ts";
import { appendAudit } from "../../db/audit_log.ts";
import { assignNodePool, listAssignableNodes, listPoolCriteria } from "../../db/pools.ts";
import type { Logger } from "../log.ts";
import type { NodeChange, NodeChanges } from "./changes.ts";
import { choosePool } from "./pool_criteria.ts";

/** The running assigner. */
export interface PoolAssigner {
  /** Re-evaluate these nodes; resolves with how many moved once a run that saw them ends. */
  assignNodes(ids: readonly string[]): Promise<number>;
  /** Re-evaluate every unpinned node; resolves with how many moved. */
  assignAll(): Promise<number>;
  /** Resolves when no run is in progress or queued. */
  idle(): Promise<void>;
  /** Stop listening; queued requests resolve with 0. Await `idle()` before closing the DB. */
  stop(): void;
}

/** Whether a node change may have changed what criteria see of the node. */
function concernsMembership(change: NodeChange): boolean {
  return change.kind === "joined" || change.kind === "updated" ||
    (change.kind === "status" && change.status === "online");
}

/** Start re-evaluating pool membership on node changes. */
export function startPoolAssigner(
  deps: { db: Db; log: Logger; nodeChanges: NodeChanges },
): PoolAssigner {
  const { db, log, nodeChanges } = deps;
  let all = false;
  let ids = new Set<string>();
  let waiters: ((moved: number) => void)[] = [];
  let running: Promise<void> | null = null;
  let stopped = false;

  async function run(batch: { all: boolean; ids: string[] }): Promise<number> {
    const pools = await listPoolCriteria(db);
    const nodes = await listAssignableNodes(db, batch.all ? null : batch.ids);
    let moved = 0;
    for (const node of nodes) {
      if (stopped) break;
      const target = choosePool(node, pools, node.homePoolId);
      if (target.poolId === node.poolId) continue;
      const done = await db.transaction(async (tx) => {
        if (!(await assignNodePool(tx, node.id, { from: node.poolId, to: target.poolId }))) {
          return false;
        }
        await appendAudit(tx, {
          actorId: null,
          actor: "system",
          action: "node.pool_assign",
          outcome: "success",
          targetType: "node",
          targetId: node.id,
          details: {
            name: node.name,
            from: node.poolId,
            to: target.poolId,
            matched: target.matched,
          },
        });
        return true;
      });
      if (!done) continue;
      moved++;
      log.info("node moved by pool criteria", {
        node_id: node.id,
        from: node.poolId,
        to: target.poolId,
        matched: target.matched,
      });
      nodeChanges.emit({ kind: "updated", nodeId: node.id });
    }
    return moved;
  }

  async function loop(): Promise<void> {
    // Start after the caller's synchronous burst (and after `running` is assigned).
    await Promise.resolve();
    // Checking and clearing `running` happen with no await in between, so a request is either
    // seen by this loop or starts a new one.
    while (!stopped && waiters.length > 0) {
      const batch = { all, ids: [...ids] };
      const ws = waiters;
      all = false;
      ids = new Set();
      waiters = [];
      let moved = 0;
      try {
        if (batch.all || batch.ids.length > 0) moved = await run(batch);
      } catch (err) {
        // The next change or pool edit tries again; nothing is lost but time.
        log.error("pool assignment failed", { error: String(err), all: batch.all });
      }
      for (const w of ws) w(moved);
    }
    running = null;
    if (stopped) flush();
  }

  function flush(): void {
    const ws = waiters;
    waiters = [];
    for (const w of ws) w(0);
  }

  function request(): Promise<number> {
    if (stopped) return Promise.resolve(0);
    const done = new Promise<number>((resolve) => waiters.push(resolve));
    running ??= loop();
    return done;
  }

  const unsubscribe = nodeChanges.subscribe((change) => {
    if (!concernsMembership(change)) return;
    ids.add(change.nodeId);
    void request();
  });

  return {
    assignNodes(nodeIds) {
      for (const id of nodeIds) ids.add(id);
      return request();
    },
    assignAll() {
      all = true;
      return request();
    },
    async idle() {
      while (running) await running;
    },
    stop() {
      stopped = true;
      unsubscribe();
      if (!running) flush();
    },
  };
}
