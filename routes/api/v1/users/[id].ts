import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { errorResponses, IdParam, jsonBody, jsonResponse } from "@/lib/api/schemas.ts";
import { adminUserDto, AdminUserSchema, UpdateUserRequest } from "@/lib/api/admin_schemas.ts";

export const handler = {
  PATCH: apiRoute({
    access: "admin",
    summary: "Change an account's role (admin/user) or disable it (admins only, audited)",
    description: "Refuses (409) to demote or disable the last admin who can sign in, and to " +
      "disable your own account. Disabling ends the account's sign-ins at once and stops its " +
      "API tokens.",
    tags: ["users"],
    request: { params: IdParam, body: jsonBody(UpdateUserRequest) },
    responses: {
      200: jsonResponse(z.object({ user: AdminUserSchema }), "The changed account"),
      ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
    },
  }, async (c) => {
    const user = await c.get("app").auth.updateUser(
      c.get("principal")!,
      c.req.valid("param").id,
      c.req.valid("json"),
      requestMeta(c),
    );
    return c.json({ user: adminUserDto(user) }, 200);
  }),
};
