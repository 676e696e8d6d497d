-- Computation hours and offer set by the machine's owner (`lattice-agent join --hours …
-- --max-cpu …`): the agent's hello stores them in nodes.schedule / nodes.offer, unless an admin
-- set either through PATCH /api/v1/nodes/:id, which pins them so the admin's choice wins.

ALTER TABLE nodes
  ADD COLUMN settings_pinned boolean NOT NULL DEFAULT false;

-- Schedules and offers stored before this migration could only come from an admin.
UPDATE nodes SET settings_pinned = true WHERE schedule IS NOT NULL OR offer IS NOT NULL;
