import { z } from "zod";

/** Values a setting may take, written for people: shown when a variable is wrong. */
const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** The environment variables the control plane reads, with defaults and rules. */
export const EnvSchema = z.object({
  LATTICE_PORT: z.coerce.number({ error: "must be an integer from 1 to 65535" })
    .int("must be an integer from 1 to 65535")
    .min(1, "must be an integer from 1 to 65535")
    .max(65535, "must be an integer from 1 to 65535")
    .default(8000),
  LATTICE_HOSTNAME: z.string().min(1, "must be a host name or IP address").default("0.0.0.0"),
  LATTICE_DATA_DIR: z.string().min(1, "must be a directory path").default("./data"),
  DATABASE_URL: z.string().regex(
    /^postgres(ql)?:\/\/.+/,
    "must be a postgres:// or postgresql:// connection URL (or unset for embedded PGlite)",
  ).optional(),
  LATTICE_KV_PATH: z.string().min(1, "must be a file path").optional(),
  LATTICE_SECRET_KEY: z.string().min(
    32,
    "must be at least 32 characters of random text (or unset to generate one)",
  ).optional(),
  LATTICE_PUBLIC_URL: z.url({
    protocol: /^https?$/,
    error: "must be an http:// or https:// URL, such as https://lattice.example.com",
  }).optional(),
  LATTICE_LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` })
    .default("info"),
  LATTICE_REGISTRATION: z.enum(["open", "closed"], { error: "must be open or closed" })
    .default("closed"),
  LATTICE_TRUST_PROXY: z.enum(["true", "false"], { error: "must be true or false" })
    .default("false"),
  LATTICE_HEARTBEAT_INTERVAL_MS: z.coerce.number({ error: "must be milliseconds, 100 to 600000" })
    .int("must be milliseconds, 100 to 600000")
    .min(100, "must be milliseconds, 100 to 600000")
    .max(600_000, "must be milliseconds, 100 to 600000")
    .default(5000),
  LATTICE_MIN_AGENT_VERSION: z.string().regex(
    /^\d+\.\d+\.\d+$/,
    "must be a version such as 0.1.0",
  ).default("0.1.0"),
  LATTICE_METRICS_RETENTION_HOURS: z.coerce.number({ error: "must be hours, 1 to 8760" })
    .int("must be hours, 1 to 8760")
    .min(1, "must be hours, 1 to 8760")
    .max(8760, "must be hours, 1 to 8760")
    .default(24),
  LATTICE_NODE_LOST_GRACE_SECONDS: z.coerce.number({ error: "must be seconds, 5 to 86400" })
    .int("must be seconds, 5 to 86400")
    .min(5, "must be seconds, 5 to 86400")
    .max(86_400, "must be seconds, 5 to 86400")
    .default(60),
  LATTICE_RANK_INTERVAL_SECONDS: z.coerce.number({ error: "must be seconds, 10 to 86400" })
    .int("must be seconds, 10 to 86400")
    .min(10, "must be seconds, 10 to 86400")
    .max(86_400, "must be seconds, 10 to 86400")
    .default(300),
  LATTICE_LOCAL_AGENT: z.enum(["auto", "off"], { error: "must be auto or off" }).default("auto"),
});

/** Log levels, least severe first. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The resolved configuration every part of the control plane receives. */
export interface Config {
  port: number;
  hostname: string;
  dataDir: string;
  databaseUrl: string | undefined;
  kvPath: string;
  secretKey: string | undefined;
  publicUrl: string;
  secureCookies: boolean;
  logLevel: LogLevel;
  registration: "open" | "closed";
  trustProxy: boolean;
  /** How often agents send heartbeats; a node is offline after three missed ones. */
  heartbeatIntervalMs: number;
  /** Agents older than this are refused at `hello` with a message to upgrade. */
  minAgentVersion: string;
  /** How long heartbeat metrics are kept. */
  metricsRetentionHours: number;
  /** A node offline this long has its allocations marked lost (stateless ones move). */
  nodeLostGraceMs: number;
  /** How often node ranks are recomputed from their history. */
  rankIntervalMs: number;
  /** "auto": offer "Add this machine" when Docker is reachable here; "off": never. */
  localAgent: "auto" | "off";
}

/** Raised when an environment variable holds a value that is not allowed. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

/** Parse the environment into a Config, or throw ConfigError with one line per bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings count as unset, as they do in most shells' `VAR= cmd` usage.
  const cleaned = Object.fromEntries(
    Object.keys(EnvSchema.shape).map((k) => [k, env[k] === "" ? undefined : env[k]]),
  );
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `invalid ${name}=${JSON.stringify(cleaned[name])}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const dataDir = e.LATTICE_DATA_DIR.replace(/\/+$/, "") || "/";
  const publicUrl = (e.LATTICE_PUBLIC_URL ?? `http://localhost:${e.LATTICE_PORT}`).replace(
    /\/+$/,
    "",
  );
  return {
    port: e.LATTICE_PORT,
    hostname: e.LATTICE_HOSTNAME,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    kvPath: e.LATTICE_KV_PATH ?? `${dataDir}/kv.sqlite3`,
    secretKey: e.LATTICE_SECRET_KEY,
    publicUrl,
    secureCookies: publicUrl.startsWith("https://"),
    logLevel: e.LATTICE_LOG_LEVEL,
    registration: e.LATTICE_REGISTRATION,
    trustProxy: e.LATTICE_TRUST_PROXY === "true",
    heartbeatIntervalMs: e.LATTICE_HEARTBEAT_INTERVAL_MS,
    minAgentVersion: e.LATTICE_MIN_AGENT_VERSION,
    metricsRetentionHours: e.LATTICE_METRICS_RETENTION_HOURS,
    nodeLostGraceMs: e.LATTICE_NODE_LOST_GRACE_SECONDS * 1000,
    rankIntervalMs: e.LATTICE_RANK_INTERVAL_SECONDS * 1000,
    localAgent: e.LATTICE_LOCAL_AGENT,
  };
}
