import { issueDetails } from "./api/issues.ts";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppContext, AppEnv } from "./app_context.ts";
import { errorBody, HttpError, ValidationError } from "./errors.ts";
import { bodyLimit, requestContext, securityHeaders, staticFiles } from "./web/middleware.ts";
import { accessLog } from "./web/middleware.ts";
import { installIslandHook } from "./web/islands.ts";
import { type MountedRoutes, mountRoutes } from "./web/router.ts";

/** Requests bodies larger than this are refused with 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

const ERROR_CODES: Record<number, HttpError["code"]> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

/** Driver errors that mean the database cannot be reached, not that the request is bad. */
function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" &&
    ["ECONNREFUSED", "ECONNRESET", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECT_TIMEOUT"]
      .includes(code);
}

/** Turn anything thrown into an HttpError; unknown errors become a logged 500. */
export function toHttpError(err: unknown, c: Context<AppEnv>): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof HTTPException) {
    const status = err.status;
    const code = ERROR_CODES[status] ?? (status < 500 ? "bad_request" : "internal_error");
    const message = status === 400 && /JSON/i.test(err.message)
      ? "The body is not valid JSON"
      : status === 415
      ? "Send the body as application/json"
      : err.message || "Bad request";
    return new HttpError(
      status,
      status === 400 && /JSON/i.test(err.message) ? "invalid_json" : code,
      message,
    );
  }
  const log = c.get("log") ?? c.get("app")?.log;
  if (isUnavailable(err)) {
    log?.error("database unavailable", { err, path: c.req.path });
    return new HttpError(
      503,
      "unavailable",
      "The database cannot be reached: try again shortly",
      null,
      {
        "Retry-After": "5",
      },
    );
  }
  log?.error("unhandled error", { err, method: c.req.method, path: c.req.path });
  return new HttpError(
    500,
    "internal_error",
    `Something went wrong on the server; quote request id ${c.get("requestId")} when reporting it`,
  );
}

function wantsHtml(c: Context<AppEnv>): boolean {
  return !c.req.path.startsWith("/api/") && (c.req.header("accept") ?? "").includes("text/html");
}

/** Answer an error as JSON (API) or as the _error page (browsers on page routes). */
function respondError(c: Context<AppEnv>, error: HttpError, routes: MountedRoutes | null) {
  for (const [k, v] of Object.entries(error.headers)) c.header(k, v);
  c.header("Cache-Control", "no-store");
  if (routes && wantsHtml(c)) {
    const html = routes.renderError(c, error);
    if (html) return c.html(html, error.status as 400);
  }
  return c.json(errorBody(error.code, error.message, error.details), error.status as 400);
}

/** Options that locate the app's source folders. */
export interface AppDirs {
  routesDir: string;
  islandsDir: string;
}

/** Build the Hono app: request context, logging, headers, limits, assets, then file routes. */
export async function createApp(ctx: AppContext, dirs: AppDirs) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new ValidationError(
          "The request does not match the schema: see details for each field",
          issueDetails(result.error),
        );
      }
    },
  });
  let routes: MountedRoutes | null = null;
  app.onError((err, c) => respondError(c, toHttpError(err, c), routes));
  app.notFound((c) =>
    respondError(c, new HttpError(404, "not_found", `Nothing here: ${c.req.path}`), routes)
  );

  app.use(requestContext(ctx));
  app.use(accessLog());
  app.use(securityHeaders({ https: ctx.config.publicUrl.startsWith("https://") }));
  app.use(bodyLimit(MAX_BODY_BYTES));
  app.use(staticFiles(ctx.assets));

  installIslandHook(ctx.assets.islandUrl);
  routes = await mountRoutes(app, { ...dirs, assets: ctx.assets });

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API token (lat_…) from POST /api/v1/tokens, or the token from login",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "cookieAuth", {
    type: "apiKey",
    in: "cookie",
    name: "lattice_session",
    description: "Dashboard session; state changes also need the X-CSRF-Token header",
  });
  app.doc("/api/v1/openapi.json", {
    openapi: "3.0.3",
    info: {
      title: "Lattice control plane API",
      version: ctx.version,
      description: 'Errors are always {"error": {"code", "message", "details"}}.',
    },
    servers: [{ url: ctx.config.publicUrl }],
  });
  return app;
}
