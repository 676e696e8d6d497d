import type { Queryable } from "./db.ts";
import type { Capabilities } from "../lib/protocol.ts";
import type { Offer } from "../lib/scheduling/views.ts";
import type { RankInputRow, RankParts } from "../lib/nodes/rank_inputs.ts";

/** Windows of the history queries. */
export interface RankQueryOptions {
  /** Availability and job success look back this many days. */
  windowDays: number;
  /** Heartbeat gaps are measured over this recent window. */
  jitterWindowMs: number;
  /** Longer gaps are a session break (counted by availability), not jitter. */
  maxGapMs: number;
}

/**
 * The history of every approved node, in three set-based statements whatever the node count:
 * uptime and tenure, deploy outcomes, heartbeat gaps. Durations use the database's clock.
 */
export async function loadRankInputs(
  db: Queryable,
  options: RankQueryOptions,
): Promise<RankInputRow[]> {
  // The window starts 30 days ago or at approval, whichever is later. Uptime days are whole
  // UTC days, so the first day may hold a little time from before the start: the conversion
  // caps availability at 1.
  const nodes = await db.query(
    `WITH w AS (
       SELECT n.id, n.rank, n.status, n.connected_at, n.capabilities, n.offer,
         COALESCE(n.approved_at, n.created_at) AS approved,
         GREATEST(COALESCE(n.approved_at, n.created_at),
           now() - ($1::int * interval '1 day')) AS since
       FROM nodes n WHERE n.approval = 'approved'
     )
     SELECT w.id, w.rank, w.capabilities, w.offer,
       EXTRACT(EPOCH FROM now() - w.since)::float8 AS window_seconds,
       EXTRACT(EPOCH FROM now() - w.approved)::float8 AS tenure_seconds,
       COALESCE((SELECT sum(u.online_seconds) FROM node_uptime_daily u
         WHERE u.node_id = w.id AND u.day >= (w.since AT TIME ZONE 'UTC')::date), 0)::float8
         + CASE WHEN w.status = 'online' AND w.connected_at IS NOT NULL
             THEN GREATEST(0, EXTRACT(EPOCH FROM now() - GREATEST(w.connected_at, w.since)))
             ELSE 0 END::float8 AS online_seconds
     FROM w ORDER BY w.id`,
    [options.windowDays],
  );
  if (nodes.length === 0) return [];
  const outcomes = await db.query(
    `SELECT e.node_id,
       count(*) FILTER (WHERE e.kind = 'deployed')::int AS succeeded,
       count(*) FILTER (
         WHERE e.kind = 'deploy_failed' AND (e.data ->> 'blame') IS DISTINCT FROM 'workload'
       )::int AS failed
     FROM workload_events e
     WHERE e.kind IN ('deployed', 'deploy_failed') AND e.node_id IS NOT NULL
       AND e.at > now() - ($1::int * interval '1 day')
     GROUP BY e.node_id`,
    [options.windowDays],
  );
  // One index range scan per node on node_metrics (node_id, received_at). Heartbeats stored in
  // one batch share a received_at, so an agent flushing its buffer shows up as uneven gaps.
  const gaps = await db.query(
    `SELECT g.node_id, count(*)::int AS gaps, avg(g.gap_ms)::float8 AS mean_ms,
       stddev_pop(g.gap_ms)::float8 AS stddev_ms
     FROM (
       SELECT m.node_id, EXTRACT(EPOCH FROM m.received_at - lag(m.received_at)
         OVER (PARTITION BY m.node_id ORDER BY m.received_at, m.seq))::float8 * 1000 AS gap_ms
       FROM nodes n CROSS JOIN LATERAL (
         SELECT x.node_id, x.received_at, x.seq FROM node_metrics x
         WHERE x.node_id = n.id
           AND x.received_at > now() - ($1::bigint * interval '1 millisecond')
       ) m
       WHERE n.approval = 'approved'
     ) g
     WHERE g.gap_ms IS NOT NULL AND g.gap_ms <= $2::float8
     GROUP BY g.node_id`,
    [Math.round(options.jitterWindowMs), options.maxGapMs],
  );
  const outcomesOf = new Map(outcomes.map((r) => [r.node_id as string, r]));
  const gapsOf = new Map(gaps.map((r) => [r.node_id as string, r]));
  return nodes.map((r) => {
    const id = r.id as string;
    const o = outcomesOf.get(id);
    const g = gapsOf.get(id);
    const caps = r.capabilities as Record<string, unknown> | null;
    return {
      nodeId: id,
      currentRank: r.rank as number,
      windowSeconds: Number(r.window_seconds),
      onlineSeconds: Number(r.online_seconds),
      tenureSeconds: Number(r.tenure_seconds),
      // The column defaults to {} before the first hello.
      capabilities: caps && Object.keys(caps).length > 0 ? caps as Capabilities : null,
      offer: (r.offer as Offer | null) ?? null,
      deploysSucceeded: (o?.succeeded as number | undefined) ?? 0,
      deploysFailed: (o?.failed as number | undefined) ?? 0,
      heartbeatGaps: (g?.gaps as number | undefined) ?? 0,
      gapMeanMs: g ? Number(g.mean_ms) : null,
      gapStddevMs: g ? Number(g.stddev_ms) : null,
    };
  });
}

/**
 * Store ranks in one statement and stamp `rank_updated_at`; returns the ids whose rank changed
 * (compared with the row as it was before this statement, not as it was loaded).
 */
export async function writeRanks(
  db: Queryable,
  ranks: readonly { nodeId: string; rank: number; parts: RankParts }[],
): Promise<string[]> {
  if (ranks.length === 0) return [];
  const rows = await db.query(
    // Locked in id order, as every writer of several node rows does (db/scheduling.ts).
    `WITH x AS (
       SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS x(id uuid, rank int, parts jsonb)
     ), old AS (
       SELECT n.id, n.rank FROM nodes n WHERE n.id IN (SELECT id FROM x)
       ORDER BY n.id FOR NO KEY UPDATE
     )
     UPDATE nodes n SET rank = x.rank, rank_parts = x.parts, rank_updated_at = now()
     FROM x JOIN old ON old.id = x.id
     WHERE n.id = x.id
     RETURNING n.id, old.rank <> x.rank AS changed`,
    [JSON.stringify(ranks.map((r) => ({ id: r.nodeId, rank: r.rank, parts: r.parts })))],
  );
  return rows.filter((r) => r.changed === true).map((r) => r.id as string);
}

/** Delete uptime days older than `keepDays`; returns how many rows went. */
export async function pruneUptime(db: Queryable, keepDays: number): Promise<number> {
  const rows = await db.query(
    `WITH gone AS (DELETE FROM node_uptime_daily
       WHERE day < (now() AT TIME ZONE 'UTC')::date - $1::int RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [keepDays],
  );
  return rows[0].n as number;
}

/** One leaderboard entry: an approved node, its rank and what the public may know of it. */
export interface LeaderboardRow {
  nodeId: string;
  name: string;
  rank: number;
  parts: RankParts | null;
  status: "unknown" | "online" | "offline";
  poolName: string | null;
  rankUpdatedAt: Date | null;
}

/** The `limit` best approved nodes, by rank then name. */
export async function listLeaderboard(db: Queryable, limit: number): Promise<LeaderboardRow[]> {
  const rows = await db.query(
    `SELECT n.id, n.name, n.rank, n.rank_parts, n.status, p.name AS pool_name, n.rank_updated_at
     FROM nodes n LEFT JOIN pools p ON p.id = n.pool_id
     WHERE n.approval = 'approved'
     ORDER BY n.rank DESC, n.name, n.id LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    nodeId: r.id as string,
    name: r.name as string,
    rank: r.rank as number,
    parts: (r.rank_parts as RankParts | null) ?? null,
    status: r.status as LeaderboardRow["status"],
    poolName: (r.pool_name as string | null) ?? null,
    rankUpdatedAt: (r.rank_updated_at as Date | null) ?? null,
  }));
}
