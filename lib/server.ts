import { createApp } from "./app.ts";
import type { AppContext } from "./app_context.ts";
import { createAuthService, DEFAULT_LOGIN_LIMITS } from "./auth/service.ts";
import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import { deriveKeys, loadOrCreateSecret } from "./secret_key.ts";
import { createStatusHub } from "./system_status.ts";
import { createNodeChanges } from "./nodes/changes.ts";
import { createWorkloadChanges } from "./workloads/changes.ts";
import { startPoolAssigner } from "./nodes/pool_assigner.ts";
import { AgentHub, type HubOptions } from "./agents/hub.ts";
import { VERSION } from "./version.ts";
import { Orchestrator, type OrchestratorOptions } from "./scheduling/orchestrator.ts";
import { type RankJob, startRankJob } from "./nodes/rank_job.ts";
import { importEncryptionKey } from "./crypto/secret_box.ts";
import { type Assets, buildAssets } from "./web/assets.ts";
import { LocalAgent } from "./agents/local_agent.ts";
import { absolutePath, loopbackUrl } from "./agents/local_agent_rules.ts";
import { agentBundle } from "./agents/agent_bundle.ts";
import { nodeService } from "./nodes/service.ts";
import { getNode } from "../db/nodes.ts";
import { openDb } from "../db/open.ts";
import { migrate, readMigrations } from "../db/migrate.ts";
import type { Db } from "../db/db.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/** Where agents open their WebSocket. */
export const AGENT_CONNECT_PATH = "/api/v1/agents/connect";

/** Where the app's source folders are. */
export const APP_DIRS = {
  routesDir: `${ROOT}/routes`,
  islandsDir: `${ROOT}/islands`,
  staticDir: `${ROOT}/static`,
  bootEntry: `${ROOT}/lib/web/client/boot.ts`,
};

/** Options for building a control plane; tests pass a database or tighter limits. */
export interface BuildOptions {
  log: Logger;
  db?: Db;
  loginLimits?: typeof DEFAULT_LOGIN_LIMITS;
  rotationGraceMs?: number;
  /** Prebuilt assets (tests build them once for many apps). */
  assets?: Assets;
  /** Agent hub timings (tests shorten them). */
  hub?: Partial<HubOptions>;
  /** Scheduler timings (tests shorten them). */
  scheduler?: Partial<OrchestratorOptions>;
  /** Rank job timings (tests shorten or postpone them and call `ranks.runOnce()`). */
  rank?: { intervalMs?: number; firstRunAfterMs?: number };
}

/** A built control plane: its context, its HTTP handler, and how to release everything. */
export interface ControlPlane {
  ctx: AppContext;
  fetch: (req: Request, info?: Deno.ServeHandlerInfo) => Response | Promise<Response>;
  /** End long-lived streams (SSE) so a graceful shutdown can complete. */
  endStreams(): void;
  /** The periodic node rank job. */
  ranks: RankJob;
  close(): Promise<void>;
}

/**
 * Open storage (creating the data dir, secret key, database schema and KV), build the assets
 * and the app. Nothing is opened at import time.
 */
export async function buildControlPlane(
  config: Config,
  options: BuildOptions,
): Promise<ControlPlane> {
  const { log } = options;
  await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const { secret, source } = await loadOrCreateSecret(config.secretKey, config.dataDir);
  if (source === "generated") {
    log.warn("generated a new secret key; back it up apart from the database", {
      path: `${config.dataDir}/secret.key`,
    });
  }
  const keys = deriveKeys(secret);
  const t0 = performance.now();
  const db = options.db ?? await openDb(config);
  const applied = await migrate(db, await readMigrations());
  log.info("database ready", {
    kind: db.kind,
    migrations_applied: applied,
    ms: Math.round(performance.now() - t0),
  });
  const kvDir = config.kvPath.includes("/")
    ? config.kvPath.slice(0, config.kvPath.lastIndexOf("/"))
    : ".";
  if (config.kvPath !== ":memory:") await Deno.mkdir(kvDir, { recursive: true });
  const kv = await Deno.openKv(config.kvPath);
  const assets = options.assets ?? await buildAssets(APP_DIRS);
  const shutdown = new AbortController();
  const startedAt = new Date();
  const status = createStatusHub({ db, kv, log, version: VERSION, startedAt });
  const auth = createAuthService({ db, kv, log }, {
    keys,
    registration: config.registration,
    loginLimits: options.loginLimits,
    rotationGraceMs: options.rotationGraceMs,
  });
  const nodeChanges = createNodeChanges((err) =>
    log.error("node change subscriber failed", { error: String(err) })
  );
  const agents = new AgentHub({ db, kv, log, nodeChanges }, {
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    minAgentVersion: config.minAgentVersion,
    metricsRetentionHours: config.metricsRetentionHours,
    publicOrigin: new URL(config.publicUrl).origin,
    ...options.hub,
  });
  const encryptionKey = await importEncryptionKey(keys.encryption);
  const workloadChanges = createWorkloadChanges((err) =>
    log.error("workload change subscriber failed", { error: String(err) })
  );
  const scheduler = new Orchestrator({
    db,
    kv,
    log,
    agents,
    nodeChanges,
    workloadChanges,
    encryptionKey,
  }, {
    minAgentVersion: config.minAgentVersion,
    lostGraceMs: config.nodeLostGraceMs,
    ...options.scheduler,
  });
  scheduler.start();
  const poolAssigner = startPoolAssigner({ db, log, nodeChanges });
  const rankIntervalMs = options.rank?.intervalMs ?? config.rankIntervalMs;
  const ranks = startRankJob({ db, log, nodeChanges }, {
    intervalMs: rankIntervalMs,
    firstRunAfterMs: options.rank?.firstRunAfterMs ?? Math.min(rankIntervalMs, 10_000),
    heartbeatIntervalMs: config.heartbeatIntervalMs,
  });
  const localAgent = new LocalAgent({
    mode: config.localAgent,
    dataDir: absolutePath(config.dataDir, Deno.cwd()),
    serverUrl: loopbackUrl(config.hostname, config.port),
    log,
    nodes: () => nodeService(ctx),
    getNode: (id) => getNode(db, id),
    bundle: agentBundle,
  });
  const ctx: AppContext = {
    config,
    db,
    kv,
    log,
    auth,
    assets,
    status,
    nodeChanges,
    workloadChanges,
    agents,
    scheduler,
    poolAssigner,
    localAgent,
    encryptionKey,
    version: VERSION,
    startedAt,
    shutdown: shutdown.signal,
  };
  const app = await createApp(ctx, APP_DIRS);
  // An agent this server started before (and nobody stopped) runs again; it retries until the
  // server listens.
  await localAgent.resume();
  return {
    ctx,
    fetch: (req, info) =>
      // Agent sockets bypass the HTTP middleware: the protocol authenticates them itself.
      req.url.includes(AGENT_CONNECT_PATH) && new URL(req.url).pathname === AGENT_CONNECT_PATH
        ? agents.handle(req, info)
        : app.fetch(req, info),
    endStreams: () => {
      shutdown.abort();
      void scheduler.close();
      void agents.close();
    },
    ranks,
    async close() {
      shutdown.abort();
      // The local agent first: SIGTERM and wait (its workloads keep running in Docker).
      await localAgent.close();
      ranks.stop();
      poolAssigner.stop();
      await scheduler.close();
      await ranks.idle();
      await poolAssigner.idle();
      await agents.close();
      status.close();
      workloadChanges.close();
      kv.close();
      if (!options.db) await db.close();
    },
  };
}
