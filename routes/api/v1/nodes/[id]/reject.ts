import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { nodeService } from "@/lib/nodes/service.ts";
import {
  errorResponses,
  IdParam,
  jsonBody,
  jsonResponse,
  nodeDto,
  NodeSchema,
  RejectNodeRequest,
} from "@/lib/api/schemas.ts";

export const handler = {
  POST: apiRoute({
    access: "admin",
    summary: "Reject a pending node, with a reason its agent prints",
    description: "Approved nodes are revoked instead (409); rejecting a rejected node changes " +
      "nothing.",
    tags: ["nodes"],
    request: { params: IdParam, body: jsonBody(RejectNodeRequest) },
    responses: {
      200: jsonResponse(NodeSchema, "The node, rejected"),
      ...errorResponses(400, 401, 403, 404, 409, 415, 422),
    },
  }, async (c) => {
    const node = await nodeService(c.get("app")).decideNode(
      c.get("principal")!,
      c.req.valid("param").id,
      { action: "reject", reason: c.req.valid("json").reason },
      requestMeta(c),
    );
    return c.json(nodeDto(node), 200);
  }),
};
