import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { clearSessionCookies, readSessionCookies, setSessionCookies } from "@/lib/auth/cookies.ts";
import { errorResponses, jsonResponse, sessionDto, SessionResponse } from "@/lib/api/schemas.ts";
import { UnauthorizedError } from "@/lib/errors.ts";

export const handler = {
  POST: apiRoute({
    access: "public",
    summary: "Renew the session from the refresh cookie (rotates the refresh token)",
    tags: ["auth"],
    responses: {
      200: jsonResponse(SessionResponse, "Renewed"),
      ...errorResponses(401),
    },
  }, async (c) => {
    const app = c.get("app");
    const { refresh } = readSessionCookies(c);
    if (!refresh) throw new UnauthorizedError("No refresh cookie: sign in again");
    try {
      const tokens = await app.auth.refresh(refresh, requestMeta(c));
      setSessionCookies(c, tokens);
      return c.json(sessionDto(tokens, app.auth.csrfToken(tokens.sessionId)), 200);
    } catch (err) {
      clearSessionCookies(c);
      throw err;
    }
  }),
};
