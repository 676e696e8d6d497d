import type { Queryable } from "../../db/db.ts";
import { appendAudit, type AuditEntry } from "../../db/audit_log.ts";
import type { RequestMeta } from "../auth/principal.ts";

/** Append an audit record with the request's address and id (inside the caller's transaction). */
export async function auditWithMeta(
  db: Queryable,
  entry: AuditEntry,
  meta: RequestMeta,
): Promise<void> {
  await appendAudit(db, {
    ...entry,
    ip: entry.ip ?? meta.ip,
    requestId: entry.requestId ?? meta.requestId,
  });
}
