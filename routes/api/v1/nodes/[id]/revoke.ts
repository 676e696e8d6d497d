import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { nodeService } from "@/lib/nodes/service.ts";
import {
  errorResponses,
  IdParam,
  jsonResponse,
  nodeDto,
  NodeSchema,
  optionalJsonBody,
  RevokeNodeRequest,
} from "@/lib/api/schemas.ts";

export const handler = {
  POST: apiRoute({
    access: "admin",
    summary: "Revoke a node: its agent is refused from now on and must join again with a new key",
    tags: ["nodes"],
    request: { params: IdParam, body: optionalJsonBody(RevokeNodeRequest) },
    responses: {
      200: jsonResponse(NodeSchema, "The node, revoked"),
      ...errorResponses(400, 401, 403, 404, 415, 422),
    },
  }, async (c) => {
    const node = await nodeService(c.get("app")).decideNode(
      c.get("principal")!,
      c.req.valid("param").id,
      { action: "revoke", reason: c.req.valid("json").reason },
      requestMeta(c),
    );
    return c.json(nodeDto(node), 200);
  }),
};
