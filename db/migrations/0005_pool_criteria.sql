-- Pool membership by criteria (lib/nodes/pool_assigner.ts): a node belongs to the pool whose
-- criteria it matches best, unless an admin placed it by hand.

ALTER TABLE nodes
  -- An admin put the node in its pool by hand: criteria no longer move it.
  ADD COLUMN pool_pinned boolean NOT NULL DEFAULT false,
  -- An admin set the node's labels: the agent's hello no longer replaces them.
  ADD COLUMN labels_pinned boolean NOT NULL DEFAULT false;

-- Nodes already outside their home pool (their join token's pool, else default) were moved
-- there by hand before criteria existed; keep them where they are.
UPDATE nodes n SET pool_pinned = true
WHERE n.pool_id IS NOT NULL
  AND n.pool_id IS DISTINCT FROM coalesce(
    (SELECT t.pool_id FROM join_tokens t WHERE t.id = n.join_token_id),
    '00000000-0000-4000-8000-000000000001'::uuid
  );

-- Criteria were a flat label map ({"gpu": "nvidia"}); they are now
-- {labels?, region?, gpu?, environment?} (PoolCriteria in lib/nodes/pool_criteria.ts).
UPDATE pools SET criteria = jsonb_build_object('labels', criteria)
WHERE criteria <> '{}'::jsonb;
