/**
 * Pool criteria and the pure decision of which pool a node belongs to. The pool assigner
 * (pool_assigner.ts) feeds it nodes and pools read from the database and writes the moves.
 *
 * `region` and `environment` are not separate node fields: they match the node's labels of the
 * same names (`region=eu`, `environment=prod`), which the agent reports or an admin sets.
 * `gpu` matches what the agent reported at its last hello: at least one GPU (`true`) or none
 * (`false`); a node that has not said hello yet matches neither.
 */
import { z } from "@hono/zod-openapi";

const LabelKey = z.string().regex(/^[a-z0-9]([a-z0-9._/-]{0,62}[a-z0-9])?$/i, "invalid label key");

/** What a node must have to join a pool automatically; every given field must match. */
export const PoolCriteria = z.strictObject({
  labels: z.record(LabelKey, z.string().max(200))
    .refine((m) => Object.keys(m).length <= 32, "at most 32 labels")
    .optional()
    .openapi({ description: "Labels the node must carry, all of them", example: { zone: "a" } }),
  region: z.string().min(1).max(200).optional().openapi({
    description: "Matches the node's `region` label",
    example: "eu-west",
  }),
  gpu: z.boolean().optional().openapi({
    description: "true: the node reported at least one GPU; false: it reported none",
  }),
  environment: z.enum(["dev", "staging", "prod"]).optional().openapi({
    description: "Matches the node's `environment` label",
  }),
}).openapi("PoolCriteria", {
  description: "Nodes matching every given field join the pool unless placed by hand; " +
    "empty criteria match no node (the default pool takes the rest)",
});
export type PoolCriteria = z.infer<typeof PoolCriteria>;

/** What the matcher needs to know about a node. */
export interface NodeFacts {
  labels: Record<string, string>;
  /** GPUs reported at the last hello; null before the first. */
  gpus: number | null;
}

/** What the matcher needs to know about a pool. */
export interface PoolForMatch {
  id: string;
  name: string;
  criteria: PoolCriteria;
}

/** How many conditions the criteria set: each label counts, and each other field. */
export function criteriaCount(c: PoolCriteria): number {
  return Object.keys(c.labels ?? {}).length + (c.region !== undefined ? 1 : 0) +
    (c.gpu !== undefined ? 1 : 0) + (c.environment !== undefined ? 1 : 0);
}

/** Whether the node meets every condition; empty criteria match nothing. */
export function matchesCriteria(node: NodeFacts, c: PoolCriteria): boolean {
  if (criteriaCount(c) === 0) return false;
  for (const [k, v] of Object.entries(c.labels ?? {})) {
    if (node.labels[k] !== v) return false;
  }
  if (c.region !== undefined && node.labels.region !== c.region) return false;
  if (c.environment !== undefined && node.labels.environment !== c.environment) return false;
  if (c.gpu !== undefined && (node.gpus === null || (node.gpus > 0) !== c.gpu)) return false;
  return true;
}

/**
 * The pool a node belongs to: of the pools whose criteria it matches, the one with the most
 * conditions (the most specific), ties broken by name; when none matches, `fallbackPoolId`
 * (the node's home pool: its join token's, else the default pool). `matched` is the name of
 * the matching pool, null for the fallback.
 */
export function choosePool(
  node: NodeFacts,
  pools: readonly PoolForMatch[],
  fallbackPoolId: string,
): { poolId: string; matched: string | null } {
  let best: PoolForMatch | null = null;
  let bestCount = 0;
  for (const pool of pools) {
    if (!matchesCriteria(node, pool.criteria)) continue;
    const count = criteriaCount(pool.criteria);
    if (!best || count > bestCount || (count === bestCount && pool.name < best.name)) {
      best = pool;
      bestCount = count;
    }
  }
  return best ? { poolId: best.id, matched: best.name } : { poolId: fallbackPoolId, matched: null };
}
