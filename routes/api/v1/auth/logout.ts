import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { clearSessionCookies, readSessionCookies } from "@/lib/auth/cookies.ts";
import { errorResponses } from "@/lib/api/schemas.ts";

export const handler = {
  POST: apiRoute({
    access: "public",
    summary: "End the current sign-in and clear its cookies",
    description: "Idempotent: answers 204 even when there was no live sign-in.",
    tags: ["auth"],
    responses: { 204: { description: "Signed out" }, ...errorResponses(403) },
  }, async (c) => {
    const app = c.get("app");
    const principal = c.get("principal");
    let sessionId = principal?.sessionId ?? null;
    const { refresh } = readSessionCookies(c);
    if (!sessionId && refresh) sessionId = await app.auth.sessionOfRefreshToken(refresh);
    if (sessionId) await app.auth.logout(sessionId, principal, requestMeta(c));
    clearSessionCookies(c);
    return c.body(null, 204);
  }),
};
