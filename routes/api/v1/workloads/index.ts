import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { errorResponses, jsonBody, jsonResponse } from "@/lib/api/schemas.ts";
import {
  IdempotencyKey,
  WORKLOAD_STATUSES,
  WorkloadEnvelope,
  WorkloadSchema,
} from "@/lib/api/workload_schemas.ts";
import { WorkloadSpec } from "@/lib/workloads/spec.ts";
import { workloadDto, workloadService } from "@/lib/workloads/service.ts";
import { ValidationError } from "@/lib/errors.ts";

export const handler = {
  GET: apiRoute({
    summary: "Your workloads (admins: everyone's), newest first",
    tags: ["workloads"],
    request: {
      query: z.object({
        status: z.enum(WORKLOAD_STATUSES).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
      }),
    },
    responses: {
      200: jsonResponse(z.object({ workloads: z.array(WorkloadSchema) }), "Workloads"),
      ...errorResponses(401, 422),
    },
  }, async (c) => {
    const list = await workloadService(c.get("app")).list(
      c.get("principal")!,
      c.req.valid("query"),
    );
    return c.json({ workloads: list.map(workloadDto) }, 200);
  }),
  POST: apiRoute({
    summary: "Create a workload from a template or an image",
    description: "Stores the desired state and queues it for the scheduler. Send an " +
      "Idempotency-Key header to make retries safe: the same key and body return the same " +
      "workload; the same key with another body is a 409.",
    tags: ["workloads"],
    request: { body: jsonBody(WorkloadSpec) },
    responses: {
      201: jsonResponse(WorkloadEnvelope, "Created (or the stored answer for a repeated key)"),
      ...errorResponses(400, 401, 403, 409, 413, 415, 422),
    },
  }, async (c) => {
    const rawKey = c.req.header("idempotency-key");
    let key: string | null = null;
    if (rawKey !== undefined) {
      const parsed = IdempotencyKey.safeParse(rawKey);
      if (!parsed.success) {
        throw new ValidationError("The Idempotency-Key header is invalid", [{
          path: "headers.idempotency-key",
          code: "invalid_format",
          message: parsed.error.issues[0].message,
        }]);
      }
      key = parsed.data;
    }
    const result = await workloadService(c.get("app")).create(
      c.get("principal")!,
      c.req.valid("json"),
      requestMeta(c),
      key,
    );
    if (result.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(result.body as z.infer<typeof WorkloadEnvelope>, 201);
  }),
};
