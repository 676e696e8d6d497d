/** API shapes of workloads (the spec itself is lib/workloads/spec.ts). */
import { z } from "@hono/zod-openapi";

const AllocationSchema = z.object({
  id: z.string(),
  nodeId: z.string(),
  nodeName: z.string().nullable(),
  slot: z.number().int(),
  generation: z.number().int(),
  desired: z.enum(["running", "stopped", "removed"]),
  state: z.enum(["pending", "running", "stopped", "failed", "lost", "removed"]),
  reason: z.string().nullable(),
  containerState: z.string().nullable(),
  ports: z.array(z.object({
    container: z.number(),
    protocol: z.string(),
    hostIp: z.string(),
    hostPort: z.number(),
  })),
  createdAt: z.string(),
  updatedAt: z.string(),
}).openapi("Allocation");

export const WORKLOAD_STATUSES = [
  "pending",
  "scheduled",
  "running",
  "stopped",
  "failed",
  "lost",
] as const;

/** A workload as the API shows it. Credentials are never part of it (see …/connection). */
export const WorkloadSchema = z.object({
  id: z.string(),
  name: z.string(),
  owner: z.object({ id: z.string(), email: z.string().nullable() }),
  spec: z.record(z.string(), z.unknown()).openapi({ description: "The stored WorkloadSpec" }),
  generation: z.number().int(),
  desired: z.enum(["running", "stopped", "deleted"]),
  status: z.enum(WORKLOAD_STATUSES),
  statusReason: z.string().nullable().openapi({
    description: "Why it is not running, in words",
    example: "waiting for capacity: 3 nodes lack 4 GiB of memory; 2 are offline",
  }),
  unplaced: z.record(z.string(), z.number()).nullable().openapi({
    description: "When nothing fits: nodes rejected per filter",
  }),
  deployFailures: z.number().int(),
  allocations: z.array(AllocationSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
}).openapi("Workload");

export const WorkloadEnvelope = z.object({ workload: WorkloadSchema });

export const WorkloadEventSchema = z.object({
  id: z.number(),
  at: z.string(),
  kind: z.string(),
  message: z.string(),
  allocationId: z.string().nullable(),
  nodeId: z.string().nullable(),
  data: z.unknown(),
}).openapi("WorkloadEvent");

/** `Idempotency-Key`: printable ASCII, 1–200 characters. */
export const IdempotencyKey = z.string().regex(
  /^[\x21-\x7e]{1,200}$/,
  "must be 1 to 200 printable ASCII characters without spaces",
);
