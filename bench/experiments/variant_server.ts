// Serve one variant of Lattice's HTTP stack (see variants.ts) like main.ts serves the real
// one. Not part of `deno task bench`; started by bench/experiments/ab.ts.
//
// Env: the usual LATTICE_* variables, plus VARIANT (default "real"), optionally with a log
// sink after an "@": VARIANT=real@discard.
//   @stdout    (default) lib/log.ts's createStdoutSink, as main.ts uses
//   @discard   lines are built but dropped: what formatting alone costs
//   @interval  lines are batched and written every 50 ms (or at 256 KiB), not every tick
// At exit it prints to stderr how many stdout writes carried how many log lines.
import { loadConfig } from "../../lib/config.ts";
import { createLogger, createStdoutSink, type LogSink } from "../../lib/log.ts";
import { buildControlPlane } from "../../lib/server.ts";
import { variantHandler } from "./variants.ts";

const [variant, sinkKind = "stdout"] = (Deno.env.get("VARIANT") ?? "real").split("@");

// Count stdout writes, to see how well the log sink batches.
let writes = 0;
let lines = 0;
const writeSync = Deno.stdout.writeSync.bind(Deno.stdout);
Deno.stdout.writeSync = (data: Uint8Array) => {
  writes++;
  return writeSync(data);
};

function intervalSink(): LogSink & { flush(): void } {
  const encoder = new TextEncoder();
  let pending: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (pending.length === 0) return;
    const data = encoder.encode(pending.join(""));
    pending = [];
    bytes = 0;
    let written = 0;
    while (written < data.length) written += Deno.stdout.writeSync(data.subarray(written));
  };
  setInterval(flush, 50);
  return {
    write(line) {
      pending.push(line + "\n");
      bytes += line.length + 1;
      if (bytes >= 256 * 1024) flush();
    },
    flush,
  };
}

const base = sinkKind === "interval"
  ? intervalSink()
  : sinkKind === "discard"
  ? { write: () => {}, flush: () => {} }
  : createStdoutSink();
const sink = {
  write(line: string) {
    lines++;
    base.write(line);
  },
  flush: () => base.flush(),
};
const config = loadConfig(Deno.env.toObject());
const log = createLogger({ level: config.logLevel, sink });
const plane = await buildControlPlane(config, { log });
const handler = await variantHandler(variant, plane, sink);

const server = Deno.serve({
  port: config.port,
  hostname: config.hostname,
  onListen: () => log.info("variant listening", { variant, sink: sinkKind }),
}, handler);

Deno.addSignalListener("SIGTERM", async () => {
  plane.endStreams();
  await server.shutdown();
  await plane.close();
  sink.flush();
  console.error(`variant ${variant}@${sinkKind}: ${lines} log lines in ${writes} stdout writes`);
  Deno.exit(0);
});
