// Variants of Lattice's HTTP stack for A/B experiments, rebuilt from the app's own parts with
// one thing changed at a time, to measure what a change would gain before anyone edits lib/.
// Used by variant_server.ts (over HTTP, with wrk) and inprocess.ts (no network).
//
//   real           the real app (buildControlPlane's fetch)
//   copy           createApp() (lib/app.ts) rebuilt here from the same middleware: should
//                  perform like real
//   nolog          copy without the access-log middleware
//   log-noop       copy with the access log replaced by a middleware that only awaits next()
//   log-timeonly   ... by one that awaits next() between two performance.now() calls
//   fastlog        copy with a cheaper access log: the per-request child logger is made only
//                  when something logs through it, and the access line is one template string
//                  written straight to the sink (same fields, same JSON)
//   fastlog-clock  fastlog, reusing the "time" string while Date.now() is unchanged
//   api-headers    copy, but /api/* responses get a shorter header set meant for JSON, not
//                  documents: Content-Security-Policy "default-src 'none'; frame-ancestors
//                  'none'", nosniff, CORP same-origin, no-store (plus X-Request-Id): 5 headers
//                  instead of 10, and no 230-byte CSP to validate per request
//   old-headers    copy with the response headers set after next() on the finished response,
//                  as before commit 1de7cba (X-Request-Id re-creates the Response)
//   stack:N        plain Hono, the first N global middleware (requestContext, accessLog,
//                  securityHeaders, bodyLimit, staticFiles), then /api/v1/me with its real
//                  route middleware and a copy of its handler
//   routes-only    OpenAPIHono with the real file routes and none of the global middleware
//   hono-min       plain Hono answering /api/v1/me with a fixed JSON body: the ceiling
import { OpenAPIHono } from "@hono/zod-openapi";
import { Hono, type MiddlewareHandler } from "hono";
import { MAX_BODY_BYTES, toHttpError } from "../../lib/app.ts";
import type { AppContext, AppEnv } from "../../lib/app_context.ts";
import { authenticate, csrfProtect } from "../../lib/auth/middleware.ts";
import { errorBody } from "../../lib/errors.ts";
import type { Logger, LogSink } from "../../lib/log.ts";
import { APP_DIRS, type ControlPlane } from "../../lib/server.ts";
import { installIslandHook } from "../../lib/web/islands.ts";
import {
  accessLog,
  bodyLimit,
  requestContext,
  securityHeaders,
  staticFiles,
} from "../../lib/web/middleware.ts";
import { mountRoutes, requireAccess } from "../../lib/web/router.ts";

/** A request handler as Deno.serve takes it. */
export type Handler = (
  req: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

/** The variants an A/B run compares by default. */
export const DEFAULT_VARIANTS = ["real", "copy", "nolog", "old-headers", "routes-only", "hono-min"];

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

const SECURITY_HEADERS: [string, string][] = [
  [
    "Content-Security-Policy",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
    "form-action 'self'; frame-ancestors 'none'",
  ],
  ["X-Content-Type-Options", "nosniff"],
  ["Referrer-Policy", "strict-origin-when-cross-origin"],
  ["X-Frame-Options", "DENY"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"],
];

/** requestContext as it was before 1de7cba: X-Request-Id set on the finished response. */
function requestContextOld(app: AppContext): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("app", app);
    c.set("requestId", requestId);
    c.set("principal", null);
    c.set("log", app.log.child({ request_id: requestId }));
    await next();
    c.header("X-Request-Id", requestId);
  };
}

/** securityHeaders and apiNoStore as they were before 1de7cba: set after next(). */
function securityHeadersOld(): MiddlewareHandler<AppEnv> {
  return async function securityHeaders(c, next) {
    await next();
    for (const [k, v] of SECURITY_HEADERS) if (!c.res.headers.has(k)) c.res.headers.set(k, v);
    if (c.req.path.startsWith("/api/") && !c.res.headers.has("Cache-Control")) {
      c.res.headers.set("Cache-Control", "no-store");
    }
  };
}

const API_HEADERS: [string, string][] = [
  ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"],
  ["X-Content-Type-Options", "nosniff"],
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Cache-Control", "no-store"],
];

/** securityHeaders with the shorter API_HEADERS set on /api/* responses. */
function securityHeadersApi(): MiddlewareHandler<AppEnv> {
  return async function securityHeaders(c, next) {
    if (c.req.path.startsWith("/api/")) {
      for (const [k, v] of API_HEADERS) c.header(k, v);
    } else {
      for (const [k, v] of SECURITY_HEADERS) c.header(k, v);
    }
    await next();
  };
}

/** A logger that builds `make()`'s child only when first used. */
function lazyLogger(make: () => Logger): Logger {
  let child: Logger | undefined;
  const get = () => (child ??= make());
  return {
    debug: (msg, fields) => get().debug(msg, fields),
    info: (msg, fields) => get().info(msg, fields),
    warn: (msg, fields) => get().warn(msg, fields),
    error: (msg, fields) => get().error(msg, fields),
    child: (fields) => get().child(fields),
    enabled: (level) => get().enabled(level),
  };
}

/** requestContext with a lazy per-request logger. */
function requestContextLazy(app: AppContext): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("app", app);
    c.set("requestId", requestId);
    c.set("principal", null);
    c.set("log", lazyLogger(() => app.log.child({ request_id: requestId })));
    c.header("X-Request-Id", requestId);
    await next();
  };
}

/** The access line as one template string, field for field what accessLog() writes. */
function accessLogFast(
  app: AppContext,
  sink: LogSink,
  cachedClock: boolean,
): MiddlewareHandler<AppEnv> {
  const on = app.log.enabled("info");
  let lastMs = 0;
  let lastIso = "";
  const isoNow = () => {
    if (!cachedClock) return new Date().toISOString();
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastIso = new Date(now).toISOString();
    }
    return lastIso;
  };
  return async function accessLog(c, next) {
    const t0 = performance.now();
    await next();
    if (!on) return;
    const duration = Math.round((performance.now() - t0) * 100) / 100;
    const userId = c.get("principal")?.userId;
    sink.write(
      `{"time":"${isoNow()}","level":"info","msg":"request",` +
        `"request_id":${JSON.stringify(c.get("requestId"))},"method":"${c.req.method}",` +
        `"path":${JSON.stringify(c.req.path)},"status":${c.res.status},` +
        `"duration_ms":${duration},"user_id":${userId ? JSON.stringify(userId) : "null"}}`,
    );
  };
}

/** The access-log slot of each variant. */
function accessLogFor(variant: string, ctx: AppContext, sink?: LogSink) {
  switch (variant) {
    case "nolog":
      return null;
    case "log-noop":
      return async function accessLog(_c: unknown, next: () => Promise<void>) {
        await next();
      } as MiddlewareHandler<AppEnv>;
    case "log-timeonly":
      return async function accessLog(c, next) {
        const t0 = performance.now();
        await next();
        // Use the reading so it is not optimised away.
        if (performance.now() < t0) c.set("requestId", "clock went backwards");
      } as MiddlewareHandler<AppEnv>;
    case "fastlog":
    case "fastlog-clock":
      if (!sink) throw new Error(`${variant} needs the log sink`);
      return accessLogFast(ctx, sink, variant === "fastlog-clock");
    default:
      return accessLog();
  }
}

/**
 * Build the handler for `variant` over an already built control plane; `sink` is where the
 * plane's logger writes (needed by the fastlog variants).
 */
export async function variantHandler(
  variant: string,
  plane: ControlPlane,
  sink?: LogSink,
): Promise<Handler> {
  const ctx = plane.ctx;
  if (variant === "real") return plane.fetch;

  if (variant === "hono-min") {
    const app = new Hono();
    const body = { user: { id: "x", email: "bench@example.com", role: "admin" } };
    app.get("/readyz", (c) => c.json({ status: "ready" }));
    app.get("/api/v1/me", (c) => c.json(body));
    app.post("*", (c) => plane.fetch(c.req.raw));
    return (req) => app.fetch(req);
  }

  const stack = /^stack:(\d)$/.exec(variant);
  if (stack) {
    const n = Number(stack[1]);
    const app = new Hono<AppEnv>();
    if (n < 1) {
      app.use(async (c, next) => {
        c.set("app", ctx);
        c.set("log", ctx.log);
        c.set("principal", null);
        await next();
      });
    }
    const global = [
      requestContext(ctx),
      accessLog(),
      securityHeaders({ https: false }),
      bodyLimit(MAX_BODY_BYTES),
      staticFiles(ctx.assets),
    ];
    for (const m of global.slice(0, n)) app.use(m);
    app.get("/readyz", (c) => c.json({ status: "ready" }));
    app.get("/api/v1/me", authenticate(), csrfProtect(), requireAccess("user"), (c) => {
      const p = c.get("principal")!;
      return c.json({
        user: { id: p.userId, email: p.email, role: p.role, createdAt: p.createdAt },
        auth: { method: p.method, tokenId: p.tokenId },
      }, 200);
    });
    app.post("*", (c) => plane.fetch(c.req.raw));
    return (req, info) => app.fetch(req, info);
  }

  const known = [
    "copy",
    "nolog",
    "log-noop",
    "log-timeonly",
    "fastlog",
    "fastlog-clock",
    "old-headers",
    "api-headers",
    "routes-only",
  ];
  if (!known.includes(variant)) throw new Error(`Unknown variant ${variant}`);

  // The body of createApp() (lib/app.ts) with the variant's middleware swapped; error pages
  // are JSON only, which /api/v1/me never needs.
  const app = new OpenAPIHono<AppEnv>();
  app.onError((err, c) => {
    const error = toHttpError(err, c);
    for (const [k, v] of Object.entries(error.headers)) c.header(k, v);
    c.header("Cache-Control", "no-store");
    return c.json(errorBody(error.code, error.message, error.details), error.status as 400);
  });
  app.notFound((c) => c.json(errorBody("not_found", `Nothing here: ${c.req.path}`), 404));
  if (variant === "routes-only") {
    app.use(async (c, next) => {
      c.set("app", ctx);
      c.set("log", ctx.log);
      c.set("principal", null);
      await next();
    });
  } else {
    const fast = variant.startsWith("fastlog");
    const old = variant === "old-headers";
    app.use(
      old ? requestContextOld(ctx) : fast ? requestContextLazy(ctx) : requestContext(ctx),
    );
    const log = accessLogFor(variant, ctx, sink);
    if (log) app.use(log);
    app.use(
      old
        ? securityHeadersOld()
        : variant === "api-headers"
        ? securityHeadersApi()
        : securityHeaders({ https: false }),
    );
    app.use(bodyLimit(MAX_BODY_BYTES));
    app.use(staticFiles(ctx.assets));
  }
  installIslandHook(ctx.assets.islandUrl);
  await mountRoutes(app, { ...APP_DIRS, assets: ctx.assets });
  return (req, info) => app.fetch(req, info);
}
