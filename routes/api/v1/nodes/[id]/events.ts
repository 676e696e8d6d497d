import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses, IdParam, jsonResponse } from "@/lib/api/schemas.ts";
import { HttpError } from "@/lib/errors.ts";
import { listNodeEvents } from "@/db/agent_sessions.ts";

const NodeEventSchema = z.object({
  seq: z.number(),
  at: z.string(),
  receivedAt: z.string(),
  kind: z.string(),
  allocationId: z.string().nullable(),
  data: z.unknown(),
}).openapi("NodeEvent");

export const handler = {
  GET: apiRoute({
    access: "admin",
    summary: "Events a node reported (container changes, pulls, Docker health), in its order",
    tags: ["nodes"],
    request: {
      params: IdParam,
      query: z.object({
        after: z.coerce.number().int().min(0).default(0).openapi({
          description: "Only events with a sequence number above this",
        }),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
      }),
    },
    responses: {
      200: jsonResponse(z.object({ events: z.array(NodeEventSchema) }), "Events, oldest first"),
      ...errorResponses(401, 403, 404, 422),
    },
  }, async (c) => {
    const app = c.get("app");
    const { id } = c.req.valid("param");
    const { after, limit } = c.req.valid("query");
    const [exists] = await app.db.query(`SELECT 1 FROM nodes WHERE id = $1`, [id]);
    if (!exists) throw new HttpError(404, "not_found", `No node ${id}`);
    const events = await listNodeEvents(app.db, id, { after, limit });
    return c.json({
      events: events.map((e) => ({
        ...e,
        at: e.at.toISOString(),
        receivedAt: e.receivedAt.toISOString(),
      })),
    }, 200);
  }),
};
