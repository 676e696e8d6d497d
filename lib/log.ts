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
  write(line: string): void;
}

/**
 * A sink that batches lines and writes them to stdout once per tick: a request log at
 * tens of thousands of lines per second would otherwise cost a syscall per line.
 */
export function createStdoutSink(): LogSink & { flush(): void } {
  const encoder = new TextEncoder();
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const data = encoder.encode(pending.join(""));
    pending = [];
    let written = 0;
    while (written < data.length) written += Deno.stdout.writeSync(data.subarray(written));
  };
  globalThis.addEventListener("unload", flush);
  return {
    write(line) {
      pending.push(line + "\n");
      if (!scheduled) {
        scheduled = true;
        setTimeout(flush, 0);
      }
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

/** Create a logger that writes JSON lines at or above `level` to `sink`. */
export function createLogger(
  options: { level: LogLevel; sink: LogSink; fields?: LogFields },
): Logger {
  const min = LEVEL_ORDER[options.level];
  const base = options.fields ?? {};
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (LEVEL_ORDER[level] < min) return;
    const record: LogFields = { time: new Date().toISOString(), level, msg, ...base };
    if (fields) { for (const [k, v] of Object.entries(fields)) record[k] = serialise(v); }
    options.sink.write(JSON.stringify(record));
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
    enabled: (level) => LEVEL_ORDER[level] >= min,
  };
}

/** A sink that keeps lines in memory, for tests that assert what was logged. */
export function createMemorySink(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line) => lines.push(line) };
}
