import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { listAudit } from "@/db/audit_log.ts";
import { auditDto, AuditEntrySchema, errorResponses, jsonResponse } from "@/lib/api/schemas.ts";

export const handler = {
  GET: apiRoute({
    access: "admin",
    summary: "Read the audit log, newest first (admins only)",
    tags: ["audit"],
    request: {
      query: z.object({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        before: z.string().regex(/^\d{1,18}$/, "must be an entry id").optional(),
        action: z.string().max(100).optional(),
        actionPrefix: z.string().max(100).optional().openapi({
          description: "Only actions starting with this, e.g. `node.`",
        }),
        outcome: z.enum(["success", "failure", "denied"]).optional(),
        actorId: z.uuid().optional(),
      }),
    },
    responses: {
      200: jsonResponse(
        z.object({
          entries: z.array(AuditEntrySchema),
          nextBefore: z.string().nullable().openapi({ description: "Pass as ?before= for more" }),
        }),
        "Audit entries",
      ),
      ...errorResponses(401, 403, 422),
    },
  }, async (c) => {
    const q = c.req.valid("query");
    const entries = await listAudit(c.get("app").db, q);
    const nextBefore = entries.length === q.limit ? entries[entries.length - 1].id : null;
    return c.json({ entries: entries.map(auditDto), nextBefore }, 200);
  }),
};
