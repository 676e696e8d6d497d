/**
 * The main thread's handle on the scheduler worker: send node views, ask for placements. One
 * worker per control plane; requests are answered in order.
 */
import type { NodeView, Placement, PlacementRequest } from "../../scheduler/types.ts";
import type { WorkerReply, WorkerRequest } from "../../scheduler/worker_protocol.ts";

type Pending = { resolve: (reply: WorkerReply) => void; reject: (err: Error) => void };

/** A running scheduler worker. */
export class SchedulerWorker {
  #worker: Worker;
  #next = 1;
  #pending = new Map<number, Pending>();
  #closed = false;

  constructor() {
    this.#worker = new Worker(new URL("../../scheduler/worker.ts", import.meta.url), {
      type: "module",
    });
    this.#worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const pending = this.#pending.get(event.data.id);
      if (!pending) return;
      this.#pending.delete(event.data.id);
      pending.resolve(event.data);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      const err = new Error(`The scheduler worker failed: ${event.message}`);
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
  }

  /** Add or replace node views, and drop removed nodes. */
  async nodes(upsert: NodeView[], remove: string[] = []): Promise<void> {
    if (upsert.length === 0 && remove.length === 0) return;
    await this.#send({ type: "nodes", id: 0, upsert, remove });
  }

  /** Place the requests in order against the worker's view. */
  async plan(
    requests: PlacementRequest[],
    now: Date,
    seed: number,
  ): Promise<{ placements: Placement[]; ms: number }> {
    if (requests.length === 0) return { placements: [], ms: 0 };
    const reply = await this.#send({ type: "plan", id: 0, requests, now: now.getTime(), seed });
    if (reply.type !== "planned") throw new Error("The scheduler worker answered out of turn");
    return { placements: reply.placements, ms: reply.ms };
  }

  /** Stop the worker; pending requests fail. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#worker.terminate();
    const err = new Error("The scheduler worker was stopped");
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  #send(msg: WorkerRequest): Promise<WorkerReply> {
    if (this.#closed) return Promise.reject(new Error("The scheduler worker was stopped"));
    const id = this.#next++;
    return new Promise<WorkerReply>((resolve, reject) => {
      this.#pending.set(id, {
        resolve: (reply) =>
          reply.type === "error"
            ? reject(new Error(`The scheduler worker failed: ${reply.message}`))
            : resolve(reply),
        reject,
      });
      this.#worker.postMessage({ ...msg, id });
    });
  }
}
