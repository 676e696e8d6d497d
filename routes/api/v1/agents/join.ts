import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { nodeService } from "@/lib/nodes/service.ts";
import { JoinRequest, JoinResponse } from "@/lib/protocol.ts";
import { errorResponses, jsonBody, jsonResponse } from "@/lib/api/schemas.ts";

export const handler = {
  POST: apiRoute({
    // The join token in the body is the credential: no session, no CSRF token.
    access: "public",
    summary: "Register a new node's public key with a join token (the agent calls this)",
    description: "Refusals name the problem in error.code: join_token_invalid, " +
      "join_token_expired, join_token_revoked, join_token_used_up (401), node_key_exists (409).",
    tags: ["agents"],
    request: { body: jsonBody(JoinRequest) },
    responses: {
      201: jsonResponse(JoinResponse, "Joined; the node is pending unless its pool auto-approves"),
      ...errorResponses(400, 401, 409, 413, 415, 422, 429),
    },
  }, async (c) => {
    const joined = await nodeService(c.get("app")).joinNode(c.req.valid("json"), requestMeta(c));
    return c.json(joined, 201);
  }),
};
