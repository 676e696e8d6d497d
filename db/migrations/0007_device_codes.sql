-- Device codes (RFC 8628 style): an agent shows a short user code, an admin approves it on the
-- dashboard, and the agent's next poll receives a fresh single-use join token.
CREATE TABLE device_codes (
  id uuid PRIMARY KEY,
  device_code_hash text NOT NULL UNIQUE,
  -- Eight characters of an unambiguous alphabet, stored without the dash, upper case.
  user_code text NOT NULL UNIQUE,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),
  pool_id uuid REFERENCES pools (id) ON DELETE CASCADE,
  approved_by uuid REFERENCES users (id) ON DELETE SET NULL,
  ip text,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  last_polled_at timestamptz
);
CREATE INDEX device_codes_expires_idx ON device_codes (expires_at);
