/**
 * How the dashboard shows workloads: status tones, replica counts, the "why is it not placed"
 * explanation and the live list's reducer. Pure and free of zod, so islands import it.
 */
import type { workloadDto } from "./service.ts";

/** A workload as the API and the stream send it. */
export type WorkloadDto = ReturnType<typeof workloadDto>;
/** An entry of a workload's history as `GET …/events` sends it. */
export interface WorkloadEventDto {
  id: number;
  at: string;
  kind: string;
  message: string;
  allocationId: string | null;
  nodeId: string | null;
}

/** The DOM event a workload page's islands share its latest record by (detail: WorkloadDto). */
export const WORKLOAD_EVENT = "lattice:workload";
/** An island that starts late asks for the latest WORKLOAD_EVENT with this DOM event. */
export const WORKLOAD_ASK_EVENT = "lattice:workload-ask";

/** Every status, in the order the filter offers them. */
export const STATUS_ORDER = [
  "pending",
  "scheduled",
  "running",
  "stopped",
  "failed",
  "lost",
] as const;

/** The colour family of a status badge. */
export type StatusTone = "ok" | "info" | "warn" | "bad" | "neutral";

const TONES: Record<string, StatusTone> = {
  running: "ok",
  scheduled: "info",
  pending: "warn",
  stopped: "neutral",
  failed: "bad",
  lost: "bad",
};

/** The tone of a workload status (unknown ones are neutral). */
export function statusTone(status: string): StatusTone {
  return TONES[status] ?? "neutral";
}

/**
 * Replicas running against replicas wanted. A replica counts once however many containers
 * its slot has (a rolling update runs two for a moment); a stopped workload wants none.
 */
export function replicaCounts(w: WorkloadDto): { running: number; wanted: number } {
  const slots = new Set(
    w.allocations.filter((a) => a.state === "running" && a.desired !== "removed").map((a) =>
      a.slot
    ),
  );
  return { running: slots.size, wanted: w.desired === "running" ? w.spec.replicas : 0 };
}

const TEMPLATE_LABELS: Record<string, string> = {
  postgres: "Postgres",
  redis: "Redis",
  minio: "MinIO",
  custom: "Custom image",
};

/** A template's display name ("Postgres", "Custom image"). */
export function templateLabel(template: string): string {
  return TEMPLATE_LABELS[template] ?? template;
}

/** What each feasibility filter's rejection means, as a phrase about the nodes it counts. */
const FILTER_PHRASES: Record<string, string> = {
  pool: "are in another pool",
  approved: "are not approved",
  online: "are offline",
  hours: "are outside their computation hours",
  constraints: "do not match the label constraints",
  agentVersion: "run an agent that is too old",
  runtime: "lack the container runtime",
  cpu: "lack free CPU",
  memory: "lack free memory",
  disk: "lack free disk",
  gpus: "lack free GPUs",
  antiAffinitySelf: "already run a replica of it",
  affinity: "break its affinity rules",
};

/** One line of the "why is it not placed" explanation. */
export interface UnplacedRow {
  filter: string;
  count: number;
  text: string;
}

/** The nodes each filter turned away, most first, in words ("3 nodes lack free memory"). */
export function unplacedRows(unplaced: Record<string, number> | null): UnplacedRow[] {
  if (!unplaced) return [];
  return Object.entries(unplaced)
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([filter, count]) => ({
      filter,
      count,
      text: `${count} ${count === 1 ? "node" : "nodes"} ${
        singular(FILTER_PHRASES[filter] ?? `fail the ${filter} check`, count)
      }`,
    }));
}

function singular(phrase: string, count: number): string {
  if (count !== 1) return phrase;
  return phrase.replace(/^are /, "is ").replace(/^do not /, "does not ").replace(
    /^(run|lack|break|fail)\b/,
    "$1s",
  ).replace(/^already run\b/, "already runs");
}

/** A live list event, as the workload stream sends them. */
export type StreamEvent =
  | { event: "snapshot"; data: { workloads: WorkloadDto[] } }
  | { event: "workload"; data: WorkloadDto }
  | { event: "deleted"; data: { id: string } };

/** The list after a stream event: newest first, one entry per workload. */
export function applyStreamEvent(list: WorkloadDto[], e: StreamEvent): WorkloadDto[] {
  switch (e.event) {
    case "snapshot":
      return e.data.workloads;
    case "deleted":
      return list.filter((w) => w.id !== e.data.id);
    case "workload": {
      const i = list.findIndex((w) => w.id === e.data.id);
      if (i >= 0) return list.map((w, j) => (j === i ? e.data : w));
      return [e.data, ...list].sort((a, b) =>
        b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id)
      );
    }
  }
}

/** Where a published port is reached, e.g. "127.0.0.1:40000 → 6379". */
export function portLabel(p: { container: number; hostIp: string; hostPort: number }): string {
  return `${p.hostIp || "0.0.0.0"}:${p.hostPort} → ${p.container}`;
}

/** Resources of one replica in words: "0.25 CPU · 256 MiB · 1 GiB disk". */
export function resourcesLabel(r: {
  cpuMillicores: number;
  memoryMiB: number;
  diskGiB: number;
  gpus: number;
}): string {
  const memory = r.memoryMiB >= 1024
    ? `${Math.round(r.memoryMiB / 102.4) / 10} GiB`
    : `${r.memoryMiB} MiB`;
  const parts = [`${r.cpuMillicores / 1000} CPU`, memory, `${r.diskGiB} GiB disk`];
  if (r.gpus > 0) parts.push(`${r.gpus} GPU${r.gpus === 1 ? "" : "s"}`);
  return parts.join(" · ");
}
