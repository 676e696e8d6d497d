-- Node rank history (DESIGN §5): seconds online per node per UTC day, and the indexes the rank
-- job's set-based queries need. The rank job (lib/nodes/rank_job.ts) deletes days older than
-- its 30-day window, so the table holds about 31 rows per node.

CREATE TABLE node_uptime_daily (
  node_id uuid NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
  day date NOT NULL,
  online_seconds double precision NOT NULL DEFAULT 0
    CHECK (online_seconds >= 0 AND online_seconds <= 86400),
  PRIMARY KEY (node_id, day)
);
CREATE INDEX node_uptime_daily_day_idx ON node_uptime_daily (day);

-- Credit a finished online stretch [OLD.connected_at, end) to the days it spans. It ends when
-- the node goes offline (at offline_since: the stale sweep backdates it to the last heartbeat)
-- or when a newer session replaces the old one (connected_at moves on). A trigger rather than
-- application code, so that every path that changes a node's status is counted, including the
-- sweeps of other replicas. The stretch still open is counted by the rank job from connected_at.
CREATE FUNCTION node_uptime_credit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  started timestamp := OLD.connected_at AT TIME ZONE 'UTC';
  ended timestamp := (CASE WHEN NEW.status = 'offline' AND NEW.offline_since IS NOT NULL
    THEN NEW.offline_since ELSE now() END) AT TIME ZONE 'UTC';
BEGIN
  -- Nothing older than the window is kept anyway; this also bounds the days generated.
  started := GREATEST(started, date_trunc('day', (now() AT TIME ZONE 'UTC') - interval '31 days'));
  IF ended <= started THEN
    RETURN NULL;
  END IF;
  INSERT INTO node_uptime_daily AS u (node_id, day, online_seconds)
  SELECT NEW.id, d::date,
    EXTRACT(EPOCH FROM LEAST(ended, d + interval '1 day') - GREATEST(started, d))
  FROM generate_series(date_trunc('day', started), ended, interval '1 day') AS d
  WHERE LEAST(ended, d + interval '1 day') > GREATEST(started, d)
  ON CONFLICT (node_id, day) DO UPDATE
    SET online_seconds = LEAST(86400, u.online_seconds + EXCLUDED.online_seconds);
  RETURN NULL;
END;
$$;

CREATE TRIGGER nodes_uptime_credit AFTER UPDATE OF status, connected_at ON nodes
  FOR EACH ROW
  WHEN (OLD.status = 'online' AND OLD.connected_at IS NOT NULL
    AND (NEW.status <> 'online' OR NEW.connected_at IS DISTINCT FROM OLD.connected_at))
  EXECUTE FUNCTION node_uptime_credit();

-- Heartbeat gaps per node over a recent window (heartbeat stability).
CREATE INDEX IF NOT EXISTS node_metrics_node_received_idx ON node_metrics (node_id, received_at);

-- Deploy outcomes per node over the window (job success).
CREATE INDEX workload_events_deploy_outcome_idx ON workload_events (at, node_id)
  WHERE kind IN ('deployed', 'deploy_failed') AND node_id IS NOT NULL;
