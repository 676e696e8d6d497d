/**
 * The scheduler worker (DESIGN §1): a `Worker` thread that keeps the cluster view in memory and
 * turns batches of placement requests into placements. It never does I/O; the main thread
 * (lib/scheduling/worker_client.ts) feeds it node views and commits what it decides.
 */
/// <reference lib="deno.worker" />
import { ClusterView } from "./cluster_view.ts";
import { planPlacements } from "./place.ts";
import type { WorkerReply, WorkerRequest } from "./worker_protocol.ts";

const view = new ClusterView();

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const msg = event.data;
  let reply: WorkerReply;
  try {
    switch (msg.type) {
      case "nodes":
        for (const id of msg.remove) view.remove(id);
        for (const node of msg.upsert) view.upsert(node);
        reply = { type: "ok", id: msg.id };
        break;
      case "plan": {
        const t0 = performance.now();
        const placements = planPlacements(view, msg.requests, {
          now: new Date(msg.now),
          seed: msg.seed,
        });
        reply = { type: "planned", id: msg.id, placements, ms: performance.now() - t0 };
        break;
      }
    }
  } catch (err) {
    reply = { type: "error", id: msg.id, message: String((err as Error)?.stack ?? err) };
  }
  self.postMessage(reply);
};
