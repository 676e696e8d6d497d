import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { nodeService } from "@/lib/nodes/service.ts";
import {
  CreatedJoinToken,
  CreateJoinTokenRequest,
  errorResponses,
  joinTokenDto,
  JoinTokenSchema,
  jsonResponse,
  optionalJsonBody,
} from "@/lib/api/schemas.ts";

export const handler = {
  GET: apiRoute({
    access: "admin",
    summary: "List join tokens, newest first (secrets are never shown again)",
    tags: ["join-tokens"],
    responses: {
      200: jsonResponse(z.object({ tokens: z.array(JoinTokenSchema) }), "Join tokens"),
      ...errorResponses(401, 403),
    },
  }, async (c) => {
    const tokens = await nodeService(c.get("app")).listJoinTokens();
    const now = new Date();
    return c.json({ tokens: tokens.map((t) => joinTokenDto(t, now)) }, 200);
  }),
  POST: apiRoute({
    access: "admin",
    summary: "Create a join token for a pool; the secret is in this response only",
    tags: ["join-tokens"],
    request: { body: optionalJsonBody(CreateJoinTokenRequest) },
    responses: {
      201: jsonResponse(CreatedJoinToken, "Created"),
      ...errorResponses(400, 401, 403, 404, 413, 415, 422),
    },
  }, async (c) => {
    const { token, secret } = await nodeService(c.get("app")).createJoinToken(
      c.get("principal")!,
      c.req.valid("json"),
      requestMeta(c),
    );
    return c.json({ token: joinTokenDto(token), secret }, 201);
  }),
};
