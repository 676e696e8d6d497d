/** API shapes of the overview and of account administration (roles, disabling). */
import { z } from "@hono/zod-openapi";
import type { User } from "../../db/users.ts";

const Usage = (unit: string) =>
  z.object({
    total: z.number().int().min(0).openapi({
      description: `Offered by online approved nodes, ${unit}`,
    }),
    used: z.number().int().min(0).openapi({ description: `Held by live allocations, ${unit}` }),
  });

export const WORKLOAD_STATUS_ORDER = [
  "running",
  "pending",
  "scheduled",
  "stopped",
  "failed",
  "lost",
] as const;

export const OverviewEventSchema = z.object({
  source: z.enum(["workload", "node"]),
  at: z.iso.datetime(),
  kind: z.string(),
  subject: z.string().openapi({ description: "The workload's or node's name" }),
  href: z.string().openapi({ description: "Its dashboard page" }),
  message: z.string(),
}).openapi("OverviewEvent");

export const OverviewAlertSchema = z.object({
  id: z.string().openapi({ description: "Stable while the condition lasts" }),
  severity: z.enum(["critical", "warning"]),
  kind: z.enum(["node_offline", "workload_failed", "workload_lost", "undelivered_jobs"]),
  title: z.string(),
  detail: z.string(),
  href: z.string(),
  since: z.iso.datetime().nullable(),
}).openapi("OverviewAlert");

export const NextStepSchema = z.object({
  id: z.enum(["join", "approve", "deploy", "wait-for-nodes"]),
  title: z.string(),
  text: z.string(),
  href: z.string().nullable(),
  action: z.string().nullable().openapi({ description: "The link's label" }),
}).openapi("NextStep");

/** The overview: counts, capacity, recent events, open alerts and what to do next. */
export const OverviewSchema = z.object({
  generatedAt: z.iso.datetime(),
  scope: z.enum(["all", "own"]).openapi({
    description: "`all` for admins; `own`: workloads, events and alerts of the caller only",
  }),
  nodes: z.object({
    total: z.number().int().openapi({ description: "Approved nodes" }),
    online: z.number().int().openapi({ description: "Approved nodes online" }),
    pending: z.number().int().openapi({ description: "Nodes waiting for approval" }),
  }),
  capacity: z.object({
    cpuMillicores: Usage("millicores"),
    memoryMiB: Usage("MiB"),
    gpus: Usage("GPUs"),
  }),
  workloads: z.object({
    total: z.number().int(),
    byStatus: z.record(z.enum(WORKLOAD_STATUS_ORDER), z.number().int()),
  }),
  events: z.array(OverviewEventSchema),
  alerts: z.array(OverviewAlertSchema),
  nextSteps: z.array(NextStepSchema),
}).openapi("Overview");
export type Overview = z.infer<typeof OverviewSchema>;
export type OverviewEvent = z.infer<typeof OverviewEventSchema>;
export type OverviewAlert = z.infer<typeof OverviewAlertSchema>;
export type NextStep = z.infer<typeof NextStepSchema>;

/** An account as admins see it: with whether it is disabled. */
export const AdminUserSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(["admin", "user"]),
  createdAt: z.iso.datetime(),
  disabledAt: z.iso.datetime().nullable(),
}).openapi("AdminUser");
export type AdminUser = z.infer<typeof AdminUserSchema>;

/** The admin API shape of an account. */
export function adminUserDto(u: User): AdminUser {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    createdAt: u.createdAt.toISOString(),
    disabledAt: u.disabledAt?.toISOString() ?? null,
  };
}

export const UpdateUserRequest = z.strictObject({
  role: z.enum(["admin", "user"], { error: "must be admin or user" }).optional(),
  disabled: z.boolean({ error: "must be true or false" }).optional().openapi({
    description: "true: the account cannot sign in and its sign-ins and API tokens stop working",
  }),
}).refine((p) => Object.keys(p).length > 0, "give role or disabled")
  .openapi("UpdateUserRequest");
export type UpdateUserRequest = z.infer<typeof UpdateUserRequest>;
