import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { nodeService } from "@/lib/nodes/service.ts";
import { errorResponses, IdParam, jsonResponse, nodeDto, NodeSchema } from "@/lib/api/schemas.ts";

export const handler = {
  POST: apiRoute({
    access: "admin",
    summary: "Approve a pending or rejected node so it can run workloads",
    description: "Approving an approved node changes nothing. Revoked nodes cannot be " +
      "approved (409): they must join again with a new key.",
    tags: ["nodes"],
    request: { params: IdParam },
    responses: {
      200: jsonResponse(NodeSchema, "The node, approved"),
      ...errorResponses(401, 403, 404, 409, 422),
    },
  }, async (c) => {
    const node = await nodeService(c.get("app")).decideNode(
      c.get("principal")!,
      c.req.valid("param").id,
      { action: "approve" },
      requestMeta(c),
    );
    return c.json(nodeDto(node), 200);
  }),
};
