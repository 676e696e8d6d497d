import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app_context.ts";
import { ForbiddenError, UnauthorizedError } from "../errors.ts";
import { clearSessionCookies, readSessionCookies, setSessionCookies } from "./cookies.ts";
import type { RequestMeta } from "./principal.ts";
import { API_TOKEN_PREFIX } from "./secrets.ts";

/** Facts about the request for audit records and rate limits. */
export function requestMeta(c: Context<AppEnv>): RequestMeta {
  const app = c.get("app");
  let ip: string | null = null;
  if (app.config.trustProxy) {
    ip = c.req.header("x-forwarded-for")?.split(",")[0]?.trim() || null;
  }
  if (!ip) {
    const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
    ip = info?.remoteAddr?.hostname ?? null;
  }
  return {
    ip,
    userAgent: c.req.header("user-agent") ?? null,
    requestId: c.get("requestId") ?? null,
  };
}

/**
 * Work out who is calling. A bearer token (API token or access JWT) must be valid or the
 * request fails with 401; otherwise the session cookie is used, renewed from the refresh
 * cookie when the access token has expired. No credentials leaves the caller anonymous.
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const app = c.get("app");
    const header = c.req.header("authorization");
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match) throw new UnauthorizedError("Send the token as: Authorization: Bearer <token>");
      const token = match[1];
      const principal = token.startsWith(API_TOKEN_PREFIX)
        ? await app.auth.authenticateApiToken(token)
        : await app.auth.authenticateAccessToken(token, false);
      if (!principal) {
        throw new UnauthorizedError(
          "The bearer token is invalid, expired or revoked: create a new one or sign in again",
        );
      }
      c.set("principal", principal);
      return await next();
    }
    const cookies = readSessionCookies(c);
    let principal = cookies.access
      ? await app.auth.authenticateAccessToken(cookies.access, true)
      : null;
    // The /auth endpoints handle the refresh cookie themselves (rotation happens once).
    if (!principal && cookies.refresh && !c.req.path.startsWith("/api/v1/auth/")) {
      try {
        const tokens = await app.auth.refresh(cookies.refresh, requestMeta(c));
        setSessionCookies(c, tokens);
        principal = await app.auth.authenticateAccessToken(tokens.accessToken, true);
      } catch {
        clearSessionCookies(c);
      }
    }
    c.set("principal", principal);
    await next();
  };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Protect cookie-authenticated changes: unsafe methods must come from this site (Origin and
 * Sec-Fetch-Site) and, when signed in by cookie, carry the session's CSRF token in the
 * X-CSRF-Token header or a `_csrf` form field. Bearer-token requests carry no ambient
 * authority and need neither.
 */
export function csrfProtect(): MiddlewareHandler<AppEnv> {
  return async function csrfProtect(c, next) {
    if (SAFE_METHODS.has(c.req.method) || c.req.header("authorization") !== undefined) {
      return await next();
    }
    const app = c.get("app");
    const origin = c.req.header("origin");
    const allowed = new Set([new URL(c.req.url).origin, app.config.publicUrl]);
    if (
      (origin && origin !== "null" && !allowed.has(origin)) || origin === "null" ||
      c.req.header("sec-fetch-site") === "cross-site"
    ) {
      throw new ForbiddenError("Cross-site requests are refused", "csrf_failed");
    }
    const principal = c.get("principal");
    if (principal?.viaCookie && principal.sessionId) {
      let presented = c.req.header("x-csrf-token");
      const type = c.req.header("content-type") ?? "";
      if (
        !presented &&
        (type.startsWith("application/x-www-form-urlencoded") ||
          type.startsWith("multipart/form-data"))
      ) {
        const form = await c.req.parseBody();
        presented = typeof form._csrf === "string" ? form._csrf : undefined;
      }
      if (!app.auth.checkCsrf(principal.sessionId, presented)) {
        throw new ForbiddenError(
          "Missing or wrong CSRF token: reload the page and try again " +
            "(API clients: send X-CSRF-Token or use a bearer token)",
          "csrf_failed",
        );
      }
    }
    await next();
  };
}
