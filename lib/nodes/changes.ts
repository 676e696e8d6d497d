/**
 * An in-process bus of node changes: the REST API and the agent sessions publish, the agent hub
 * (to wake or close sessions) and the dashboard's SSE stream subscribe. Process memory is not the
 * source of truth (DESIGN §7): every change is written to Postgres before it is published.
 */

/** What changed about a node. */
export type NodeChange =
  | { kind: "joined"; nodeId: string }
  | {
    kind: "approval";
    nodeId: string;
    approval: "pending" | "approved" | "rejected" | "revoked";
    reason: string | null;
  }
  | { kind: "status"; nodeId: string; status: "online" | "offline"; dockerHealthy: boolean | null }
  | { kind: "metrics"; nodeId: string }
  | { kind: "containers"; nodeId: string }
  /** One container's state, as its node reported it. */
  | {
    kind: "container";
    nodeId: string;
    allocationId: string;
    state: string;
    exitCode: number | null;
  }
  | { kind: "updated"; nodeId: string }
  | { kind: "deleted"; nodeId: string };

/** Publish and subscribe to node changes. */
export interface NodeChanges {
  emit(change: NodeChange): void;
  /** Call `fn` for every later change; returns the unsubscribe function. */
  subscribe(fn: (change: NodeChange) => void): () => void;
}

/** A NodeChanges bus; a subscriber that throws is logged by the caller's `onError` and skipped. */
export function createNodeChanges(onError: (err: unknown) => void = () => {}): NodeChanges {
  const subscribers = new Set<(change: NodeChange) => void>();
  return {
    emit(change) {
      for (const fn of subscribers) {
        try {
          fn(change);
        } catch (err) {
          onError(err);
        }
      }
    },
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
  };
}
