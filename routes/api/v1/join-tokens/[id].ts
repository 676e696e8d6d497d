import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { nodeService } from "@/lib/nodes/service.ts";
import { errorResponses, IdParam } from "@/lib/api/schemas.ts";

export const handler = {
  DELETE: apiRoute({
    access: "admin",
    summary: "Revoke a join token: no further node can join with it (nodes already joined stay)",
    tags: ["join-tokens"],
    request: { params: IdParam },
    responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404, 422) },
  }, async (c) => {
    const { id } = c.req.valid("param");
    await nodeService(c.get("app")).revokeJoinToken(c.get("principal")!, id, requestMeta(c));
    return c.body(null, 204);
  }),
};
