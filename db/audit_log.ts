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

/** Append many records in one statement (batched API writes). */
export async function appendAudits(db: Queryable, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `INSERT INTO audit_log (actor_id, actor, action, outcome, target_type, target_id, ip,
       request_id, details)
     SELECT x.actor_id, x.actor, x.action, x.outcome, x.target_type, x.target_id, x.ip,
       x.request_id, x.details
     FROM jsonb_to_recordset($1::text::jsonb) AS x(actor_id uuid, actor text, action text,
       outcome text, target_type text, target_id text, ip text, request_id text, details jsonb)`,
    [JSON.stringify(entries.map((e) => ({
      actor_id: e.actorId,
      actor: e.actor,
      action: e.action,
      outcome: e.outcome,
      target_type: e.targetType ?? null,
      target_id: e.targetId ?? null,
      ip: e.ip ?? null,
      request_id: e.requestId ?? null,
      details: e.details ?? {},
    })))],
  );
}

/** Newest records first; `before` is the id of the last record of the previous page. */
export async function listAudit(
  db: Queryable,
  options: {
    limit: number;
    before?: string;
    actorId?: string;
    action?: string;
    /** Actions starting with this, e.g. "node." */
    actionPrefix?: string;
    outcome?: AuditOutcome;
  },
): Promise<AuditRecord[]> {
  const rows = await db.query(
    `SELECT id::text AS id, at, actor_id, actor, action, outcome, target_type, target_id, ip,
            request_id, details
     FROM audit_log
     WHERE ($1::bigint IS NULL OR id < $1::bigint)
       AND ($2::uuid IS NULL OR actor_id = $2::uuid)
       AND ($3::text IS NULL OR action = $3::text)
       AND ($5::text IS NULL OR starts_with(action, $5::text))
       AND ($6::text IS NULL OR outcome = $6::text)
     ORDER BY id DESC LIMIT $4`,
    [
      options.before ?? null,
      options.actorId ?? null,
      options.action ?? null,
      options.limit,
      options.actionPrefix ?? null,
      options.outcome ?? null,
    ],
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
