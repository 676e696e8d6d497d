import type { Context, MiddlewareHandler } from "hono";
import type { AppContext, AppEnv } from "../app_context.ts";
import { HttpError } from "../errors.ts";
import type { Assets } from "./assets.ts";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Attach the app context, a request id (kept from X-Request-Id when sane) and a logger.
 * Headers are set before `next()`, into the response Hono is about to build: setting them on a
 * finished response would copy it.
 */
export function requestContext(app: AppContext): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("app", app);
    c.set("requestId", requestId);
    c.set("principal", null);
    c.set("log", app.log.child({ request_id: requestId }));
    c.header("X-Request-Id", requestId);
    await next();
  };
}

/** Requests slower than this are logged at info even when they succeed. */
const SLOW_REQUEST_MS = 1000;

/**
 * Log one JSON line per request with status and duration: refused, failed and slow requests
 * at info or above, successful ones at debug (at load, a line per request is megabytes a second).
 */
export function accessLog(): MiddlewareHandler<AppEnv> {
  return async function accessLog(c, next) {
    const t0 = performance.now();
    await next();
    const log = c.get("log");
    const status = c.res.status;
    const ms = performance.now() - t0;
    const level = status >= 500
      ? "error"
      : status >= 400 || ms > SLOW_REQUEST_MS
      ? "info"
      : "debug";
    if (!log.enabled(level)) return;
    log[level]("request", {
      method: c.req.method,
      path: c.req.path,
      status,
      duration_ms: Math.round(ms * 100) / 100,
      user_id: c.get("principal")?.userId ?? null,
    });
  };
}

/** Security headers on every response (computed once), and no-store for the API. */
export function securityHeaders(options: { https: boolean }): MiddlewareHandler<AppEnv> {
  const headers: [string, string][] = [
    [
      "Content-Security-Policy",
      [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ].join("; "),
    ],
    ["X-Content-Type-Options", "nosniff"],
    ["Referrer-Policy", "strict-origin-when-cross-origin"],
    ["X-Frame-Options", "DENY"],
    ["Cross-Origin-Opener-Policy", "same-origin"],
    ["Cross-Origin-Resource-Policy", "same-origin"],
    ["Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"],
  ];
  if (options.https) {
    headers.push(["Strict-Transport-Security", "max-age=31536000; includeSubDomains"]);
  }
  return async function securityHeaders(c, next) {
    for (const [k, v] of headers) c.header(k, v);
    // API answers are per-caller: never cached unless a handler says otherwise.
    if (c.req.path.startsWith("/api/")) c.header("Cache-Control", "no-store");
    await next();
  };
}

/**
 * Refuse bodies over `maxBytes` with 413: at once when Content-Length says so, and while
 * reading when the body is streamed without a length.
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  const tooLarge = () =>
    new HttpError(
      413,
      "payload_too_large",
      `Request bodies are limited to ${maxBytes} bytes: send less data`,
      { limitBytes: maxBytes },
    );
  return async function bodyLimit(c, next) {
    // Check the method before touching `body`: the getter builds a stream even for a GET.
    const method = c.req.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return await next();
    const body = c.req.raw.body;
    if (!body) return await next();
    const length = c.req.header("content-length");
    if (length !== undefined) {
      if (!/^\d+$/.test(length)) throw new HttpError(400, "bad_request", "Bad Content-Length");
      if (Number(length) > maxBytes) throw tooLarge();
      return await next();
    }
    // No length: buffer up to the limit, then hand the handler an equivalent request.
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of body) {
      total += chunk.byteLength;
      if (total > maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
    const buffered = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      buffered.set(chunk, offset);
      offset += chunk.byteLength;
    }
    c.req.raw = new Request(c.req.raw, { body: buffered });
    await next();
  };
}

function serveFile(
  c: Context<AppEnv>,
  file: { body: Uint8Array; contentType: string; etag: string },
  cache: string,
): Response {
  const headers = {
    "Content-Type": file.contentType,
    "Cache-Control": cache,
    ETag: file.etag,
    Vary: "Accept-Encoding",
  };
  if (c.req.header("if-none-match") === file.etag) return c.body(null, 304, headers);
  return c.body(file.body as Uint8Array<ArrayBuffer>, 200, headers);
}

/**
 * Serve island bundles (immutable: their URLs carry the build id) and static/ files
 * (immutable when asked for with the current `?v=` hash, revalidated otherwise).
 */
export function staticFiles(assets: Assets): MiddlewareHandler<AppEnv> {
  return async function staticFiles(c, next) {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") return await next();
    const path = c.req.path;
    const js = assets.js.get(path);
    if (js) return serveFile(c, js, "public, max-age=31536000, immutable");
    if (path.startsWith("/_lattice/js/")) {
      throw new HttpError(404, "not_found", "This build's scripts are gone: reload the page");
    }
    const file = assets.statics.get(path);
    if (file) {
      const fresh = c.req.query("v") === file.hash;
      return serveFile(c, file, fresh ? "public, max-age=31536000, immutable" : "no-cache");
    }
    await next();
  };
}
