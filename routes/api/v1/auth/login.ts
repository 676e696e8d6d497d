import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { setSessionCookies } from "@/lib/auth/cookies.ts";
import {
  Credentials,
  errorResponses,
  jsonBody,
  jsonResponse,
  sessionDto,
  SessionResponse,
} from "@/lib/api/schemas.ts";

export const handler = {
  POST: apiRoute({
    access: "public",
    summary: "Sign in: sets the session cookies and returns a bearer access token",
    tags: ["auth"],
    request: { body: jsonBody(Credentials) },
    responses: {
      200: jsonResponse(SessionResponse, "Signed in"),
      ...errorResponses(400, 401, 413, 415, 422, 429),
    },
  }, async (c) => {
    const app = c.get("app");
    const tokens = await app.auth.login(c.req.valid("json"), requestMeta(c));
    setSessionCookies(c, tokens);
    return c.json(sessionDto(tokens, app.auth.csrfToken(tokens.sessionId)), 200);
  }),
};
