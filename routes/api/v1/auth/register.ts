import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import {
  errorResponses,
  jsonBody,
  jsonResponse,
  Registration,
  userDto,
  UserSchema,
} from "@/lib/api/schemas.ts";

export const handler = {
  POST: apiRoute({
    access: "public",
    summary: "Create an account (the first account becomes admin)",
    description: "After the first account, this works only when LATTICE_REGISTRATION=open.",
    tags: ["auth"],
    request: { body: jsonBody(Registration) },
    responses: {
      201: jsonResponse(z.object({ user: UserSchema }), "Account created; now log in"),
      ...errorResponses(400, 403, 409, 413, 415, 422),
    },
  }, async (c) => {
    const input = c.req.valid("json");
    const user = await c.get("app").auth.register(input, requestMeta(c));
    return c.json({ user: userDto(user) }, 201);
  }),
};
