/**
 * The onboarding page's local web server: 127.0.0.1 only, a one-time token in the URL that is
 * swapped for an HttpOnly SameSite=Strict session cookie, an exact Host check (against DNS
 * rebinding), same-origin JSON POSTs, a strict CSP, and zod-checked bodies. Refusals are JSON
 * `{error:{code,message,details}}` with a 4xx; bad input never causes a 500.
 */
import type { z } from "zod";
import { encodeBase64Url } from "../encoding.ts";
import { OnboardError } from "./backend.ts";
import { PAGE_CSS } from "./page_css.ts";
import { PAGE_HTML } from "./page_html.ts";
import { PAGE_JS } from "./page_js.ts";

const COOKIE = "lattice_onboard";
const FAVICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">' +
  '<rect width="16" height="16" rx="3" fill="#1f5fd6"/>' +
  '<path d="M4 4h2v6h6v2H4z" fill="#fff"/></svg>';
const MAX_BODY = 64 * 1024;

/** A GET answer: any JSON value. */
export type GetRoute = () => Promise<unknown> | unknown;
/** A POST route: the body's schema and what to do with the parsed body. */
export interface PostRoute<S extends z.ZodType = z.ZodType> {
  schema: S;
  run(body: z.infer<S>): Promise<unknown> | unknown;
}

/** The page's API: `GET /api/<name>` and `POST /api/<name>`. */
export interface Routes {
  get: Record<string, GetRoute>;
  // deno-lint-ignore no-explicit-any
  post: Record<string, PostRoute<any>>;
}

/** Declare a POST route (keeps the body type tied to its schema). */
export function post<S extends z.ZodType>(
  schema: S,
  run: (body: z.infer<S>) => Promise<unknown> | unknown,
): PostRoute<S> {
  return { schema, run };
}

/** 32 random bytes, base64url. */
export function randomToken(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

function respond(body: BodyInit | null, status: number, headers: Record<string, string> = {}) {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, ...headers } });
}

function json(value: unknown, status = 200): Response {
  return respond(JSON.stringify(value), status, {
    "content-type": "application/json; charset=utf-8",
  });
}

/** The JSON refusal every rule uses. */
export function problem(
  status: number,
  code: string,
  message: string,
  details: unknown = null,
): Response {
  return json({ error: { code, message, details } }, status);
}

function cookieOf(req: Request, name: string): string | null {
  for (const part of (req.headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Constant-time string comparison. */
function same(a: string | null, b: string): boolean {
  if (a === null || a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The request handler with its security rules; `origin()` is read per request (port 0). */
export function createHandler(options: {
  origin: () => string;
  token: string;
  routes: Routes;
  /** Logs unexpected failures (they answer 500 without details). */
  onError?: (err: unknown) => void;
}): (req: Request) => Promise<Response> {
  const { token, routes } = options;
  const session = randomToken();
  let tokenUsed = false;
  return async (req) => {
    const origin = options.origin();
    const url = new URL(req.url);
    if (req.headers.get("host") !== new URL(origin).host) {
      return problem(403, "bad_host", "This page only answers at " + origin + ".");
    }
    if (req.method === "GET" && url.pathname === "/" && url.searchParams.has("t")) {
      if (tokenUsed || !same(url.searchParams.get("t"), token)) {
        return problem(
          403,
          tokenUsed ? "link_used" : "bad_token",
          tokenUsed
            ? "This link was already used. Run `lattice-agent onboard` again for a new one."
            : "This link is not valid. Use the address `lattice-agent onboard` printed.",
        );
      }
      tokenUsed = true;
      return respond(null, 302, {
        location: "/",
        "set-cookie": `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`,
      });
    }
    if (!same(cookieOf(req, COOKIE), session)) {
      return problem(
        403,
        "no_session",
        "Open this page with the link `lattice-agent onboard` printed (it works once).",
      );
    }
    if (req.method === "GET") {
      if (url.pathname === "/") {
        return respond(PAGE_HTML, 200, { "content-type": "text/html; charset=utf-8" });
      }
      if (url.pathname === "/app.js") {
        return respond(PAGE_JS, 200, { "content-type": "text/javascript; charset=utf-8" });
      }
      if (url.pathname === "/favicon.svg" || url.pathname === "/favicon.ico") {
        return respond(FAVICON, 200, { "content-type": "image/svg+xml" });
      }
      if (url.pathname === "/app.css") {
        return respond(PAGE_CSS, 200, { "content-type": "text/css; charset=utf-8" });
      }
    }
    const name = url.pathname.startsWith("/api/") ? url.pathname.slice(5) : null;
    const getRoute = name !== null && Object.hasOwn(routes.get, name) ? routes.get[name] : null;
    const postRoute = name !== null && Object.hasOwn(routes.post, name) ? routes.post[name] : null;
    if (!getRoute && !postRoute) return problem(404, "not_found", "There is no such page.");
    try {
      if (req.method === "GET" && getRoute) return json(await getRoute());
      if (req.method !== "POST" || !postRoute) {
        return problem(405, "method_not_allowed", `${req.method} is not allowed here.`);
      }
      if (req.headers.get("origin") !== origin) {
        return problem(403, "bad_origin", "Requests must come from this page.");
      }
      const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
      if (type !== "application/json") {
        return problem(415, "unsupported_media_type", "Send JSON (content-type application/json).");
      }
      const declared = Number(req.headers.get("content-length") ?? "0");
      if (declared > MAX_BODY) return problem(413, "too_large", "The request is too large.");
      const bytes = new Uint8Array(await req.arrayBuffer());
      if (bytes.length > MAX_BODY) return problem(413, "too_large", "The request is too large.");
      let value: unknown;
      try {
        value = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        return problem(400, "bad_json", "The request body is not valid JSON.");
      }
      const parsed = postRoute.schema.safeParse(value);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i: z.core.$ZodIssue) => ({
          path: i.path.map(String).join("."),
          message: i.message,
        }));
        return problem(
          422,
          "validation_failed",
          issues[0]
            ? `${issues[0].path ? `${issues[0].path}: ` : ""}${issues[0].message}`
            : "invalid",
          issues,
        );
      }
      return json(await postRoute.run(parsed.data));
    } catch (err) {
      if (err instanceof OnboardError) return problem(err.status, err.code, err.message);
      options.onError?.(err);
      return problem(
        500,
        "internal",
        `Something went wrong: ${err instanceof Error ? err.message : err}`,
      );
    }
  };
}

/** A running onboarding server. */
export interface OnboardServer {
  /** The one-time address to open: http://127.0.0.1:PORT/?t=TOKEN */
  url: string;
  origin: string;
  port: number;
  close(): Promise<void>;
}

/** Listen on 127.0.0.1 (`port` 0: a random free one). */
export function startOnboardServer(options: {
  port?: number;
  routes: Routes;
  onError?: (err: unknown) => void;
}): OnboardServer {
  const token = randomToken();
  let origin = "";
  const handler = createHandler({
    origin: () => origin,
    token,
    routes: options.routes,
    onError: options.onError,
  });
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    onListen: () => {},
  }, handler);
  const port = server.addr.port;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/?t=${token}`,
    origin,
    port,
    close: () => server.shutdown(),
  };
}
