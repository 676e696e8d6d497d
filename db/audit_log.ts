import type { Queryable } from "./db.ts";

/** Whether the audited action worked, failed, or was refused by policy. */
export type AuditOutcome = "success" | "failure" | "denied";

/** What one audit record says: who did what, to what, from where, with what result. */
export interface AuditEntry {
  actorId: string | null;
  actor: string;
  action: string;
  outcome: AuditOutcome;
  targetType?: string | null;
  targetId?: string | null;
  ip?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

/** A stored audit record. */
export interface AuditRecord extends AuditEntry {
  id: string;
  at: Date;
}

/** Append one record. The table refuses updates and deletes. */
export async function appendAudit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (actor_id, actor, action, outcome, target_type, target_id, ip,
       request_id, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb)`,
    [
      entry.actorId,
      entry.actor,
      entry.action,
      entry.outcome,
      entry.targetType ?? null,
      entry.targetId ?? null,
      entry.ip ?? null,
      entry.requestId ?? null,
      JSON.stringify(entry.details ?? {}),
    ],
  );
}

/** Newest records first; `before` is the id of the last record of the previous page. */
export async function listAudit(
  db: Queryable,
  options: { limit: number; before?: string; actorId?: string; action?: string },
): Promise<AuditRecord[]> {
  const rows = await db.query(
    `SELECT id::text AS id, at, actor_id, actor, action, outcome, target_type, target_id, ip,
            request_id, details
     FROM audit_log
     WHERE ($1::bigint IS NULL OR id < $1::bigint)
       AND ($2::uuid IS NULL OR actor_id = $2::uuid)
       AND ($3::text IS NULL OR action = $3::text)
     ORDER BY id DESC LIMIT $4`,
    [options.before ?? null, options.actorId ?? null, options.action ?? null, options.limit],
  );
  return rows.map((r) => ({
    id: r.id as string,
    at: r.at as Date,
    actorId: (r.actor_id as string | null) ?? null,
    actor: r.actor as string,
    action: r.action as string,
    outcome: r.outcome as AuditOutcome,
    targetType: (r.target_type as string | null) ?? null,
    targetId: (r.target_id as string | null) ?? null,
    ip: (r.ip as string | null) ?? null,
    requestId: (r.request_id as string | null) ?? null,
    details: r.details as Record<string, unknown>,
  }));
}
