/** Messages between the main thread and the scheduler worker (structured-cloned, typed). */
import type { NodeView, Placement, PlacementRequest } from "./types.ts";

/** Main thread → worker. */
export type WorkerRequest =
  | { type: "nodes"; id: number; upsert: NodeView[]; remove: string[] }
  | { type: "plan"; id: number; requests: PlacementRequest[]; now: number; seed: number };

/** Worker → main thread; `id` answers the request with the same id. */
export type WorkerReply =
  | { type: "ok"; id: number }
  | { type: "planned"; id: number; placements: Placement[]; ms: number }
  | { type: "error"; id: number; message: string };
