/** The timer functions a coalescer uses; tests pass fakes. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

const REAL_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

/** Per-key rate limiting of a flush: see coalescePerKey. */
export interface Coalescer {
  /** Note that `key` changed. */
  push(key: string): void;
  /** Cancel pending flushes. */
  close(): void;
}

/**
 * Call `flush(key)` at once for the first change of a key, then at most once per `windowMs`
 * while changes keep coming: changes inside a window collapse into one flush at its end. The
 * first change is not delayed, and the last one is never lost.
 */
export function coalescePerKey(
  windowMs: number,
  flush: (key: string) => void,
  timers: Timers = REAL_TIMERS,
): Coalescer {
  const windows = new Map<string, { dirty: boolean; timer: unknown }>();

  function open(key: string) {
    const entry: { dirty: boolean; timer: unknown } = { dirty: false, timer: undefined };
    const tick = () => {
      if (!entry.dirty) {
        windows.delete(key);
        return;
      }
      entry.dirty = false;
      flush(key);
      entry.timer = timers.setTimeout(tick, windowMs);
    };
    entry.timer = timers.setTimeout(tick, windowMs);
    windows.set(key, entry);
  }

  return {
    push(key) {
      const entry = windows.get(key);
      if (entry) {
        entry.dirty = true;
        return;
      }
      flush(key);
      open(key);
    },
    close() {
      for (const entry of windows.values()) timers.clearTimeout(entry.timer);
      windows.clear();
    },
  };
}
