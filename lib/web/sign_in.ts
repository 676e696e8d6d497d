import type { Context } from "hono";
import type { AppEnv } from "../app_context.ts";
import { setSessionCookies } from "../auth/cookies.ts";
import { requestMeta } from "../auth/middleware.ts";
import { HttpError } from "../errors.ts";

/**
 * Sign in from a dashboard form and redirect to `next`. Returns the error message to show
 * when the credentials are refused or rate-limited; other errors propagate.
 */
export async function signInAndRedirect(
  c: Context<AppEnv>,
  credentials: { email: string; password: string },
  next: string,
): Promise<Response | { error: string; status: number }> {
  try {
    const tokens = await c.get("app").auth.login(credentials, requestMeta(c));
    setSessionCookies(c, tokens);
    return c.redirect(next, 303);
  } catch (err) {
    if (err instanceof HttpError && (err.status === 401 || err.status === 429)) {
      for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
      return { error: err.message, status: err.status };
    }
    throw err;
  }
}
