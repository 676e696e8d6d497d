/**
 * An in-process bus of workload changes: the workload service and the orchestrator publish, the
 * dashboard's SSE streams subscribe. Process memory is not the source of truth (DESIGN §7): every
 * change is written to Postgres before it is published, and a change carries only the id, so a
 * subscriber reads the record itself.
 */

/** What changed: a workload (read it again), or a workload that is gone. */
export type WorkloadChange =
  | { kind: "workload"; workloadId: string }
  | { kind: "deleted"; workloadId: string };

/** Publish and subscribe to workload changes. */
export interface WorkloadChanges {
  emit(change: WorkloadChange): void;
  /**
   * Note that workloads changed, cheaply: ids collect in a set that is published as `workload`
   * changes on a short timer, so hot paths (a scheduling batch, a burst of deploy results) pay
   * one set insert per id. Nothing is collected while nobody listens.
   */
  touch(workloadIds: Iterable<string>): void;
  /** Call `fn` for every later change; returns the unsubscribe function. */
  subscribe(fn: (change: WorkloadChange) => void): () => void;
  /** Drop collected ids and stop the timer. */
  close(): void;
}

/** How long touched ids collect before they are published. */
export const TOUCH_FLUSH_MS = 20;

/** A WorkloadChanges bus; a subscriber that throws is passed to `onError` and skipped. */
export function createWorkloadChanges(
  onError: (err: unknown) => void = () => {},
  flushMs = TOUCH_FLUSH_MS,
): WorkloadChanges {
  const subscribers = new Set<(change: WorkloadChange) => void>();
  let touched = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | null = null;

  function emit(change: WorkloadChange) {
    for (const fn of subscribers) {
      try {
        fn(change);
      } catch (err) {
        onError(err);
      }
    }
  }

  function flush() {
    timer = null;
    const ids = touched;
    touched = new Set();
    for (const workloadId of ids) emit({ kind: "workload", workloadId });
  }

  return {
    emit,
    touch(workloadIds) {
      if (subscribers.size === 0) return;
      for (const id of workloadIds) touched.add(id);
      if (touched.size > 0) timer ??= setTimeout(flush, flushMs);
    },
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    close() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      touched.clear();
      subscribers.clear();
    },
  };
}
