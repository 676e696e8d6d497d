import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../app_context.ts";
import type { SessionTokens } from "./service.ts";

/** Cookie names: with HTTPS they take the __Host- prefix (Secure, Path=/, no Domain). */
export function cookieNames(secure: boolean) {
  const prefix = secure ? "__Host-" : "";
  return { access: `${prefix}lattice_session`, refresh: `${prefix}lattice_refresh` };
}

/** Put a sign-in's tokens in HttpOnly, SameSite=Lax cookies. */
export function setSessionCookies(c: Context<AppEnv>, tokens: SessionTokens): void {
  const secure = c.get("app").config.secureCookies;
  const names = cookieNames(secure);
  const base = { httpOnly: true, secure, sameSite: "Lax" as const, path: "/" };
  setCookie(c, names.access, tokens.accessToken, {
    ...base,
    expires: tokens.accessExpiresAt,
  });
  if (tokens.refreshToken && tokens.refreshExpiresAt) {
    setCookie(c, names.refresh, tokens.refreshToken, {
      ...base,
      expires: tokens.refreshExpiresAt,
    });
  }
}

/** Remove both session cookies. */
export function clearSessionCookies(c: Context<AppEnv>): void {
  const secure = c.get("app").config.secureCookies;
  const names = cookieNames(secure);
  deleteCookie(c, names.access, { path: "/", secure });
  deleteCookie(c, names.refresh, { path: "/", secure });
}

/** Read the session cookies. */
export function readSessionCookies(c: Context<AppEnv>) {
  const names = cookieNames(c.get("app").config.secureCookies);
  return { access: getCookie(c, names.access), refresh: getCookie(c, names.refresh) };
}
