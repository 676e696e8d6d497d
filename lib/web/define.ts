import type { Context, MiddlewareHandler } from "hono";
import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { ComponentType } from "preact";
import type { AppEnv } from "../app_context.ts";
import type { Principal } from "../auth/principal.ts";

/** What pages and layouts know about the request besides their data. */
export interface PageState {
  principal: Principal | null;
  /** Present for signed-in dashboard sessions; forms send it back as `_csrf`. */
  csrfToken: string | null;
  title: string;
  /** URL helper for static files with their content hash. */
  asset: (path: string) => string;
  /** Nodes waiting for approval (admins' dashboard pages only), for the navigation badge. */
  pendingApprovals?: number;
}

/** Props of a page component. */
export interface PageProps<Data = undefined> {
  data: Data;
  url: URL;
  params: Record<string, string>;
  state: PageState;
}

/** Props of `_app.tsx` and `_layout.tsx`: the page props plus the inner component. */
export interface LayoutProps extends PageProps<unknown> {
  Component: ComponentType;
}

const PAGE_RESULT = Symbol("page");

/** A handler's request to render the route's page with `data`. */
export interface PageResult<Data> {
  [PAGE_RESULT]: true;
  data: Data;
  status?: number;
  headers?: Record<string, string>;
  title?: string;
}

/** Render this route's page with `data` (Fresh's `page()`). */
export function page<Data>(
  data: Data,
  init: { status?: number; headers?: Record<string, string>; title?: string } = {},
): PageResult<Data> {
  return { [PAGE_RESULT]: true, data, ...init };
}

/** True when `value` came from `page()`. */
export function isPageResult(value: unknown): value is PageResult<unknown> {
  return typeof value === "object" && value !== null && PAGE_RESULT in value;
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A page-style handler: returns a Response, or `page(data)` to render the page. */
export type PageHandler<Data = undefined> = (
  c: Context<AppEnv>,
) => Response | PageResult<Data> | Promise<Response | PageResult<Data>>;

/** A route module's `handler` export for pages and plain handlers. */
export type PageHandlers<Data = undefined> = Partial<Record<Method, PageHandler<Data>>>;

/** Who may call an API route. Deny by default: routes are "user" unless they say otherwise. */
export type Access = "public" | "user" | "admin";

/** An API route: its OpenAPI description (path and method come from the file) and handler. */
export interface ApiRoute {
  kind: "api";
  access: Access;
  config: Omit<RouteConfig, "method" | "path">;
  // deno-lint-ignore no-explicit-any
  handler: RouteHandler<any, AppEnv>;
}

/** Describe an API route with zod schemas; the handler reads validated input via c.req.valid. */
export function apiRoute<R extends Omit<RouteConfig, "method" | "path">>(
  config: R & { access?: Access },
  handler: RouteHandler<R & { method: "get"; path: string }, AppEnv>,
): ApiRoute {
  const { access = "user", ...rest } = config;
  return { kind: "api", access, config: rest, handler: handler as ApiRoute["handler"] };
}

/** True when a handler export entry is an API route. */
export function isApiRoute(value: unknown): value is ApiRoute {
  return typeof value === "object" && value !== null && (value as ApiRoute).kind === "api";
}

/** A `_middleware.ts` default export. */
export type RouteMiddleware = MiddlewareHandler<AppEnv> | MiddlewareHandler<AppEnv>[];
