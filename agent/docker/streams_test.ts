import assert from "node:assert/strict";
import { FrameDemuxer, JsonStreamParser, type LogLine, LogLineDecoder } from "./streams.ts";

const enc = new TextEncoder();

/** One multiplexed frame: 8-byte header then payload. */
function frame(type: number, payload: string | Uint8Array): Uint8Array {
  const bytes = typeof payload === "string" ? enc.encode(payload) : payload;
  const out = new Uint8Array(8 + bytes.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(4, bytes.length);
  out.set(bytes, 8);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Cut bytes into chunks of `size` (the last may be shorter). */
function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

function decodeMultiplexed(bytes: Uint8Array, chunkSize: number, timestamps = false): LogLine[] {
  const demux = new FrameDemuxer();
  const lines = new LogLineDecoder({ timestamps });
  const out: LogLine[] = [];
  for (const chunk of chunked(bytes, chunkSize)) {
    for (const f of demux.push(chunk)) out.push(...lines.pushFrame(f));
  }
  assert.equal(demux.pendingBytes, 0);
  return [...out, ...lines.flush()];
}

const CHUNK_SIZES = [1, 2, 3, 5, 8, 9, 13, 4096];
const TS1 = "2024-05-01T10:00:00.000000001Z";
const TS2 = "2024-05-01T10:00:00.000000002Z";
const E_ACUTE = enc.encode("é"); // two bytes: 0xc3 0xa9

const multiplexedCases: {
  name: string;
  frames: Uint8Array[];
  timestamps?: boolean;
  want: LogLine[];
}[] = [
  {
    name: "one line per frame, stdout and stderr apart",
    frames: [frame(1, "out\n"), frame(2, "err\n"), frame(1, "out2\n")],
    want: [
      { stream: "stdout", text: "out" },
      { stream: "stderr", text: "err" },
      { stream: "stdout", text: "out2" },
    ],
  },
  {
    name: "a line split across two frames",
    frames: [frame(1, "hel"), frame(1, "lo\n")],
    want: [{ stream: "stdout", text: "hello" }],
  },
  {
    name: "several lines in one frame and an unterminated last line",
    frames: [frame(1, "a\nb\nc")],
    want: [
      { stream: "stdout", text: "a" },
      { stream: "stdout", text: "b" },
      { stream: "stdout", text: "c" },
    ],
  },
  {
    name: "a two-byte character split across frames",
    frames: [
      frame(1, concat([enc.encode("caf"), E_ACUTE.subarray(0, 1)])),
      frame(1, concat([E_ACUTE.subarray(1), enc.encode("\n")])),
    ],
    want: [{ stream: "stdout", text: "café" }],
  },
  {
    name: "partial lines of stdout and stderr interleaved",
    frames: [frame(1, "o1"), frame(2, "e1"), frame(1, "o2\n"), frame(2, "e2\n")],
    want: [
      { stream: "stdout", text: "o1o2" },
      { stream: "stderr", text: "e1e2" },
    ],
  },
  {
    name: "empty frames and the daemon's own error stream (type 3)",
    frames: [frame(1, ""), frame(3, "oci runtime error\n")],
    want: [{ stream: "stderr", text: "oci runtime error" }],
  },
  {
    name: "timestamps become ts",
    timestamps: true,
    frames: [frame(1, `${TS1} out\n`), frame(2, `${TS2} err \n`)],
    want: [
      { stream: "stdout", ts: TS1, text: "out" },
      { stream: "stderr", ts: TS2, text: "err " },
    ],
  },
  {
    name: "a long line in two messages keeps the first timestamp and drops the second",
    timestamps: true,
    frames: [frame(1, `${TS1} first half `), frame(1, `${TS2} second half\n`)],
    want: [{ stream: "stdout", ts: TS1, text: "first half second half" }],
  },
  {
    name: "an empty line with a timestamp",
    timestamps: true,
    frames: [frame(1, `${TS1} \n`)],
    want: [{ stream: "stdout", ts: TS1, text: "" }],
  },
  {
    name: "CRLF line endings lose the CR",
    frames: [frame(1, "dos\r\n")],
    want: [{ stream: "stdout", text: "dos" }],
  },
];

for (const c of multiplexedCases) {
  Deno.test(`LogLineDecoder decodes multiplexed logs: ${c.name}, in chunks of any size`, () => {
    const bytes = concat(c.frames);
    for (const size of CHUNK_SIZES) {
      assert.deepEqual(decodeMultiplexed(bytes, size, c.timestamps), c.want, `chunk size ${size}`);
    }
  });
}

const ttyCases: { name: string; raw: string; timestamps?: boolean; want: LogLine[] }[] = [
  {
    name: "CRLF lines all on stdout",
    raw: "one\r\ntwo\r\n",
    want: [{ stream: "stdout", text: "one" }, { stream: "stdout", text: "two" }],
  },
  {
    name: "timestamps at the start of each line",
    raw: `${TS1} one\r\n${TS2} two`,
    timestamps: true,
    want: [{ stream: "stdout", ts: TS1, text: "one" }, { stream: "stdout", ts: TS2, text: "two" }],
  },
  {
    name: "multi-byte characters across chunks",
    raw: "żółw 🐢\n",
    want: [{ stream: "stdout", text: "żółw 🐢" }],
  },
];

for (const c of ttyCases) {
  Deno.test(`LogLineDecoder decodes TTY logs: ${c.name}, in chunks of any size`, () => {
    for (const size of CHUNK_SIZES) {
      const lines = new LogLineDecoder({ timestamps: c.timestamps });
      const out: LogLine[] = [];
      for (const chunk of chunked(enc.encode(c.raw), size)) out.push(...lines.pushRaw(chunk));
      assert.deepEqual([...out, ...lines.flush()], c.want, `chunk size ${size}`);
    }
  });
}

Deno.test("FrameDemuxer reports a truncated frame as pending bytes", () => {
  const demux = new FrameDemuxer();
  const whole = frame(2, "abcdef");
  assert.deepEqual(demux.push(whole.subarray(0, 10)), []);
  assert.equal(demux.pendingBytes, 10);
  const frames = demux.push(whole.subarray(10));
  assert.equal(frames.length, 1);
  assert.equal(frames[0].stream, "stderr");
  assert.equal(new TextDecoder().decode(frames[0].bytes), "abcdef");
  assert.equal(demux.pendingBytes, 0);
});

Deno.test("FrameDemuxer reads a frame larger than 64 KiB delivered in small chunks", () => {
  const big = new Uint8Array(200_000).fill(0x61);
  const demux = new FrameDemuxer();
  const frames = chunked(frame(1, big), 1000).flatMap((c) => demux.push(c));
  assert.equal(frames.length, 1);
  assert.equal(frames[0].bytes.length, 200_000);
});

const jsonCases: { name: string; text: string; want: unknown[] }[] = [
  {
    name: "newline-delimited objects",
    text: '{"a":1}\n{"b":2}\n',
    want: [{ a: 1 }, { b: 2 }],
  },
  {
    name: "CRLF separators (pull progress)",
    text: '{"a":1}\r\n{"a":2}\r\n',
    want: [{ a: 1 }, { a: 2 }],
  },
  {
    name: "objects with no separator",
    text: '{"a":1}{"b":[1,{"c":2}]}',
    want: [{ a: 1 }, { b: [1, { c: 2 }] }],
  },
  {
    name: "braces and escaped quotes inside strings",
    text: '{"s":"}{\\"x\\\\"}\n{"t":"ü ✓"}',
    want: [{ s: '}{"x\\' }, { t: "ü ✓" }],
  },
  { name: "nothing but whitespace", text: " \n\t\r\n", want: [] },
];

for (const c of jsonCases) {
  Deno.test(`JsonStreamParser parses ${c.name}, split at every byte`, () => {
    const bytes = enc.encode(c.text);
    for (const size of [1, 2, 3, 7, bytes.length || 1]) {
      const parser = new JsonStreamParser();
      const got = chunked(bytes, size).flatMap((chunk) => parser.push(chunk));
      assert.deepEqual(got, c.want, `chunk size ${size}`);
      assert.equal(parser.pending, false);
    }
  });
}

Deno.test("JsonStreamParser reports a half-read value and rejects junk between values", () => {
  const parser = new JsonStreamParser();
  assert.deepEqual(parser.push('{"a":1}{"b":'), [{ a: 1 }]);
  assert.equal(parser.pending, true);
  assert.throws(() => new JsonStreamParser().push('{"a":1} oops'), SyntaxError);
});
