import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { nodeService } from "@/lib/nodes/service.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import {
  errorResponses,
  IdParam,
  jsonBody,
  jsonResponse,
  nodeContainerDto,
  NodeContainerSchema,
  nodeDto,
  NodeSchema,
  UpdateNodeRequest,
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
  PATCH: apiRoute({
    access: "admin",
    summary: "Change a node's labels, drain, computation hours, offer or pool pinning",
    description: "Setting labels pins them (the agent's next hello no longer replaces them) " +
      "and re-evaluates the node's pool; `poolPinned: false` hands the node back to pool " +
      "criteria at once. Setting schedule or offer pins both (the owner's `--hours`/`--max-*` " +
      "sent by the agent no longer apply); `settingsPinned: false` lets them apply again.",
    tags: ["nodes"],
    request: { params: IdParam, body: jsonBody(UpdateNodeRequest) },
    responses: {
      200: jsonResponse(z.object({ node: NodeSchema }), "The changed node"),
      ...errorResponses(400, 401, 403, 404, 413, 415, 422),
    },
  }, async (c) => {
    const node = await nodeService(c.get("app")).updateNodeSettings(
      c.get("principal")!,
      c.req.valid("param").id,
      c.req.valid("json"),
      requestMeta(c),
    );
    return c.json({ node: nodeDto(node) }, 200);
  }),
};
