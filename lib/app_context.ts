import type { Db } from "../db/db.ts";
import type { AuthService } from "./auth/service.ts";
import type { Principal } from "./auth/principal.ts";
import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import type { Assets } from "./web/assets.ts";
import type { StatusHub } from "./system_status.ts";
import type { NodeChanges } from "./nodes/changes.ts";
import type { WorkloadChanges } from "./workloads/changes.ts";
import type { AgentHub } from "./agents/hub.ts";
import type { Orchestrator } from "./scheduling/orchestrator.ts";
import type { PoolAssigner } from "./nodes/pool_assigner.ts";
import type { LocalAgent } from "./agents/local_agent.ts";

/** Everything a request handler may use, built once in main.ts and passed in. */
export interface AppContext {
  config: Config;
  db: Db;
  kv: Deno.Kv;
  log: Logger;
  auth: AuthService;
  assets: Assets;
  status: StatusHub;
  /** Node changes (joins, approvals, status): the agent hub and dashboard streams subscribe. */
  nodeChanges: NodeChanges;
  /** Workload changes (service writes, scheduler results): dashboard streams subscribe. */
  workloadChanges: WorkloadChanges;
  /** Agent WebSocket sessions: commands to nodes go through here. */
  agents: AgentHub;
  /** The scheduler loop: workloads are enqueued here after their desired state is stored. */
  scheduler: Orchestrator;
  /** Automatic pool membership: pool and node settings changes re-evaluate through it. */
  poolAssigner: PoolAssigner;
  /** "Add this machine": the agent this server may start on its own host. */
  localAgent: LocalAgent;
  /** Seals and opens secrets at rest (workload credentials). */
  encryptionKey: CryptoKey;
  version: string;
  startedAt: Date;
  /** Aborted when the server begins to shut down; long-lived streams end on it. */
  shutdown: AbortSignal;
}

/** Hono's environment type for the whole app. */
export interface AppEnv {
  Variables: {
    app: AppContext;
    requestId: string;
    /** The caller, once the authenticate middleware has run; null when anonymous. */
    principal: Principal | null;
    /** Logger with the request id attached. */
    log: Logger;
    /** Nodes waiting for approval, counted for admins' dashboard navigation. */
    pendingApprovals?: number;
  };
}
