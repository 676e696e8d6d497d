import type { Queryable } from "./db.ts";
import type { LabelMap } from "../lib/protocol.ts";
import type { Offer } from "../lib/scheduling/views.ts";
import type { Schedule } from "../scheduler/types.ts";

/** What an admin may change about a node; absent fields stay as they are. */
export interface NodeSettingsPatch {
  /** Replaces every label and pins them (the agent's hello no longer overwrites them). */
  labels?: LabelMap;
  drained?: boolean;
  /** Null: always available. Setting it (or offer) pins both: the agent's hello no longer
   * overwrites them. */
  schedule?: Schedule | null;
  evacuateOutsideHours?: boolean;
  /** Null: the node offers everything it has. */
  offer?: Offer | null;
  /** False hands the node back to automatic pool membership; true pins it where it is. */
  poolPinned?: boolean;
  /** False lets the owner's hours and offer (agent hello) apply again; true keeps the current. */
  settingsPinned?: boolean;
}

/**
 * Apply `patch` to node `id`; false when there is no such node. Nullable columns take a
 * "given" flag so that null can be written, unlike coalesce.
 */
export async function updateNodeSettings(
  db: Queryable,
  id: string,
  patch: NodeSettingsPatch,
): Promise<boolean> {
  const json = (v: unknown) => v === undefined || v === null ? null : JSON.stringify(v);
  const rows = await db.query(
    `UPDATE nodes SET
       labels = coalesce($2::text::jsonb, labels),
       labels_pinned = labels_pinned OR $2::text IS NOT NULL,
       drained = coalesce($3::boolean, drained),
       schedule = CASE WHEN $4::boolean THEN $5::text::jsonb ELSE schedule END,
       evacuate_outside_hours = coalesce($6::boolean, evacuate_outside_hours),
       offer = CASE WHEN $7::boolean THEN $8::text::jsonb ELSE offer END,
       settings_pinned = coalesce($10::boolean, settings_pinned OR $4::boolean OR $7::boolean),
       pool_pinned = coalesce($9::boolean, pool_pinned),
       updated_at = now()
     WHERE id = $1 RETURNING id`,
    [
      id,
      json(patch.labels),
      patch.drained ?? null,
      patch.schedule !== undefined,
      json(patch.schedule),
      patch.evacuateOutsideHours ?? null,
      patch.offer !== undefined,
      json(patch.offer),
      patch.poolPinned ?? null,
      patch.settingsPinned ?? null,
    ],
  );
  return rows.length > 0;
}
