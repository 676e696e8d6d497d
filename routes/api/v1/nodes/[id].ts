import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { nodeService } from "@/lib/nodes/service.ts";
import {
  errorResponses,
  IdParam,
  jsonResponse,
  nodeContainerDto,
  NodeContainerSchema,
  nodeDto,
  NodeSchema,
} from "@/lib/api/schemas.ts";

export const handler = {
  GET: apiRoute({
    access: "admin",
    summary: "One node, with the containers recorded on it",
    tags: ["nodes"],
    request: { params: IdParam },
    responses: {
      200: jsonResponse(
        z.object({ node: NodeSchema, containers: z.array(NodeContainerSchema) }),
        "The node",
      ),
      ...errorResponses(401, 403, 404, 422),
    },
  }, async (c) => {
    const { node, containers } = await nodeService(c.get("app")).getNodeDetail(
      c.req.valid("param").id,
    );
    return c.json({ node: nodeDto(node), containers: containers.map(nodeContainerDto) }, 200);
  }),
};
