/**
 * The overview from plain rows (pure): counts, capacity (the scheduler's own `nodeCapacity`, so
 * "free" here is what placement sees), recent events newest first, alerts computed from current
 * state, and next steps that depend on that state.
 */
import type { ActivityRow, CapacityRow, NodeCountRow, TroubleRow } from "../../db/overview.ts";
import {
  type NextStep,
  type Overview,
  type OverviewAlert,
  type OverviewEvent,
  WORKLOAD_STATUS_ORDER,
} from "../api/admin_schemas.ts";
import { nodeCapacity } from "../scheduling/views.ts";

/** How many recent events the overview shows. */
export const OVERVIEW_EVENTS = 8;
/** How many alerts of each kind are listed one by one. */
export const OVERVIEW_ALERTS_PER_KIND = 5;

/** Everything the overview is built from. */
export interface OverviewInput {
  admin: boolean;
  nodeCounts: NodeCountRow[];
  capacity: CapacityRow[];
  workloadCounts: { status: string; n: number }[];
  events: ActivityRow[];
  offlineNodes: TroubleRow[];
  troubledWorkloads: TroubleRow[];
  /** Scheduler jobs Deno KV could not deliver (admins only; 0 for users). */
  undeliveredJobs: number;
  now: Date;
}

/** A node event in words: "container running (start)". */
export function describeNodeEvent(kind: string, data: Record<string, unknown>): string {
  const s = (v: unknown) => (typeof v === "string" ? v : v === undefined ? "" : String(v));
  switch (kind) {
    case "container":
      return `container ${s(data.state)}${data.action ? ` (${s(data.action)})` : ""}`;
    case "pull":
      return `pulling ${s(data.image)}: ${s(data.status)}`;
    case "docker":
      return data.healthy ? "Docker is healthy" : `Docker is unhealthy: ${s(data.error)}`.trim();
    case "dropped":
      return `${s(data.count)} buffered records were dropped while offline`;
    case "error":
      return s(data.message) || "error";
    default:
      return kind;
  }
}

function toEvent(e: ActivityRow): OverviewEvent {
  return {
    source: e.source,
    at: e.at.toISOString(),
    kind: e.kind,
    subject: e.subject,
    href: e.source === "workload" ? `/workloads/${e.subjectId}` : `/nodes/${e.subjectId}`,
    message: e.source === "workload" ? e.message : describeNodeEvent(e.kind, e.data),
  };
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Alerts from current state: offline nodes, failed or lost workloads, undelivered jobs. */
export function computeAlerts(input: OverviewInput): OverviewAlert[] {
  const alerts: OverviewAlert[] = [];
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  for (const w of input.troubledWorkloads.slice(0, OVERVIEW_ALERTS_PER_KIND)) {
    alerts.push({
      id: `workload-${w.state}-${w.id}`,
      severity: "critical",
      kind: w.state === "lost" ? "workload_lost" : "workload_failed",
      title: `Workload ${w.name} ${w.state === "lost" ? "was lost" : "failed"}`,
      detail: w.reason ??
        (w.state === "lost"
          ? "Its node stopped answering; Lattice places it again when capacity allows."
          : "Open it to see the events and logs."),
      href: `/workloads/${w.id}`,
      since: iso(w.since),
    });
  }
  if (input.admin) {
    for (const n of input.offlineNodes.slice(0, OVERVIEW_ALERTS_PER_KIND)) {
      alerts.push({
        id: `node-offline-${n.id}`,
        severity: "warning",
        kind: "node_offline",
        title: `Node ${n.name} is offline`,
        detail: "Its agent is not connected; workloads on it move elsewhere after a grace period.",
        href: `/nodes/${n.id}`,
        since: iso(n.since),
      });
    }
    if (input.undeliveredJobs > 0) {
      alerts.push({
        id: "undelivered-jobs",
        severity: "warning",
        kind: "undelivered_jobs",
        title: `${plural(input.undeliveredJobs, "scheduler job")} could not be delivered`,
        detail: "The periodic reconciler schedules those workloads anyway; see " +
          "GET /api/v1/scheduler/undelivered.",
        href: "/api/v1/scheduler/undelivered",
        since: null,
      });
    }
  }
  return alerts;
}

/** What to do next, in order; empty when everything is in place. */
export function nextSteps(
  input: { admin: boolean; approved: number; online: number; pending: number; workloads: number },
): NextStep[] {
  const steps: NextStep[] = [];
  if (input.admin && input.approved === 0 && input.pending === 0) {
    steps.push({
      id: "join",
      title: "Add a machine",
      text: "Create a join token and run the one-line command on a machine with Docker.",
      href: "/join",
      action: "Join a node",
    });
  }
  if (input.admin && input.pending > 0) {
    steps.push({
      id: "approve",
      title: `Approve ${plural(input.pending, "waiting node")}`,
      text: "Check each machine's capabilities and fingerprint, then approve or reject it.",
      href: "/approvals",
      action: "Open Approvals",
    });
  }
  if (!input.admin && input.online === 0) {
    steps.push({
      id: "wait-for-nodes",
      title: "No machines are online yet",
      text: "An administrator adds machines; workloads wait until one can run them.",
      href: null,
      action: null,
    });
  }
  if (input.workloads === 0) {
    steps.push({
      id: "deploy",
      title: "Deploy your first workload",
      text: "Start Postgres, Redis or MinIO from a template, or any container image.",
      href: "/workloads/new",
      action: "Deploy",
    });
  }
  return steps;
}

/** Capacity (total and allocated) of the given online approved nodes. */
export function sumCapacity(rows: readonly CapacityRow[]): Overview["capacity"] {
  const capacity = {
    cpuMillicores: { total: 0, used: 0 },
    memoryMiB: { total: 0, used: 0 },
    gpus: { total: 0, used: 0 },
  };
  for (const row of rows) {
    const cap = nodeCapacity(row.capabilities, row.offer);
    capacity.cpuMillicores.total += cap.cpuMillicores;
    capacity.cpuMillicores.used += row.allocated.cpuMillicores;
    capacity.memoryMiB.total += cap.memoryMiB;
    capacity.memoryMiB.used += row.allocated.memoryMiB;
    capacity.gpus.total += cap.gpus;
    capacity.gpus.used += row.allocated.gpus;
  }
  return capacity;
}

/** Capacity per pool id, for the Pools page's health. */
export function capacityByPool(rows: readonly CapacityRow[]): Map<string, Overview["capacity"]> {
  const groups = new Map<string, CapacityRow[]>();
  for (const row of rows) {
    if (!row.poolId) continue;
    const list = groups.get(row.poolId) ?? [];
    list.push(row);
    groups.set(row.poolId, list);
  }
  return new Map([...groups].map(([id, list]) => [id, sumCapacity(list)]));
}

/** Build the overview. */
export function buildOverview(input: OverviewInput): Overview {
  let approved = 0;
  let online = 0;
  let pending = 0;
  for (const r of input.nodeCounts) {
    if (r.approval === "approved") {
      approved += r.n;
      if (r.status === "online") online += r.n;
    } else if (r.approval === "pending") pending += r.n;
  }
  const capacity = sumCapacity(input.capacity);
  const byStatus = Object.fromEntries(WORKLOAD_STATUS_ORDER.map((s) => [s, 0])) as Overview[
    "workloads"
  ]["byStatus"];
  let total = 0;
  for (const r of input.workloadCounts) {
    if (r.status in byStatus) byStatus[r.status as keyof typeof byStatus] += r.n;
    total += r.n;
  }
  const events = [...input.events]
    .sort((a, b) => b.at.getTime() - a.at.getTime())
    .slice(0, OVERVIEW_EVENTS)
    .map(toEvent);
  return {
    generatedAt: input.now.toISOString(),
    scope: input.admin ? "all" : "own",
    nodes: { total: approved, online, pending: input.admin ? pending : 0 },
    capacity,
    workloads: { total, byStatus },
    events,
    alerts: computeAlerts(input),
    nextSteps: nextSteps({ admin: input.admin, approved, online, pending, workloads: total }),
  };
}
