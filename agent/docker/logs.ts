// GET /containers/{id}/logs as an async iterable of lines.

import { containerInspect, containerPath } from "./containers.ts";
import { DockerError } from "./errors.ts";
import { FrameDemuxer, type LogLine, LogLineDecoder } from "./streams.ts";
import { readChunks, type Transport } from "./transport.ts";

/** Options of containerLogs. */
export interface LogOptions {
  /** Only the last N lines (default: all). */
  tail?: number;
  /** Only lines since this Unix time in seconds (fractions allowed). */
  since?: number;
  /** Keep the stream open and yield new lines as they are written. */
  follow?: boolean;
  /** Ask Docker for timestamps; they come back in `ts`, not in `text`. */
  timestamps?: boolean;
  /** The container's Config.Tty; looked up when not given (it decides the framing). */
  tty?: boolean;
  signal?: AbortSignal;
}

/** Format Unix seconds the way Docker's `since`/`until` parameters read them (`sec.nanos`). */
export function unixTimeParam(seconds: number | undefined): string | undefined {
  if (seconds === undefined) return undefined;
  let sec = Math.floor(seconds);
  let nanos = Math.round((seconds - sec) * 1e9);
  if (nanos >= 1e9) {
    sec += 1;
    nanos -= 1e9;
  }
  return `${sec}.${String(nanos).padStart(9, "0")}`;
}

/**
 * Yield a container's output one line at a time. Without a TTY Docker multiplexes stdout and
 * stderr in 8-byte-header frames; with one, the output is raw and all of it is stdout.
 */
export async function* containerLogs(
  t: Transport,
  id: string,
  opts: LogOptions = {},
): AsyncGenerator<LogLine, void, undefined> {
  let tty = opts.tty;
  if (tty === undefined) {
    const info = await containerInspect(t, id);
    if (!info) throw new DockerError("no_such_container", `No such container: ${id}`, 404);
    tty = info.Config.Tty;
  }
  const res = await t.openStream("GET", containerPath(id, "/logs"), {
    query: {
      stdout: true,
      stderr: true,
      follow: opts.follow ?? false,
      timestamps: opts.timestamps ?? false,
      tail: opts.tail === undefined ? "all" : String(Math.max(0, Math.floor(opts.tail))),
      since: unixTimeParam(opts.since),
    },
    signal: opts.signal,
  });
  if (!res) return;
  const lines = new LogLineDecoder({ timestamps: opts.timestamps });
  const demux = new FrameDemuxer();
  for await (const chunk of readChunks(res, t.target, opts.signal)) {
    if (tty) {
      yield* lines.pushRaw(chunk);
      continue;
    }
    for (const frame of demux.push(chunk)) yield* lines.pushFrame(frame);
  }
  if (opts.signal?.aborted) return;
  yield* lines.flush();
}
