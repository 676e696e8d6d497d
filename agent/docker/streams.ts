// Pure decoders for Docker's streaming bodies. They take bytes as they arrive, in chunks of any
// size, and return whatever became complete; nothing here does I/O.

/** Which output a log line or frame came from. */
export type OutputStream = "stdout" | "stderr";

/** One frame of Docker's multiplexed stream (Tty: false). */
export interface Frame {
  stream: OutputStream;
  bytes: Uint8Array;
}

/** One line of container or exec output. `ts` is Docker's RFC3339Nano timestamp when asked for. */
export interface LogLine {
  stream: OutputStream;
  ts?: string;
  text: string;
}

const HEADER_SIZE = 8;

/**
 * Splits Docker's multiplexed stream into frames: an 8-byte header `[type, 0, 0, 0, size
 * (uint32 big-endian)]` then `size` bytes. Headers and payloads may be split across chunks.
 */
export class FrameDemuxer {
  #chunks: Uint8Array[] = [];
  #size = 0;
  #need: number | null = null;
  #stream: OutputStream = "stdout";

  /** Feed the next chunk; returns the frames it completed. */
  push(chunk: Uint8Array): Frame[] {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#size += chunk.length;
    }
    const frames: Frame[] = [];
    while (true) {
      if (this.#need === null) {
        if (this.#size < HEADER_SIZE) break;
        const header = this.#take(HEADER_SIZE);
        // 0 is stdin (never sent back), 1 stdout, 2 stderr, 3 the daemon's own error output.
        this.#stream = header[0] === 2 || header[0] === 3 ? "stderr" : "stdout";
        this.#need = new DataView(header.buffer, header.byteOffset, 8).getUint32(4);
      }
      if (this.#size < this.#need) break;
      const bytes = this.#take(this.#need);
      this.#need = null;
      if (bytes.length > 0) frames.push({ stream: this.#stream, bytes });
    }
    return frames;
  }

  /** Bytes of an unfinished header or frame (non-zero at end of stream means truncation). */
  get pendingBytes(): number {
    return this.#size + (this.#need === null ? 0 : HEADER_SIZE);
  }

  #take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.#chunks[0];
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      this.#size -= n;
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.#chunks[0];
      const part = Math.min(head.length, n - filled);
      out.set(head.subarray(0, part), filled);
      filled += part;
      if (part === head.length) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(part);
    }
    this.#size -= n;
    return out;
  }
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const SPACE = 0x20;

interface LineState {
  decoder: TextDecoder;
  text: string;
  open: boolean;
  ts?: string;
}

/**
 * Turns frames (or raw TTY bytes) into lines, one decoder per stream so a multi-byte UTF-8
 * character split across frames survives. With `timestamps`, Docker prefixes every log message
 * (every frame, or every line of a TTY stream) with `<RFC3339Nano> `; that prefix becomes `ts`.
 */
export class LogLineDecoder {
  readonly #timestamps: boolean;
  readonly #states: Record<OutputStream, LineState>;
  #raw = false;

  constructor(opts: { timestamps?: boolean } = {}) {
    this.#timestamps = opts.timestamps ?? false;
    this.#states = { stdout: newState(), stderr: newState() };
  }

  /** Feed one demultiplexed frame; returns the lines it completed. */
  pushFrame(frame: Frame): LogLine[] {
    let bytes = frame.bytes;
    let ts: string | undefined;
    if (this.#timestamps) {
      const space = bytes.subarray(0, 64).indexOf(SPACE);
      const candidate = space > 0 ? asciiOf(bytes.subarray(0, space)) : "";
      if (TIMESTAMP.test(candidate)) {
        ts = candidate;
        bytes = bytes.subarray(space + 1);
      }
    }
    const st = this.#states[frame.stream];
    if (!st.open) {
      st.ts = ts;
      st.open = bytes.length > 0;
    }
    const text = st.decoder.decode(bytes, { stream: true });
    const out: LogLine[] = [];
    splitInto(frame.stream, st, text, ts, false, out);
    return out;
  }

  /** Feed raw bytes of a TTY stream (no frames; everything is stdout). */
  pushRaw(bytes: Uint8Array): LogLine[] {
    this.#raw = true;
    const st = this.#states.stdout;
    const out: LogLine[] = [];
    splitInto(
      "stdout",
      st,
      st.decoder.decode(bytes, { stream: true }),
      undefined,
      this.#timestamps,
      out,
    );
    return out;
  }

  /** End of stream: returns unterminated last lines, if any. */
  flush(): LogLine[] {
    const out: LogLine[] = [];
    for (const stream of ["stdout", "stderr"] as const) {
      const st = this.#states[stream];
      st.text += st.decoder.decode();
      if (st.text !== "") out.push(makeLine(stream, st.text, st.ts, this.#timestamps && this.#raw));
      st.text = "";
      st.open = false;
      st.ts = undefined;
    }
    return out;
  }
}

function newState(): LineState {
  return { decoder: new TextDecoder("utf-8", { ignoreBOM: true }), text: "", open: false };
}

function splitInto(
  stream: OutputStream,
  st: LineState,
  text: string,
  frameTs: string | undefined,
  stripTs: boolean,
  out: LogLine[],
): void {
  let start = 0;
  for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
    out.push(makeLine(stream, st.text + text.slice(start, nl), st.ts, stripTs));
    st.text = "";
    st.ts = frameTs;
    start = nl + 1;
  }
  const rest = text.slice(start);
  if (start > 0) st.open = rest !== "";
  st.text += rest;
  if (!st.open) st.ts = undefined;
}

function makeLine(
  stream: OutputStream,
  raw: string,
  ts: string | undefined,
  stripTs: boolean,
): LogLine {
  let text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (stripTs) {
    const space = text.indexOf(" ");
    const candidate = space > 0 ? text.slice(0, space) : text;
    if (TIMESTAMP.test(candidate)) {
      ts = candidate;
      text = space > 0 ? text.slice(space + 1) : "";
    }
  }
  return ts === undefined ? { stream, text } : { stream, ts, text };
}

function asciiOf(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Parses a stream of concatenated JSON values (Docker's events, stats and progress streams are
 * newline-delimited, but older engines omit the newline), tolerating values split across chunks.
 */
export class JsonStreamParser<T = unknown> {
  #decoder = new TextDecoder("utf-8");
  #buf = "";
  #pos = 0;
  #depth = 0;
  #start = -1;
  #inString = false;
  #escape = false;

  /** Feed the next chunk; returns the values it completed. */
  push(chunk: Uint8Array | string): T[] {
    this.#buf += typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    const s = this.#buf;
    const out: T[] = [];
    for (let i = this.#pos; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (c === 0x5c) this.#escape = true;
        else if (c === 0x22) this.#inString = false;
      } else if (c === 0x22 && this.#depth > 0) {
        this.#inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        if (this.#depth === 0) this.#start = i;
        this.#depth++;
      } else if ((c === 0x7d || c === 0x5d) && this.#depth > 0) {
        if (--this.#depth === 0) {
          out.push(JSON.parse(s.slice(this.#start, i + 1)) as T);
          this.#start = -1;
        }
      } else if (this.#depth === 0 && !WHITESPACE.has(c)) {
        throw new SyntaxError(
          `Unexpected ${JSON.stringify(s[i])} between values in Docker's JSON stream`,
        );
      }
    }
    // Keep only the unfinished value so the buffer does not grow with the stream.
    if (this.#start >= 0) {
      this.#buf = s.slice(this.#start);
      this.#pos = this.#buf.length;
      this.#start = 0;
    } else {
      this.#buf = "";
      this.#pos = 0;
    }
    return out;
  }

  /** Whether a value is half-read (a truncated stream if the body has ended). */
  get pending(): boolean {
    return this.#depth > 0;
  }
}
