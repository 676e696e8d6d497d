import type { Db } from "../db/db.ts";
import type { Logger } from "./log.ts";

/** A snapshot of the control plane's health, as the API and the dashboard show it. */
export interface SystemStatus {
  version: string;
  time: string;
  uptimeSeconds: number;
  database: { kind: "pglite" | "postgres"; ok: boolean; latencyMs: number | null };
  kv: { ok: boolean; latencyMs: number | null };
}

/** Measures health on demand and pushes it to live subscribers on one shared timer. */
export interface StatusHub {
  /** Measure now. */
  snapshot(): Promise<SystemStatus>;
  /** Receive a snapshot every interval until the returned function is called. */
  subscribe(listener: (status: SystemStatus) => void): () => void;
  /** Stop the timer (shutdown). */
  close(): void;
}

async function timed(
  fn: () => Promise<unknown>,
): Promise<{ ok: boolean; latencyMs: number | null }> {
  const t0 = performance.now();
  try {
    await fn();
    return { ok: true, latencyMs: Math.round((performance.now() - t0) * 100) / 100 };
  } catch {
    return { ok: false, latencyMs: null };
  }
}

/** Create the hub. The timer runs only while someone listens. */
export function createStatusHub(
  deps: { db: Db; kv: Deno.Kv; log: Logger; version: string; startedAt: Date },
  options: { intervalMs?: number } = {},
): StatusHub {
  const listeners = new Set<(s: SystemStatus) => void>();
  let timer: ReturnType<typeof setInterval> | undefined;

  async function snapshot(): Promise<SystemStatus> {
    const [database, kv] = await Promise.all([
      timed(() => deps.db.query("SELECT 1")),
      timed(() => deps.kv.get(["health"])),
    ]);
    const now = new Date();
    return {
      version: deps.version,
      time: now.toISOString(),
      uptimeSeconds: Math.floor((now.getTime() - deps.startedAt.getTime()) / 1000),
      database: { kind: deps.db.kind, ...database },
      kv,
    };
  }

  async function tick() {
    const status = await snapshot();
    for (const listener of listeners) {
      try {
        listener(status);
      } catch (err) {
        deps.log.warn("status listener failed", { err });
      }
    }
  }

  return {
    snapshot,
    subscribe(listener) {
      listeners.add(listener);
      timer ??= setInterval(() => void tick(), options.intervalMs ?? 2000);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer !== undefined) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    close() {
      listeners.clear();
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}
