import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses, IdParam, jsonResponse } from "@/lib/api/schemas.ts";
import { WorkloadEventSchema } from "@/lib/api/workload_schemas.ts";
import { workloadService } from "@/lib/workloads/service.ts";

export const handler = {
  GET: apiRoute({
    summary: "What happened to a workload (placements, deploys, failures, status), oldest first",
    tags: ["workloads"],
    request: {
      params: IdParam,
      query: z.object({
        after: z.coerce.number().int().min(0).default(0).openapi({
          description: "Only events with an id above this",
        }),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
      }),
    },
    responses: {
      200: jsonResponse(z.object({ events: z.array(WorkloadEventSchema) }), "Events"),
      ...errorResponses(401, 404, 422),
    },
  }, async (c) => {
    const events = await workloadService(c.get("app")).events(
      c.get("principal")!,
      c.req.valid("param").id,
      c.req.valid("query"),
    );
    return c.json({ events: events.map((e) => ({ ...e, at: e.at.toISOString() })) }, 200);
  }),
};
