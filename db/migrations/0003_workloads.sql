-- Workloads (desired state), their allocations (placement decisions), idempotency keys, node
-- schedules and ranks. A workload's spec is the parsed WorkloadSpec (lib/workloads/spec.ts).

CREATE TABLE workloads (
  id uuid PRIMARY KEY,
  owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (name ~ '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'),
  spec jsonb NOT NULL,
  -- Bumped by every change that needs new containers (PATCH, restart).
  generation integer NOT NULL DEFAULT 1 CHECK (generation > 0),
  desired text NOT NULL DEFAULT 'running' CHECK (desired IN ('running', 'stopped', 'deleted')),
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'scheduled', 'running', 'stopped', 'failed', 'lost')),
  -- Why the workload is not running, in words; null when it runs as asked.
  status_reason text,
  -- When nothing fits: the filters that rejected nodes, counted ({"memory": 3, "online": 2}).
  unplaced jsonb,
  -- Template credentials, sealed with the server's encryption key (lib/crypto/secret_box.ts).
  credentials_sealed text,
  deploy_failures integer NOT NULL DEFAULT 0,
  -- The spec before the last change, to roll back to when the new one never becomes healthy.
  previous_spec jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX workloads_owner_name_key ON workloads (owner_id, name)
  WHERE desired <> 'deleted';
CREATE INDEX workloads_status_idx ON workloads (status);
CREATE INDEX workloads_created_idx ON workloads (created_at DESC, id);

-- One replica of a workload placed on a node. `desired` is what the control plane wants of it,
-- `state` what it knows; the agent's reports land in node_containers under the same id.
CREATE TABLE allocations (
  id uuid PRIMARY KEY,
  workload_id uuid NOT NULL REFERENCES workloads (id) ON DELETE CASCADE,
  node_id uuid NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
  slot integer NOT NULL CHECK (slot >= 0),
  generation integer NOT NULL,
  desired text NOT NULL DEFAULT 'running' CHECK (desired IN ('running', 'stopped', 'removed')),
  state text NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'running', 'stopped', 'failed', 'lost', 'removed')),
  reason text,
  -- What the scheduler reserved on the node (cpuMillicores, memoryMiB, diskGiB, gpus).
  cpu_millicores integer NOT NULL,
  memory_mib integer NOT NULL,
  disk_gib integer NOT NULL,
  gpus integer NOT NULL,
  stateful boolean NOT NULL DEFAULT false,
  -- Published ports as the agent reported them after deploy.
  ports jsonb NOT NULL DEFAULT '[]'::jsonb,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX allocations_workload_idx ON allocations (workload_id);
-- Live allocations hold capacity on their node.
CREATE INDEX allocations_node_live_idx ON allocations (node_id) WHERE desired <> 'removed';

-- What happened to a workload, for its events list and timeline.
CREATE TABLE workload_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workload_id uuid NOT NULL REFERENCES workloads (id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  kind text NOT NULL,
  message text NOT NULL,
  allocation_id uuid,
  node_id uuid,
  data jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX workload_events_workload_idx ON workload_events (workload_id, id);

-- `Idempotency-Key` of POST /api/v1/workloads: one answer per (user, key) for 24 hours.
CREATE TABLE idempotency_keys (
  owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key text NOT NULL,
  request_hash text NOT NULL,
  status integer,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

ALTER TABLE nodes
  -- Computation hours ({timezone, windows}); null means always available.
  ADD COLUMN schedule jsonb,
  -- Move this node's workloads elsewhere before its window closes (the owner's choice).
  ADD COLUMN evacuate_outside_hours boolean NOT NULL DEFAULT false,
  -- What the owner offers, as caps on the node's capabilities; null means everything.
  ADD COLUMN offer jsonb,
  -- Admin drain: no new placements; running allocations move elsewhere.
  ADD COLUMN drained boolean NOT NULL DEFAULT false,
  ADD COLUMN rank integer NOT NULL DEFAULT 500 CHECK (rank BETWEEN 0 AND 1000),
  ADD COLUMN rank_parts jsonb,
  ADD COLUMN rank_updated_at timestamptz,
  -- Set when the node went offline, to measure the grace period before its allocations are lost.
  ADD COLUMN offline_since timestamptz;
CREATE INDEX nodes_rank_idx ON nodes (rank DESC, id);
