import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses, jsonResponse, MeResponse } from "@/lib/api/schemas.ts";

export const handler = {
  GET: apiRoute({
    summary: "Who am I: the signed-in account and how it authenticated",
    tags: ["auth"],
    responses: { 200: jsonResponse(MeResponse, "The caller"), ...errorResponses(401) },
  }, (c) => {
    // Served from the authentication cache: no database round trip per request.
    const p = c.get("principal")!;
    return c.json({
      user: { id: p.userId, email: p.email, role: p.role, createdAt: p.createdAt },
      auth: { method: p.method, tokenId: p.tokenId },
    }, 200);
  }),
};
