import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { nodeService } from "@/lib/nodes/service.ts";
import {
  errorResponses,
  jsonResponse,
  nodeDto,
  NodeListQuery,
  NodeSchema,
} from "@/lib/api/schemas.ts";

export const handler = {
  GET: apiRoute({
    access: "admin",
    summary: "List nodes, optionally filtered by status, approval and pool",
    description: "Newest first by default; `sort=rank|name|lastSeen` and `order=asc|desc` " +
      "change the order.",
    tags: ["nodes"],
    request: { query: NodeListQuery },
    responses: {
      200: jsonResponse(z.object({ nodes: z.array(NodeSchema) }), "Nodes"),
      ...errorResponses(401, 403, 422),
    },
  }, async (c) => {
    const nodes = await nodeService(c.get("app")).listNodes(c.req.valid("query"));
    return c.json({ nodes: nodes.map(nodeDto) }, 200);
  }),
};
