/**
 * The agent protocol (DESIGN §4): every WebSocket message between a node agent and the control
 * plane, as zod schemas. The server and the agent import this one module; nothing else defines
 * a message shape. Plain `zod` (not the OpenAPI flavour) keeps the agent bundle small.
 *
 * Session: agent `hello` → server `challenge` → agent `proof` → server `welcome` | `pending` |
 * `rejected`. After `welcome`: agent `heartbeat`/`event` (each with a sequence number the
 * server `ack`s once stored), server `command` → agent `result` (exactly one per id).
 */
import { z } from "zod";
import { Schedule } from "../scheduler/types.ts";

/** Bumped on any incompatible change; the server refuses other versions with a clear message. */
export const PROTOCOL_VERSION = 1;
/** Largest frame either side accepts; larger frames close the connection (code 1009). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Docker labels that mark everything Lattice manages on a node. */
export const LABELS = {
  managed: "dev.lattice.managed",
  workload: "dev.lattice.workload",
  allocation: "dev.lattice.allocation",
  node: "dev.lattice.node",
} as const;

/** WebSocket close codes used by both sides. */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  /** Malformed, unknown or out-of-order message. */
  policy: 1008,
  tooBig: 1009,
  /** The server refused the session (see the `rejected` message sent before). */
  rejected: 4001,
  /** Another session for the same node replaced this one. */
  replaced: 4002,
  /** No heartbeat for three intervals. */
  timeout: 4003,
} as const;

const Id = z.string().uuid();
const Name = z.string().min(1).max(200);
const Bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const Percent = z.number().min(0).max(100_000);
/** Labels: Docker-style keys, short values. */
export const LabelMap = z.record(
  z.string().regex(/^[a-z0-9]([a-z0-9._/-]{0,62}[a-z0-9])?$/i, "invalid label key"),
  z.string().max(200),
).refine((m) => Object.keys(m).length <= 64, "at most 64 labels");
export type LabelMap = z.infer<typeof LabelMap>;

// ---------------------------------------------------------------- capabilities and metrics

export const GpuInfo = z.object({
  index: z.number().int().min(0).max(255),
  model: z.string().max(200),
  memoryBytes: Bytes,
});
export type GpuInfo = z.infer<typeof GpuInfo>;

export const Capabilities = z.object({
  cpu: z.object({ cores: z.number().int().min(1).max(4096), model: z.string().max(200) }),
  memoryBytes: Bytes,
  disk: z.object({ path: z.string().max(500), totalBytes: Bytes, freeBytes: Bytes }),
  os: z.string().max(100),
  arch: z.string().max(50),
  kernel: z.string().max(200),
  docker: z.object({
    version: z.string().max(50),
    apiVersion: z.string().max(20),
    runtimes: z.array(z.string().max(100)).max(32),
  }).nullable(),
  gpus: z.array(GpuInfo).max(64),
  /** Measured against the control plane's transfer endpoint; null when it could not be. */
  network: z.object({ downloadBps: Bytes.nullable(), uploadBps: Bytes.nullable() }),
  agentVersion: z.string().max(50),
});
export type Capabilities = z.infer<typeof Capabilities>;

export const DockerHealth = z.object({
  healthy: z.boolean(),
  /** Docker's own message when unhealthy. */
  error: z.string().max(2000).optional(),
  containers: z.number().int().min(0),
  running: z.number().int().min(0),
});
export type DockerHealth = z.infer<typeof DockerHealth>;

export const ContainerStats = z.object({
  allocationId: Id,
  cpuPercent: Percent,
  memoryBytes: Bytes,
  memoryLimitBytes: Bytes,
});
export type ContainerStats = z.infer<typeof ContainerStats>;

export const Metrics = z.object({
  cpuPercent: Percent,
  memory: z.object({ usedBytes: Bytes, totalBytes: Bytes }),
  disk: z.object({ usedBytes: Bytes, totalBytes: Bytes }),
  network: z.object({ rxBps: Bytes, txBps: Bytes }),
  docker: DockerHealth,
  containers: z.array(ContainerStats).max(1000).default([]),
});
export type Metrics = z.infer<typeof Metrics>;

// ---------------------------------------------------------------- containers

export const ContainerState = z.enum([
  "created",
  "running",
  "paused",
  "restarting",
  "removing",
  "exited",
  "dead",
  "removed",
]);
export type ContainerState = z.infer<typeof ContainerState>;

/** One managed container as the agent sees it in Docker (rebuilt from labels). */
export const InventoryItem = z.object({
  allocationId: Id,
  workloadId: z.string().max(100).nullable(),
  containerId: z.string().regex(/^[0-9a-f]{12,64}$/),
  name: z.string().max(300),
  image: z.string().max(500),
  state: ContainerState,
  exitCode: z.number().int().nullable(),
  ports: z.array(z.object({
    container: z.number().int().min(1).max(65535),
    protocol: z.enum(["tcp", "udp"]),
    hostIp: z.string().max(64),
    hostPort: z.number().int().min(1).max(65535),
  })).max(100),
  startedAt: z.string().max(64).nullable(),
});
export type InventoryItem = z.infer<typeof InventoryItem>;

const VolumeName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, "invalid volume name");

/**
 * What the server asks a node to run. Deliberately wider than what a node accepts: the agent's
 * local policy (agent/policy.ts) refuses privileged settings, host mounts and the like, so the
 * schema can describe them and the refusal can name the rule.
 */
export const ContainerSpec = z.object({
  image: z.string().min(1).max(500),
  command: z.array(z.string().max(10_000)).max(200).optional(),
  entrypoint: z.array(z.string().max(10_000)).max(200).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(100_000))
    .optional(),
  workingDir: z.string().max(1000).optional(),
  user: z.string().max(100).optional(),
  /** Published ports; the agent chooses the host port. */
  ports: z.array(z.object({
    container: z.number().int().min(1).max(65535),
    protocol: z.enum(["tcp", "udp"]).default("tcp"),
    hostIp: z.string().max(64).default("127.0.0.1"),
  })).max(50).default([]),
  volumes: z.array(z.object({
    name: VolumeName,
    target: z.string().startsWith("/").max(1000),
    readOnly: z.boolean().default(false),
    driver: z.string().max(100).optional(),
    driverOpts: z.record(z.string().max(100), z.string().max(1000)).optional(),
  })).max(20).default([]),
  resources: z.object({
    cpus: z.number().positive().max(1024),
    memoryBytes: Bytes.min(4 * 1024 * 1024),
    pids: z.number().int().min(16).max(1_000_000).default(512),
    gpus: z.number().int().min(0).max(64).default(0),
  }),
  restart: z.enum(["no", "on-failure", "unless-stopped", "always"]).default("unless-stopped"),
  runtime: z.string().max(100).optional(),
  labels: LabelMap.optional(),
  // Settings a node's policy refuses; present so that a refusal can be precise.
  privileged: z.boolean().optional(),
  capAdd: z.array(z.string().max(100)).max(64).optional(),
  networkMode: z.string().max(200).optional(),
  pidMode: z.string().max(200).optional(),
  ipcMode: z.string().max(200).optional(),
  utsMode: z.string().max(200).optional(),
  usernsMode: z.string().max(200).optional(),
  binds: z.array(z.string().max(2000)).max(50).optional(),
  mounts: z.array(z.object({
    type: z.string().max(20),
    source: z.string().max(2000).optional(),
    target: z.string().max(1000),
    volumeOptions: z.object({
      driverConfig: z.object({
        name: z.string().max(100).optional(),
        options: z.record(z.string().max(100), z.string().max(1000)).optional(),
      }).optional(),
    }).optional(),
  })).max(50).optional(),
  devices: z.array(z.string().max(2000)).max(50).optional(),
});
export type ContainerSpec = z.infer<typeof ContainerSpec>;
export type ContainerSpecInput = z.input<typeof ContainerSpec>;

// ---------------------------------------------------------------- commands and results

const Target = { allocationId: Id };
export const Command = z.discriminatedUnion("action", [
  z.object({
    action: z.literal("deploy"),
    ...Target,
    workloadId: z.string().max(100).optional(),
    spec: ContainerSpec,
  }),
  z.object({ action: z.literal("start"), ...Target }),
  z.object({
    action: z.literal("stop"),
    ...Target,
    timeoutSeconds: z.number().int().min(0).max(600).default(10),
  }),
  z.object({
    action: z.literal("restart"),
    ...Target,
    timeoutSeconds: z.number().int().min(0).max(600).default(10),
  }),
  z.object({ action: z.literal("remove"), ...Target, volumes: z.boolean().default(false) }),
  z.object({
    action: z.literal("logs"),
    ...Target,
    tail: z.number().int().min(0).max(10_000).default(100),
    /** Unix seconds. */
    since: z.number().int().min(0).optional(),
    follow: z.boolean().default(false),
    timestamps: z.boolean().default(false),
  }),
  z.object({ action: z.literal("stats"), ...Target }),
]);
export type Command = z.infer<typeof Command>;
export type CommandInput = z.input<typeof Command>;
export type CommandAction = Command["action"];

export const LogLine = z.object({
  stream: z.enum(["stdout", "stderr"]),
  /** RFC 3339 with nanoseconds when timestamps were asked for. */
  ts: z.string().max(64).optional(),
  text: z.string().max(64 * 1024),
});
export type LogLine = z.infer<typeof LogLine>;

export const CommandError = z.object({
  code: z.string().max(100),
  message: z.string().max(4000),
  /** The local policy rule that refused the command, if any. */
  rule: z.string().max(100).optional(),
});
export type CommandError = z.infer<typeof CommandError>;

// ---------------------------------------------------------------- events

export const AgentEvent = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("container"),
    allocationId: Id,
    containerId: z.string().regex(/^[0-9a-f]{12,64}$/),
    state: ContainerState,
    exitCode: z.number().int().nullable().optional(),
    /** Docker's event action (start, die, oom, destroy…). */
    action: z.string().max(100),
  }),
  z.object({
    kind: z.literal("pull"),
    image: z.string().max(500),
    status: z.string().max(500),
    progress: z.number().min(0).max(1).optional(),
  }),
  z.object({
    kind: z.literal("docker"),
    healthy: z.boolean(),
    error: z.string().max(2000).optional(),
  }),
  z.object({
    kind: z.literal("dropped"),
    count: z.number().int().min(1),
    /** Sequence numbers of the first and last record dropped. */
    fromSeq: z.number().int().min(0),
    toSeq: z.number().int().min(0),
  }),
  z.object({
    kind: z.literal("error"),
    message: z.string().max(4000),
    context: z.string().max(200).optional(),
  }),
]);
export type AgentEvent = z.infer<typeof AgentEvent>;

// ---------------------------------------------------------------- agent → server

const Seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const Timestamp = z.string().datetime({ offset: true });

/** What the owner offers of the machine: caps on its CPU share, memory and disk. */
export const NodeOfferShape = z.object({
  cpuPercent: z.number().int().min(1).max(100).optional(),
  memoryMiB: z.number().int().min(0).max(1e9).optional(),
  diskGiB: z.number().int().min(0).max(1e9).optional(),
});
/**
 * The owner's settings (`lattice-agent join --hours … --max-cpu …`). Absent fields leave the
 * server's values alone; null clears them. The server ignores them once an admin set either.
 */
export const AgentSettings = z.object({
  schedule: Schedule.nullable().optional(),
  offer: NodeOfferShape.nullable().optional(),
});

export const Hello = z.object({
  type: z.literal("hello"),
  protocol: z.number().int(),
  nodeId: Id,
  agentVersion: z.string().max(50),
  capabilities: Capabilities,
  labels: LabelMap,
  inventory: z.array(InventoryItem).max(1000),
  /** Optional: agents before issue 6 do not send it. */
  settings: AgentSettings.optional(),
});
export const Proof = z.object({
  type: z.literal("proof"),
  /** Ed25519 signature of proofMessage(nonce, nodeId), base64url. */
  signature: z.string().max(200),
});
export const Heartbeat = z.object({
  type: z.literal("heartbeat"),
  seq: Seq,
  at: Timestamp,
  metrics: Metrics,
});
export const EventMessage = z.object({
  type: z.literal("event"),
  seq: Seq,
  at: Timestamp,
  event: AgentEvent,
});
export const Inventory = z.object({
  type: z.literal("inventory"),
  items: z.array(InventoryItem).max(1000),
});
export const Result = z.discriminatedUnion("ok", [
  z.object({ type: z.literal("result"), id: Id, ok: z.literal(true), data: z.unknown() }),
  z.object({ type: z.literal("result"), id: Id, ok: z.literal(false), error: CommandError }),
]);
/** A chunk of a followed log stream; `done` ends it (no result follows a followed stream). */
export const LogChunk = z.object({
  type: z.literal("logs"),
  id: Id,
  lines: z.array(LogLine).max(1000),
  done: z.boolean().default(false),
});

export const AgentMessage = z.union([
  z.discriminatedUnion("type", [Hello, Proof, Heartbeat, EventMessage, Inventory, LogChunk]),
  Result,
]);
export type AgentMessage = z.infer<typeof AgentMessage>;
export type Hello = z.infer<typeof Hello>;
export type Heartbeat = z.infer<typeof Heartbeat>;
export type EventMessage = z.infer<typeof EventMessage>;
export type Result = z.infer<typeof Result>;
export type LogChunk = z.infer<typeof LogChunk>;

// ---------------------------------------------------------------- server → agent

export const Challenge = z.object({
  type: z.literal("challenge"),
  nonce: z.string().min(16).max(200),
  serverTime: Timestamp,
});
export const Welcome = z.object({
  type: z.literal("welcome"),
  nodeId: Id,
  heartbeatIntervalMs: z.number().int().min(100).max(600_000),
  minAgentVersion: z.string().max(50),
  serverTime: Timestamp,
  /** The highest sequence number already stored; the agent drops its buffer up to it. */
  ackedSeq: z.number().int().min(0),
});
export const Pending = z.object({
  type: z.literal("pending"),
  message: z.string().max(1000),
});
export const Rejected = z.object({
  type: z.literal("rejected"),
  code: z.enum([
    "rejected",
    "revoked",
    "unknown_node",
    "bad_proof",
    "agent_too_old",
    "unsupported_protocol",
  ]),
  reason: z.string().max(2000),
});
export const Ack = z.object({ type: z.literal("ack"), seq: z.number().int().min(0) });
export const CommandMessage = z.object({
  type: z.literal("command"),
  id: Id,
  command: Command,
});
/** Stop a followed log stream. */
export const Cancel = z.object({ type: z.literal("cancel"), id: Id });

export const ServerMessage = z.discriminatedUnion("type", [
  Challenge,
  Welcome,
  Pending,
  Rejected,
  Ack,
  CommandMessage,
  Cancel,
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type Welcome = z.infer<typeof Welcome>;
export type Rejected = z.infer<typeof Rejected>;
export type CommandMessage = z.infer<typeof CommandMessage>;

/** The exact bytes an agent signs to prove its key: bound to the nonce and the node. */
export function proofMessage(nonce: string, nodeId: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`lattice-agent-proof:v${PROTOCOL_VERSION}:${nonce}:${nodeId}`);
}

// ---------------------------------------------------------------- join (HTTP)

/** `POST /api/v1/agents/join`: a new node registers its public key with a join token. */
export const JoinRequest = z.object({
  token: z.string().min(1).max(200),
  /** Ed25519 public key, raw 32 bytes, base64url. */
  publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "must be a base64url Ed25519 public key"),
  name: z.string().trim().min(1).max(100),
  labels: LabelMap.default({}),
  agentVersion: z.string().max(50),
});
export type JoinRequest = z.infer<typeof JoinRequest>;
export const JoinResponse = z.object({
  nodeId: Id,
  approval: z.enum(["pending", "approved"]),
  poolId: Id,
  poolName: Name,
});
export type JoinResponse = z.infer<typeof JoinResponse>;

/** Compare dotted versions numerically ("0.10.0" > "0.9.1"); pre-release tags are ignored. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => v.replace(/^v/, "").split(/[-+]/)[0].split(".").map(Number);
  const pa = parse(a), pb = parse(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

// ---------------------------------------------------------------- signed HTTP requests

/** Headers of an HTTP request an agent signs with its node key (bandwidth test, self status). */
export const NODE_AUTH_HEADERS = {
  node: "x-lattice-node",
  time: "x-lattice-time",
  signature: "x-lattice-signature",
} as const;
/** How far a signed request's time may be from the server's clock. */
export const NODE_AUTH_MAX_SKEW_MS = 5 * 60_000;

/** The bytes an agent signs for an HTTP request: method, path, time (Unix ms) and node. */
export function requestSignatureMessage(
  method: string,
  path: string,
  time: number,
  nodeId: string,
): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(
    `lattice-agent-request:v1:${method.toUpperCase()}:${path}:${time}:${nodeId}`,
  );
}

/** `GET /api/v1/agents/self`: what the control plane knows of the calling node. */
export const NodeSelf = z.object({
  nodeId: Id,
  name: z.string(),
  approval: z.enum(["pending", "approved", "rejected", "revoked"]),
  approvalReason: z.string().nullable(),
  status: z.enum(["unknown", "online", "offline"]),
  /** 0–1000; null until the rank job has ranked the node (older servers leave it out). */
  rank: z.number().int().min(0).max(1000).nullable().optional(),
  serverTime: Timestamp,
});
export type NodeSelf = z.infer<typeof NodeSelf>;
