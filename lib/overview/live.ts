/**
 * The overview for one caller (admins see everything; users their own workloads), and its live
 * stream: recomputed when nodes or workloads change (at most once per `minGapMs`) and on a slow
 * timer, sent only when something other than the time changed.
 */
import type { SSEStreamingApi } from "hono/streaming";
import type { Db } from "../../db/db.ts";
import * as store from "../../db/overview.ts";
import type { Overview } from "../api/admin_schemas.ts";
import type { Principal } from "../auth/principal.ts";
import type { Logger } from "../log.ts";
import { UNDELIVERED_PREFIX } from "../scheduling/orchestrator.ts";
import { buildOverview, OVERVIEW_ALERTS_PER_KIND, OVERVIEW_EVENTS } from "./summary.ts";

/** Most undelivered jobs counted (the alert says "100 or more" past that). */
const UNDELIVERED_COUNT_LIMIT = 100;

/** Read everything the overview shows and build it. */
export async function loadOverview(
  deps: { db: Db; kv: Deno.Kv },
  principal: Principal,
  now = new Date(),
): Promise<Overview> {
  const admin = principal.role === "admin";
  const ownerId = admin ? null : principal.userId;
  const limit = OVERVIEW_ALERTS_PER_KIND;
  const [nodeCounts, capacity, workloadCounts, workloadEvents, nodeEvents, offline, troubled] =
    await Promise.all([
      store.countNodes(deps.db),
      store.loadOnlineCapacity(deps.db),
      store.countWorkloads(deps.db, ownerId),
      store.recentWorkloadEvents(deps.db, { ownerId, limit: OVERVIEW_EVENTS }),
      admin ? store.recentNodeEvents(deps.db, OVERVIEW_EVENTS) : [],
      admin ? store.offlineNodes(deps.db, limit) : [],
      store.troubledWorkloads(deps.db, { ownerId, limit }),
    ]);
  let undeliveredJobs = 0;
  if (admin) {
    const iter = deps.kv.list({ prefix: [...UNDELIVERED_PREFIX] }, {
      limit: UNDELIVERED_COUNT_LIMIT,
    });
    for await (const _ of iter) undeliveredJobs++;
  }
  return buildOverview({
    admin,
    nodeCounts,
    capacity,
    workloadCounts,
    events: [...workloadEvents, ...nodeEvents],
    offlineNodes: offline,
    troubledWorkloads: troubled,
    undeliveredJobs,
    now,
  });
}

/** Anything the stream can listen to for "something changed". */
export interface ChangeSource {
  subscribe(fn: (change: { kind: string }) => void): () => void;
}

/** Timings of the overview stream; tests shorten them. */
export interface OverviewStreamOptions {
  /** Recompute at most this often after changes. */
  minGapMs?: number;
  /** Recompute at least this often (alerts and events without a change event). */
  refreshMs?: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  keepaliveMs?: number;
}

/**
 * Feed one dashboard: an `overview` event at once, then one whenever the overview changes,
 * until the client leaves or the server shuts down. Metrics heartbeats do not count as changes
 * (they change nothing the overview shows).
 */
export async function runOverviewStream(
  deps: { db: Db; kv: Deno.Kv; log: Logger; shutdown: AbortSignal; sources: ChangeSource[] },
  principal: Principal,
  stream: SSEStreamingApi,
  options: OverviewStreamOptions = {},
): Promise<void> {
  const minGapMs = options.minGapMs ?? 1000;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  let seq = 0;
  let last = "";
  let running = false;
  let again = false;
  let lastRun = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        lastRun = Date.now();
        const overview = await loadOverview(deps, principal);
        const { generatedAt: _, ...comparable } = overview;
        const key = JSON.stringify(comparable);
        if (key !== last && !stream.aborted && !stream.closed) {
          last = key;
          await stream.writeSSE({
            event: "overview",
            id: String(seq++),
            data: JSON.stringify(overview),
          });
        }
      } while (again);
    } catch (err) {
      deps.log.warn("overview stream ended by an error", { err });
      finish();
    } finally {
      running = false;
    }
  };
  // Changes come in bursts (a scheduling batch touches many workloads): one recompute per gap.
  const poke = () => {
    if (timer !== undefined) return;
    const wait = Math.max(0, lastRun + minGapMs - Date.now());
    timer = setTimeout(() => {
      timer = undefined;
      void run();
    }, wait);
  };
  const unsubscribes = deps.sources.map((s) =>
    s.subscribe((change) => {
      if (change.kind !== "metrics") poke();
    })
  );
  const refresh = setInterval(() => void run(), options.refreshMs ?? 5000);
  const keepalive = setInterval(
    () => void stream.write(": keepalive\n\n").catch(finish),
    options.keepaliveMs ?? 15_000,
  );
  stream.onAbort(finish);
  deps.shutdown.addEventListener("abort", finish, { once: true });
  if (deps.shutdown.aborted) finish();
  await run();
  try {
    await done;
  } finally {
    clearTimeout(timer);
    clearInterval(refresh);
    clearInterval(keepalive);
    for (const u of unsubscribes) u();
    deps.shutdown.removeEventListener("abort", finish);
  }
}
