import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { listUsers } from "@/db/users.ts";
import { errorResponses, jsonResponse, userDto, UserSchema } from "@/lib/api/schemas.ts";

export const handler = {
  GET: apiRoute({
    access: "admin",
    summary: "List accounts (admins only)",
    tags: ["users"],
    request: {
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) }),
    },
    responses: {
      200: jsonResponse(z.object({ users: z.array(UserSchema) }), "Accounts, oldest first"),
      ...errorResponses(401, 403, 422),
    },
  }, async (c) => {
    const users = await listUsers(c.get("app").db, { limit: c.req.valid("query").limit });
    return c.json({ users: users.map(userDto) }, 200);
  }),
};
