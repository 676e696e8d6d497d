// Start the control plane: configuration, storage, assets, HTTP server, graceful shutdown.
import { type Config, ConfigError, loadConfig } from "./lib/config.ts";
import { createLogger, createStdoutSink } from "./lib/log.ts";
import { buildControlPlane, type ControlPlane } from "./lib/server.ts";
import { VERSION } from "./lib/version.ts";

let config: Config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (err) {
  if (err instanceof ConfigError) {
    for (const problem of err.problems) console.error(`lattice: ${problem}`);
    Deno.exit(2);
  }
  throw err;
}

const sink = createStdoutSink();
const log = createLogger({ level: config.logLevel, sink });
const t0 = performance.now();
let plane: ControlPlane;
try {
  plane = await buildControlPlane(config, { log });
} catch (err) {
  log.error("start-up failed", { err });
  sink.flush();
  Deno.exit(1);
}

const server = Deno.serve({
  port: config.port,
  hostname: config.hostname,
  onListen: ({ hostname, port }) => {
    log.info("control plane listening", {
      version: VERSION,
      address: `${hostname}:${port}`,
      url: config.publicUrl,
      database: plane.ctx.db.kind,
      data_dir: config.dataDir,
      startup_ms: Math.round(performance.now() - t0),
    });
  },
}, plane.fetch);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info("shutting down", { signal });
  // End live streams first so in-flight requests can finish, then release storage.
  plane.endStreams();
  await server.shutdown();
  await plane.close();
  sink.flush();
  Deno.exit(0);
}
Deno.addSignalListener("SIGINT", () => void stop("SIGINT"));
Deno.addSignalListener("SIGTERM", () => void stop("SIGTERM"));
