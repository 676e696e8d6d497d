import type { SSEStreamingApi } from "hono/streaming";
import type { Db } from "../../db/db.ts";
import * as store from "../../db/workloads.ts";
import type { Principal } from "../auth/principal.ts";
import type { Logger } from "../log.ts";
import { coalescePerKey } from "../nodes/coalesce.ts";
import type { WorkloadChanges } from "./changes.ts";
import { workloadDto, type WorkloadView } from "./service.ts";

/** Options of a workload stream; tests shorten the intervals. */
export interface WorkloadStreamOptions {
  /** Changes within this many milliseconds go out together (the first one at once). */
  coalesceMs?: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  keepaliveMs?: number;
}

/** Most workloads a snapshot holds (the newest first), as `GET /api/v1/workloads` allows. */
export const SNAPSHOT_LIMIT = 1000;

/** Who watches, and what: one workload (`onlyId`) or every workload they may see. */
export interface WorkloadStreamViewer {
  principal: Principal;
  onlyId: string | null;
}

/**
 * Feed one dashboard client: a `snapshot` event with the workloads the viewer may see (users
 * their own, admins all), then a `workload` event with the fresh record for each change and
 * `deleted` ({id}) when one they saw is gone, until the client leaves or the server shuts down.
 * Changes are read in bulk once per window; a record that reads the same as the last one sent
 * is not sent again.
 */
export async function runWorkloadStream(
  deps: { db: Db; log: Logger; workloadChanges: WorkloadChanges; shutdown: AbortSignal },
  stream: SSEStreamingApi,
  viewer: WorkloadStreamViewer,
  options: WorkloadStreamOptions = {},
): Promise<void> {
  const { db, log, workloadChanges, shutdown } = deps;
  const { principal, onlyId } = viewer;
  const visible = (w: store.Workload) =>
    (principal.role === "admin" || w.ownerId === principal.userId) &&
    (onlyId === null || w.id === onlyId);
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  let seq = 0;
  const send = (event: string, data: string) => stream.writeSSE({ event, id: String(seq++), data });
  /** What the client has, by id: a hash of the last record sent. */
  const sent = new Map<string, number>();
  let dirty = new Set<string>();
  let gone = new Set<string>();

  // Sends run one after another so that a slow read cannot overtake a newer one.
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (step: () => Promise<void>) => {
    chain = chain.then(step).catch((err) => {
      log.warn("workload stream ended by an error", { err });
      finish();
    });
  };
  const sendView = async (v: WorkloadView) => {
    const json = JSON.stringify(workloadDto(v));
    const hash = fnv1a(json);
    if (sent.get(v.workload.id) === hash) return;
    sent.set(v.workload.id, hash);
    await send("workload", json);
  };
  const refresh = () =>
    enqueue(async () => {
      if (stream.aborted || stream.closed) return;
      const ids = [...dirty];
      const deleted = [...gone];
      dirty = new Set();
      gone = new Set();
      for (const id of deleted) {
        if (sent.delete(id)) await send("deleted", JSON.stringify({ id }));
      }
      if (ids.length === 0) return;
      const found = await store.getWorkloadsForReconcile(db, ids);
      const live = found.filter((w) => w.desired !== "deleted" && visible(w));
      const allocations = byWorkload(await store.listAllocations(db, live.map((w) => w.id)));
      for (const w of live) {
        await sendView({ workload: w, allocations: allocations.get(w.id) ?? [] });
      }
      const liveIds = new Set(live.map((w) => w.id));
      for (const id of ids) {
        if (!liveIds.has(id) && sent.delete(id)) await send("deleted", JSON.stringify({ id }));
      }
    });

  const coalescer = coalescePerKey(options.coalesceMs ?? 200, refresh);
  // Subscribe before reading the snapshot, so no change falls between the two.
  const unsubscribe = workloadChanges.subscribe((change) => {
    if (onlyId !== null && change.workloadId !== onlyId) return;
    if (change.kind === "deleted") {
      dirty.delete(change.workloadId);
      gone.add(change.workloadId);
    } else {
      gone.delete(change.workloadId);
      dirty.add(change.workloadId);
    }
    coalescer.push("all");
  });
  enqueue(async () => {
    const list = onlyId === null
      ? await store.listWorkloads(db, {
        ownerId: principal.role === "admin" ? null : principal.userId,
        limit: SNAPSHOT_LIMIT,
      })
      : (await store.getWorkloadsForReconcile(db, [onlyId])).filter((w) =>
        w.desired !== "deleted" && visible(w)
      );
    const allocations = byWorkload(await store.listAllocations(db, list.map((w) => w.id)));
    const dtos = list.map((w) =>
      workloadDto({ workload: w, allocations: allocations.get(w.id) ?? [] })
    );
    for (const dto of dtos) sent.set(dto.id, fnv1a(JSON.stringify(dto)));
    await send("snapshot", JSON.stringify({ workloads: dtos }));
  });
  const keepalive = setInterval(
    () => enqueue(() => stream.write(": keepalive\n\n").then(() => {})),
    options.keepaliveMs ?? 15_000,
  );
  stream.onAbort(finish);
  shutdown.addEventListener("abort", finish, { once: true });
  if (shutdown.aborted) finish();
  try {
    await done;
  } finally {
    clearInterval(keepalive);
    coalescer.close();
    unsubscribe();
    shutdown.removeEventListener("abort", finish);
  }
}

function byWorkload(allocations: store.Allocation[]): Map<string, store.Allocation[]> {
  const map = new Map<string, store.Allocation[]>();
  for (const a of allocations) {
    const list = map.get(a.workloadId);
    if (list) list.push(a);
    else map.set(a.workloadId, [a]);
  }
  return map;
}

/** FNV-1a, 32 bits: enough to tell "same record as last time" without keeping the record. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
