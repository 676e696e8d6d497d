import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import {
  ApiTokenSchema,
  CreatedToken,
  CreateTokenRequest,
  errorResponses,
  jsonBody,
  jsonResponse,
  tokenDto,
} from "@/lib/api/schemas.ts";

export const handler = {
  GET: apiRoute({
    summary: "List your API tokens (secrets are never shown again)",
    tags: ["tokens"],
    responses: {
      200: jsonResponse(z.object({ tokens: z.array(ApiTokenSchema) }), "Your tokens"),
      ...errorResponses(401),
    },
  }, async (c) => {
    const tokens = await c.get("app").auth.listApiTokens(c.get("principal")!);
    return c.json({ tokens: tokens.map(tokenDto) }, 200);
  }),
  POST: apiRoute({
    summary: "Create an API token; the secret is in this response only",
    tags: ["tokens"],
    request: { body: jsonBody(CreateTokenRequest) },
    responses: {
      201: jsonResponse(CreatedToken, "Created"),
      ...errorResponses(400, 401, 403, 413, 415, 422),
    },
  }, async (c) => {
    const { token, secret } = await c.get("app").auth.createApiToken(
      c.get("principal")!,
      c.req.valid("json"),
      requestMeta(c),
    );
    return c.json({ token: tokenDto(token), secret }, 201);
  }),
};
