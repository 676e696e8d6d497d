import type { LogLevel } from "./config.ts";

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Fields attached to a log line. Errors are expanded to name, message and stack. */
export type LogFields = Record<string, unknown>;

/** A structured JSON logger; `child` adds context to every line it writes. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  enabled(level: LogLevel): boolean;
}

/** Where finished log lines go. */
export interface LogSink {
  /** Write one line; `urgent` lines (errors) should not wait in a buffer. */
  write(line: string, urgent?: boolean): void;
}

/** How long a log line may wait in memory before it is written, and how much may wait. */
const FLUSH_INTERVAL_MS = 50;
const FLUSH_BYTES = 256 * 1024;

/**
 * A sink that batches lines and writes them to stdout every 50 ms (or at 256 KiB): a request
 * log at tens of thousands of lines per second would otherwise cost a write per line. Errors
 * are written at once, and everything pending is written on exit.
 */
export function createStdoutSink(): LogSink & { flush(): void } {
  const encoder = new TextEncoder();
  let pending = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const data = encoder.encode(pending);
    pending = "";
    let written = 0;
    while (written < data.length) written += Deno.stdout.writeSync(data.subarray(written));
  };
  globalThis.addEventListener("unload", flush);
  return {
    write(line, urgent) {
      pending += line + "\n";
      if (urgent || pending.length >= FLUSH_BYTES) flush();
      else timer ??= setTimeout(flush, FLUSH_INTERVAL_MS);
    },
    flush,
  };
}

function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  return value;
}

class JsonLogger implements Logger {
  // Methods live on the prototype so that a per-request child costs one small object.
  constructor(
    private readonly sink: LogSink,
    private readonly min: number,
    private readonly base: LogFields,
  ) {}

  private emit(level: LogLevel, msg: string, fields?: LogFields) {
    if (LEVEL_ORDER[level] < this.min) return;
    const record: LogFields = { time: new Date().toISOString(), level, msg, ...this.base };
    if (fields) { for (const [k, v] of Object.entries(fields)) record[k] = serialise(v); }
    this.sink.write(JSON.stringify(record), level === "error");
  }

  debug(msg: string, fields?: LogFields) {
    this.emit("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields) {
    this.emit("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields) {
    this.emit("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields) {
    this.emit("error", msg, fields);
  }
  child(fields: LogFields): Logger {
    return new JsonLogger(this.sink, this.min, { ...this.base, ...fields });
  }
  enabled(level: LogLevel): boolean {
    return LEVEL_ORDER[level] >= this.min;
  }
}

/** Create a logger that writes JSON lines at or above `level` to `sink`. */
export function createLogger(
  options: { level: LogLevel; sink: LogSink; fields?: LogFields },
): Logger {
  return new JsonLogger(options.sink, LEVEL_ORDER[options.level], options.fields ?? {});
}

/** A sink that keeps lines in memory, for tests that assert what was logged. */
export function createMemorySink(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line) => lines.push(line) };
}
