import type { PageHandlers } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { clearSessionCookies } from "@/lib/auth/cookies.ts";

// The dashboard's sign-out form posts here (with its CSRF token, checked by _middleware).
export const handler: PageHandlers = {
  async POST(c) {
    const principal = c.get("principal");
    if (principal?.sessionId) {
      await c.get("app").auth.logout(principal.sessionId, principal, requestMeta(c));
    }
    clearSessionCookies(c);
    return c.redirect("/login", 303);
  },
};
