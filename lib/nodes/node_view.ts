// Pure display helpers of the node pages, shared by the server-rendered pages and their
// islands (so nothing here may import zod or server modules).
import { badgeLabel, badgeTier } from "./badges.ts";

/** A point of a series: milliseconds since the epoch and a value. */
export type SeriesPoint = [t: number, value: number];

/** How the node list is filtered, sorted and paged, as read from its URL. */
export interface NodeListQuery {
  status?: "unknown" | "online" | "offline";
  approval?: "pending" | "approved" | "rejected" | "revoked";
  poolId?: string;
  cluster?: string;
  q?: string;
  sort: "created" | "rank" | "name" | "lastSeen" | "cluster";
  order?: "asc" | "desc";
  page: number;
}

/** Rows per page of the node list. */
export const NODES_PER_PAGE = 50;

const STATUSES = ["unknown", "online", "offline"] as const;
const APPROVALS = ["pending", "approved", "rejected", "revoked"] as const;
const SORTS = ["created", "rank", "name", "lastSeen", "cluster"] as const;
const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The node label that names a node's cluster (`lattice-agent join --cluster NAME`). */
export const CLUSTER_LABEL = "lattice.cluster";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function oneOf<T extends string>(values: readonly T[], v: string | null): T | undefined {
  return values.includes(v as T) ? v as T : undefined;
}

/**
 * Read the node list's query string. Anything unknown is ignored rather than refused: the
 * page is reached by links and a plain GET form, so a stale or hand-edited URL still shows
 * nodes.
 */
export function parseNodeListQuery(params: URLSearchParams): NodeListQuery {
  const page = Number(params.get("page"));
  const q = (params.get("q") ?? "").trim().slice(0, 200);
  const poolId = params.get("pool") ?? "";
  const cluster = params.get("cluster") ?? "";
  return {
    status: oneOf(STATUSES, params.get("status")),
    approval: oneOf(APPROVALS, params.get("approval")),
    poolId: UUID.test(poolId) ? poolId.toLowerCase() : undefined,
    cluster: CLUSTER_NAME.test(cluster) ? cluster : undefined,
    q: q || undefined,
    sort: oneOf(SORTS, params.get("sort")) ?? "name",
    order: oneOf(["asc", "desc"] as const, params.get("order")),
    page: Number.isInteger(page) && page >= 1 && page <= 100_000 ? page : 1,
  };
}

/** The URL of the node list with `query` changed by `change` (defaults left out). */
export function nodeListHref(query: NodeListQuery, change: Partial<NodeListQuery> = {}): string {
  const next = { ...query, ...change };
  const params = new URLSearchParams();
  if (next.q) params.set("q", next.q);
  if (next.status) params.set("status", next.status);
  if (next.approval) params.set("approval", next.approval);
  if (next.poolId) params.set("pool", next.poolId);
  if (next.cluster) params.set("cluster", next.cluster);
  if (next.sort !== "name") params.set("sort", next.sort);
  if (next.order) params.set("order", next.order);
  if (next.page > 1) params.set("page", String(next.page));
  const s = params.toString();
  return s ? `/nodes?${s}` : "/nodes";
}

/** The order a click on a column header asks for: the other direction when already sorted. */
export function toggledOrder(
  query: NodeListQuery,
  sort: NodeListQuery["sort"],
  defaults: Record<NodeListQuery["sort"], "asc" | "desc">,
): "asc" | "desc" {
  if (query.sort !== sort) return defaults[sort];
  const current = query.order ?? defaults[sort];
  return current === "asc" ? "desc" : "asc";
}

/** Short day names, Sunday first (as `Date.getDay()`). */
export const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** Consecutive days as ranges: [1,2,3,5] → "Mon–Wed, Fri". */
function dayRanges(days: number[]): string {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(
      j === i
        ? DAY_NAMES[sorted[i]]
        : `${DAY_NAMES[sorted[i]]}${j === i + 1 ? ", " : "–"}${DAY_NAMES[sorted[j]]}`,
    );
    i = j + 1;
  }
  return parts.join(", ");
}

/**
 * Computation hours in a line: "Always", "Never" (no windows), or the windows grouped by
 * time, e.g. "Mon–Fri 09:00–17:00; Sat 10:00–14:00 (Europe/Berlin)".
 */
export function scheduleSummary(
  schedule: { timezone: string; windows: { day: number; start: string; end: string }[] } | null,
): string {
  if (!schedule) return "Always";
  if (schedule.windows.length === 0) return `Never (${schedule.timezone})`;
  const byTime = new Map<string, number[]>();
  for (const w of schedule.windows) {
    const key = `${w.start}–${w.end}`;
    byTime.set(key, [...(byTime.get(key) ?? []), w.day]);
  }
  const groups = [...byTime].sort((a, b) => Math.min(...a[1]) - Math.min(...b[1]));
  return `${
    groups.map(([time, days]) => `${dayRanges(days)} ${time}`).join("; ")
  } (${schedule.timezone})`;
}

/** Bytes for people: "8 GiB", "512 MiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1).replace(/\.0$/, "")} ${units[u]}`;
}

/** A rate in bytes per second as bits per second for people: "12 Mbit/s". */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  if (bytesPerSecond === null || bytesPerSecond === undefined) return "—";
  const bits = bytesPerSecond * 8;
  const units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];
  let v = bits;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1).replace(/\.0$/, "")} ${units[u]}`;
}

/** A percentage with one decimal below 10: "7.5%", "42%". */
export function formatPercent(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return "—";
  return `${p < 10 ? p.toFixed(1) : Math.round(p)}%`;
}

/**
 * The `points` attribute of an SVG polyline drawing `series` inside a `width`×`height` box:
 * time runs from `from` to `to` left to right, values from 0 to `max` bottom to top (clamped).
 * Points outside the time range are left out. Coordinates have one decimal.
 */
export function sparklinePoints(
  series: SeriesPoint[],
  box: { from: number; to: number; max: number; width: number; height: number },
): string {
  const span = Math.max(1, box.to - box.from);
  const max = box.max > 0 ? box.max : 1;
  const out: string[] = [];
  for (const [t, v] of series) {
    if (t < box.from || t > box.to || !Number.isFinite(v)) continue;
    const x = ((t - box.from) / span) * box.width;
    const y = box.height - (Math.min(Math.max(v, 0), max) / max) * box.height;
    out.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  }
  return out.join(" ");
}

/**
 * Add a live point to a series kept for a sparkline: a point in the same bucket as the last
 * one replaces it (so the series holds at most one point per bucket), and points older than
 * `windowMs` before the new one are dropped. Returns a new array.
 */
export function pushPoint(
  series: SeriesPoint[],
  point: SeriesPoint,
  options: { bucketMs: number; windowMs: number },
): SeriesPoint[] {
  const cutoff = point[0] - options.windowMs;
  const kept = series.filter(([t]) => t >= cutoff);
  const last = kept[kept.length - 1];
  if (last && last[0] > point[0]) return kept; // out of order: the series is newer already
  if (last && Math.floor(last[0] / options.bucketMs) === Math.floor(point[0] / options.bucketMs)) {
    kept[kept.length - 1] = point;
  } else {
    kept.push(point);
  }
  return kept;
}

/** What the status badge of a node says and how it is coloured. */
export function nodeStatusBadge(
  n: { status: string; approval: string; drained: boolean },
): { label: string; tone: "ok" | "warn" | "bad" | "muted" } {
  if (n.approval === "pending") return { label: "Pending", tone: "warn" };
  if (n.approval === "rejected") return { label: "Rejected", tone: "bad" };
  if (n.approval === "revoked") return { label: "Revoked", tone: "bad" };
  if (n.status === "online") {
    return n.drained ? { label: "Draining", tone: "warn" } : { label: "Online", tone: "ok" };
  }
  if (n.status === "offline") return { label: "Offline", tone: "bad" };
  return { label: "Never seen", tone: "muted" };
}

/** One row of the node list, as the page and its live island show it (JSON). */
export interface NodeRowView {
  id: string;
  name: string;
  status: "unknown" | "online" | "offline";
  approval: "pending" | "approved" | "rejected" | "revoked";
  drained: boolean;
  rank: number;
  tier: string;
  tierLabel: string;
  poolName: string | null;
  /** The cluster it belongs to (label `lattice.cluster`), if any. */
  cluster: string | null;
  labels: string[];
  agentVersion: string | null;
  lastSeenAt: string | null;
  hours: string;
  cpuPercent: number | null;
  memoryPercent: number | null;
  cpu: SeriesPoint[];
  memory: SeriesPoint[];
}

/** A node's metrics as the list shows them: CPU and memory in percent. */
export function metricPercents(
  m: { cpuPercent: number; memory: { usedBytes: number; totalBytes: number } } | null,
): { cpuPercent: number | null; memoryPercent: number | null } {
  if (!m) return { cpuPercent: null, memoryPercent: null };
  const total = m.memory.totalBytes;
  return {
    cpuPercent: m.cpuPercent,
    memoryPercent: total > 0 ? (m.memory.usedBytes / total) * 100 : null,
  };
}

/** The fields of a node (its API shape) that the list's rows show. */
export interface LiveNode {
  id: string;
  name: string;
  status: NodeRowView["status"];
  approval: NodeRowView["approval"];
  drained: boolean;
  rank: number;
  rankUpdatedAt: string | null;
  poolName: string | null;
  labels: Record<string, string>;
  agentVersion: string | null;
  lastSeenAt: string | null;
  schedule: Parameters<typeof scheduleSummary>[0];
  lastMetrics: Parameters<typeof metricPercents>[0];
}

/**
 * A row updated from a node's fresh record: every shown field is replaced, and the current
 * CPU and memory join the sparklines at the node's last-seen time (see `pushPoint`).
 */
export function applyLiveNode(
  row: NodeRowView,
  node: LiveNode,
  options: { bucketMs: number; windowMs: number },
): NodeRowView {
  const tier = badgeTier(node.rank, node.rankUpdatedAt);
  const now = metricPercents(node.lastMetrics);
  const seen = node.lastSeenAt ? Date.parse(node.lastSeenAt) : NaN;
  const fresh = Number.isFinite(seen) && seen !== Date.parse(row.lastSeenAt ?? "");
  return {
    ...row,
    name: node.name,
    status: node.status,
    approval: node.approval,
    drained: node.drained,
    rank: node.rank,
    tier,
    tierLabel: badgeLabel(tier),
    poolName: node.poolName,
    labels: Object.entries(node.labels).map(([k, v]) => `${k}=${v}`),
    agentVersion: node.agentVersion,
    lastSeenAt: node.lastSeenAt,
    hours: scheduleSummary(node.schedule),
    ...now,
    cpu: fresh && now.cpuPercent !== null
      ? pushPoint(row.cpu, [seen, now.cpuPercent], options)
      : row.cpu,
    memory: fresh && now.memoryPercent !== null
      ? pushPoint(row.memory, [seen, now.memoryPercent], options)
      : row.memory,
  };
}

/** A round number at or above `v` (1, 2 or 5 times a power of ten), for a chart's axis. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Labels as the editor shows them: one `key=value` per line, sorted by key. */
export function formatLabels(labels: Record<string, string>): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join("\n");
}

/**
 * The editor's text as labels: one `key=value` per line, blank lines skipped, spaces around
 * key and value trimmed. Keys are checked by the API (so its message is the one shown); this
 * only refuses lines without `=` and repeated keys.
 */
export function parseLabels(
  text: string,
): { labels: Record<string, string> } | { error: string } {
  const labels: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) return { error: `Line ${i + 1}: write key=value` };
    const key = line.slice(0, eq).trim();
    if (key in labels) return { error: `Line ${i + 1}: "${key}" is given twice` };
    labels[key] = line.slice(eq + 1).trim();
  }
  return { labels };
}
