// Stats (one-shot and streaming) and the /events stream.

import { containerPath } from "./containers.ts";
import { daemonDown, DockerError } from "./errors.ts";
import { unixTimeParam } from "./logs.ts";
import { readStats, type StatsReading, withBaseline } from "./stats.ts";
import { JsonStreamParser } from "./streams.ts";
import { filtersParam, labelFilter, readChunks, type Transport } from "./transport.ts";
import type { DockerEvent, StatsSample } from "./types.ts";

/** The last stats sample seen per container, the baseline for the next one's CPU %. */
export class StatsBaselines {
  readonly #samples = new Map<string, StatsSample>();
  // Bounded so a long-running agent that never calls forget() still uses constant memory.
  constructor(readonly max = 1024) {}

  /** The last sample recorded for a container. */
  get(id: string): StatsSample | undefined {
    return this.#samples.get(id);
  }

  /** Record a container's latest sample. */
  set(id: string, sample: StatsSample): void {
    this.#samples.delete(id);
    this.#samples.set(id, sample);
    if (this.#samples.size > this.max) {
      this.#samples.delete(this.#samples.keys().next().value as string);
    }
  }

  /** Drop a container (it was removed). */
  forget(id: string): void {
    this.#samples.delete(id);
  }
}

/**
 * GET /containers/{id}/stats?stream=false&one-shot=true. One-shot samples come without a
 * baseline, so the previous sample of the same container (if any) becomes `precpu_stats` and
 * `cpuPercent` is computed against it; the first call for a container has cpuPercent null.
 */
export async function containerStats(
  t: Transport,
  baselines: StatsBaselines,
  id: string,
): Promise<StatsReading> {
  const raw = await t.call<StatsSample>("GET", containerPath(id, "/stats"), {
    query: { stream: false, "one-shot": true },
  });
  if (!raw) throw new DockerError("server_error", `Docker sent no stats for container ${id}`);
  const previous = baselines.get(id);
  const sample = withBaseline(raw, previous);
  // Samples closer together than the host's CPU accounting tick carry the same system usage;
  // keep the older baseline then, so callers sampling at once (a heartbeat and a stats command)
  // both get a CPU figure.
  if (
    !previous ||
    (raw.cpu_stats?.system_cpu_usage ?? 0) > (previous.cpu_stats?.system_cpu_usage ?? 0) ||
    (raw.cpu_stats?.cpu_usage?.total_usage ?? 0) <
      (previous.cpu_stats?.cpu_usage?.total_usage ?? 0)
  ) {
    baselines.set(id, raw);
  }
  return readStats(sample);
}

/**
 * GET /containers/{id}/stats?stream=true: about one sample a second until the signal aborts or
 * the container goes away. Samples without a CPU baseline (the first one) are skipped, so every
 * yielded reading has a number for cpuPercent; a container that is not running reads 0.
 */
export async function* containerStatsStream(
  t: Transport,
  baselines: StatsBaselines,
  id: string,
  opts: { signal?: AbortSignal } = {},
): AsyncGenerator<StatsReading & { cpuPercent: number }, void, undefined> {
  const res = await t.openStream("GET", containerPath(id, "/stats"), {
    query: { stream: true },
    signal: opts.signal,
  });
  if (!res) return;
  const parser = new JsonStreamParser<StatsSample>();
  for await (const chunk of readChunks(res, t.target, opts.signal)) {
    for (const raw of parser.push(chunk)) {
      const reading = readStats(withBaseline(raw, baselines.get(id)));
      baselines.set(id, raw);
      if (reading.cpuPercent !== null) {
        yield reading as StatsReading & { cpuPercent: number };
      } else if (!raw.cpu_stats?.system_cpu_usage) {
        // Docker keeps streaming empty samples for a container that is not running: it uses no CPU.
        yield { ...reading, cpuPercent: 0 };
      }
    }
  }
}

/** Options of the events stream. */
export interface EventOptions {
  labels?: Record<string, string | true>;
  /** Event types, e.g. ["container"]. */
  type?: string[];
  /** Also replay events since this Unix time in seconds (fractions allowed). */
  since?: number;
  /** Stop at this Unix time; the stream then ends normally. */
  until?: number;
  signal?: AbortSignal;
}

/**
 * GET /events. Without `until` the stream only ends when the signal aborts (quietly) or the
 * daemon goes away, which throws DockerDaemonDown rather than looking like a quiet stream.
 */
export async function* events(
  t: Transport,
  opts: EventOptions = {},
): AsyncGenerator<DockerEvent, void, undefined> {
  const filters = filtersParam({ label: labelFilter(opts.labels), type: opts.type });
  const res = await t.openStream("GET", "/events", {
    query: { filters, since: unixTimeParam(opts.since), until: unixTimeParam(opts.until) },
    signal: opts.signal,
  });
  if (!res) return;
  const parser = new JsonStreamParser<DockerEvent>();
  for await (const chunk of readChunks(res, t.target, opts.signal)) {
    yield* parser.push(chunk);
  }
  if (opts.signal?.aborted || opts.until !== undefined) return;
  throw daemonDown(t.target.label, "the event stream ended (the daemon stopped or restarted)");
}
