/** API shapes of "Add this machine": the local agent the control plane starts on its own host. */
import { z } from "@hono/zod-openapi";

/** Where the local agent is in its life. */
export const LOCAL_AGENT_STATES = ["none", "starting", "running", "stopped", "failed"] as const;

export const LocalAgentStatusSchema = z.object({
  available: z.boolean().openapi({
    description: "Whether this server can start an agent on its own machine (Docker reachable, " +
      "LATTICE_LOCAL_AGENT not off, permission to start programs)",
  }),
  reason: z.string().nullable().openapi({
    description: "Why it is not available, in plain words; null when it is",
    example: "Docker is not running here (nothing answers at /var/run/docker.sock).",
  }),
  state: z.enum(LOCAL_AGENT_STATES).openapi({
    description: "none: never added; starting: joining or restarting; running: the agent " +
      "process runs; stopped: stopped by an admin or the server; failed: see lastError",
  }),
  nodeId: z.uuid().nullable().openapi({ description: "The node it joined as, once joined" }),
  node: z.object({
    name: z.string(),
    approval: z.enum(["pending", "approved", "rejected", "revoked"]),
    status: z.enum(["unknown", "online", "offline"]),
  }).nullable().openapi({ description: "The node as the control plane sees it, once joined" }),
  lastError: z.string().nullable().openapi({
    description: "The last failure (a join error, or how the agent process last exited)",
  }),
  pid: z.number().int().nullable().openapi({ description: "The agent process id while it runs" }),
}).openapi("LocalAgentStatus");
export type LocalAgentStatus = z.infer<typeof LocalAgentStatusSchema>;

export const AddLocalAgentRequest = z.object({
  poolId: z.uuid({ error: "must be a UUID" }).optional().openapi({
    description: "The pool this machine joins; omit for the default pool",
  }),
}).openapi("AddLocalAgentRequest");
