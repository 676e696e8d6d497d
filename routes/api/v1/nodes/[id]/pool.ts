import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { poolService } from "@/lib/nodes/service.ts";
import { errorResponses, IdParam, jsonBody, MoveNodeRequest } from "@/lib/api/schemas.ts";

export const handler = {
  PUT: apiRoute({
    access: "admin",
    summary: "Move a node to another pool",
    tags: ["nodes", "pools"],
    request: { params: IdParam, body: jsonBody(MoveNodeRequest) },
    responses: { 204: { description: "Moved" }, ...errorResponses(400, 401, 403, 404, 415, 422) },
  }, async (c) => {
    await poolService(c.get("app")).moveNode(
      c.get("principal")!,
      c.req.valid("param").id,
      c.req.valid("json").poolId,
      requestMeta(c),
    );
    return c.body(null, 204);
  }),
};
