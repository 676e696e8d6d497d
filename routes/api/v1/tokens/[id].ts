import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { errorResponses, IdParam } from "@/lib/api/schemas.ts";

export const handler = {
  DELETE: apiRoute({
    summary: "Revoke one of your API tokens; it stops working at once",
    tags: ["tokens"],
    request: { params: IdParam },
    responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404, 422) },
  }, async (c) => {
    const { id } = c.req.valid("param");
    await c.get("app").auth.revokeApiToken(c.get("principal")!, id, requestMeta(c));
    return c.body(null, 204);
  }),
};
