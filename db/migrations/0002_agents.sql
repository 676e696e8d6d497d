-- Agents: live status on node records, stored heartbeats and events, and the containers each
-- node runs. Sequence numbers come from the agent; (node_id, seq) makes every replay harmless.

ALTER TABLE nodes
  ADD COLUMN status text NOT NULL DEFAULT 'unknown'
    CHECK (status IN ('unknown', 'online', 'offline')),
  ADD COLUMN docker_healthy boolean,
  ADD COLUMN last_metrics jsonb,
  -- The highest agent sequence number stored; sent back in `welcome` so the agent trims its buffer.
  ADD COLUMN acked_seq bigint NOT NULL DEFAULT 0,
  ADD COLUMN connected_at timestamptz,
  ADD COLUMN remote_addr text;
CREATE INDEX nodes_status_idx ON nodes (status);

-- Join tokens record who used them last, for the admin list.
ALTER TABLE join_tokens ADD COLUMN last_used_at timestamptz;

-- Heartbeat metrics, one row per heartbeat, kept for LATTICE_METRICS_RETENTION_HOURS.
CREATE TABLE node_metrics (
  node_id uuid NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
  seq bigint NOT NULL,
  at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  cpu_percent real NOT NULL,
  memory_used bigint NOT NULL,
  memory_total bigint NOT NULL,
  disk_used bigint NOT NULL,
  disk_total bigint NOT NULL,
  rx_bps bigint NOT NULL,
  tx_bps bigint NOT NULL,
  docker_healthy boolean NOT NULL,
  containers integer NOT NULL,
  PRIMARY KEY (node_id, seq)
);
CREATE INDEX node_metrics_at_idx ON node_metrics (at);

-- Events a node reported (container state changes, pulls, Docker health, dropped buffers).
CREATE TABLE node_events (
  node_id uuid NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
  seq bigint NOT NULL,
  at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  kind text NOT NULL,
  allocation_id uuid,
  data jsonb NOT NULL,
  PRIMARY KEY (node_id, seq)
);
CREATE INDEX node_events_received_idx ON node_events (received_at);

-- Containers the control plane knows of, per allocation. An allocation belongs to one node;
-- a session may only report on its own node's allocations.
CREATE TABLE node_containers (
  allocation_id uuid PRIMARY KEY,
  node_id uuid NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
  workload_id text,
  container_id text,
  name text NOT NULL DEFAULT '',
  image text NOT NULL DEFAULT '',
  state text NOT NULL,
  exit_code integer,
  ports jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX node_containers_node_idx ON node_containers (node_id);
