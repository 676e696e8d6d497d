import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { ComponentType } from "preact";
import type { AppEnv } from "../app_context.ts";
import { ForbiddenError, HttpError, UnauthorizedError } from "../errors.ts";
import type { Assets } from "./assets.ts";
import {
  type Access,
  type ApiRoute,
  isApiRoute,
  isPageResult,
  type LayoutProps,
  page,
  type PageHandler,
  type PageProps,
  type PageState,
  type RouteMiddleware,
} from "./define.ts";
import { registerIsland } from "./islands.ts";
import { renderDocument } from "./render.ts";
import { classifyRouteFile, compareRoutes, listFiles, type RouteFile } from "./route_paths.ts";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

interface RouteModule {
  // deno-lint-ignore no-explicit-any
  default?: ComponentType<any>;
  handler?: Record<string, PageHandler<unknown> | ApiRoute>;
  title?: string;
}

/** Refuse callers below the route's access level (deny by default). */
export function requireAccess(access: Access): MiddlewareHandler<AppEnv> {
  return async function requireAccess(c, next) {
    if (access !== "public") {
      const principal = c.get("principal");
      if (!principal) throw new UnauthorizedError();
      if (access === "admin" && principal.role !== "admin") {
        c.get("log").warn("access denied", { user_id: principal.userId, path: c.req.path });
        throw new ForbiddenError("This needs an admin account");
      }
    }
    await next();
  };
}

/** The page state handed to components, derived from the request. */
export function pageState(c: Context<AppEnv>, title: string): PageState {
  const app = c.get("app");
  const principal = c.get("principal") ?? null;
  return {
    principal,
    csrfToken: principal?.sessionId ? app.auth.csrfToken(principal.sessionId) : null,
    title,
    asset: app.assets.asset,
    pendingApprovals: c.get("pendingApprovals"),
  };
}

/** What mounting returns: how to render an HTML error page in the app's shell. */
export interface MountedRoutes {
  renderError(c: Context<AppEnv>, error: HttpError): string | null;
  count: number;
}

/**
 * Import every module under routes/ and islands/, and mount them on `app` the way Fresh lays
 * them out: _app, nested _layout and _middleware per folder, (group) folders, [param]s. API
 * modules (whose handlers are apiRoute()s) are registered with their OpenAPI descriptions.
 */
export async function mountRoutes(
  app: OpenAPIHono<AppEnv>,
  options: { routesDir: string; islandsDir: string; assets: Assets },
): Promise<MountedRoutes> {
  const load = (path: string): Promise<RouteModule> => import(`file://${path}`);

  for (const rel of await listFiles(options.islandsDir)) {
    const match = /^([A-Za-z0-9_-]+)\.(tsx|jsx|ts|js)$/.exec(rel);
    if (!match || rel.includes("_test.")) continue;
    const mod = await load(`${options.islandsDir}/${rel}`);
    if (typeof mod.default !== "function") {
      throw new Error(`Island ${rel} must default-export a component`);
    }
    registerIsland(match[1], mod.default);
  }

  const files = (await listFiles(options.routesDir))
    .map(classifyRouteFile)
    .filter((f): f is RouteFile => f !== null);
  const byDir = (kind: RouteFile["kind"]) => {
    const map = new Map<string, string>();
    for (const f of files) if (f.kind === kind) map.set(f.dirs[f.dirs.length - 1], f.rel);
    return map;
  };
  const middlewareFiles = byDir("middleware");
  const layoutFiles = byDir("layout");
  const modules = new Map<string, RouteModule>();
  for (const f of files) modules.set(f.rel, await load(`${options.routesDir}/${f.rel}`));

  const appFile = files.find((f) => f.kind === "app" && f.dirs.length === 1);
  const errorFile = files.find((f) => f.kind === "error" && f.dirs.length === 1);
  const AppShell = appFile ? modules.get(appFile.rel)!.default ?? null : null;
  const ErrorPage = errorFile ? modules.get(errorFile.rel)!.default ?? null : null;

  const middlewareFor = (route: RouteFile): MiddlewareHandler<AppEnv>[] =>
    route.dirs.flatMap((d) => {
      const rel = middlewareFiles.get(d);
      if (!rel) return [];
      const exported = (modules.get(rel) as { default?: RouteMiddleware }).default;
      if (!exported) throw new Error(`${rel} must default-export a middleware or an array`);
      return Array.isArray(exported) ? exported : [exported];
    });
  const layoutsFor = (route: RouteFile): ComponentType<LayoutProps>[] =>
    route.dirs.flatMap((d) => {
      const rel = layoutFiles.get(d);
      const component = rel ? modules.get(rel)!.default : undefined;
      return component ? [component] : [];
    });

  const routes = files.filter((f) => f.kind === "route").sort(compareRoutes);
  const seen = new Map<string, string>();
  for (const route of routes) {
    const clash = seen.get(route.pattern);
    if (clash) throw new Error(`Routes ${clash} and ${route.rel} both serve ${route.pattern}`);
    seen.set(route.pattern, route.rel);
    const mod = modules.get(route.rel)!;
    const middleware = middlewareFor(route);
    const layouts = layoutsFor(route);
    const handlers = mod.handler ?? {};
    const allowed: string[] = [];

    const pageMethods: string[] = [];
    for (const method of METHODS) {
      const h = handlers[method];
      if (!h) continue;
      allowed.push(method);
      if (isApiRoute(h)) {
        const config = createRoute({
          ...h.config,
          method: method.toLowerCase() as "get",
          path: route.openApiPath,
          middleware: [...middleware, requireAccess(h.access)],
          ...(h.access === "public" ? {} : {
            security: [{ bearerAuth: [] }, { cookieAuth: [] }],
          }),
        });
        app.openapi(config, h.handler);
      } else {
        pageMethods.push(method);
      }
    }
    if (!mod.handler && mod.default) {
      pageMethods.push("GET");
      allowed.push("GET");
    }
    if (pageMethods.length > 0) {
      const Page = mod.default;
      const endpoint = async (c: Context<AppEnv>) => {
        const method = c.req.method === "HEAD" ? "GET" : c.req.method;
        const fn = handlers[method] as PageHandler<unknown> | undefined;
        const result = fn ? await fn(c) : page(undefined);
        if (result instanceof Response) return result;
        if (!isPageResult(result)) throw new Error(`${route.rel}: handler returned neither`);
        if (!Page) throw new Error(`${route.rel} returned page() but has no default export`);
        const props: PageProps<unknown> = {
          data: result.data,
          url: new URL(c.req.url),
          params: c.req.param() as Record<string, string>,
          state: pageState(c, result.title ?? mod.title ?? "Lattice"),
        };
        const html = renderDocument({
          app: AppShell,
          layouts,
          page: Page,
          props,
          assets: options.assets,
        });
        return c.html(html, (result.status ?? 200) as 200, {
          "Cache-Control": "no-store",
          ...result.headers,
        });
      };
      // deno-lint-ignore no-explicit-any
      (app.on as any)(pageMethods, [route.pattern], ...middleware, endpoint);
    }
    if (allowed.length === 0) throw new Error(`${route.rel} exports neither handler nor page`);
    const allow = [...allowed, ...(allowed.includes("GET") ? ["HEAD"] : [])].join(", ");
    app.all(route.pattern, (c) => {
      if (c.req.method === "OPTIONS") return c.body(null, 204, { Allow: allow });
      throw new HttpError(405, "method_not_allowed", `${c.req.method} is not allowed here`, {
        allowed: allow.split(", "),
      }, { Allow: allow });
    });
  }

  return {
    count: routes.length,
    renderError(c, error) {
      if (!ErrorPage) return null;
      const props: PageProps<unknown> = {
        data: { status: error.status, code: error.code, message: error.message },
        url: new URL(c.req.url),
        params: {},
        state: pageState(c, `${error.status} · Lattice`),
      };
      return renderDocument({
        app: AppShell,
        layouts: [],
        page: ErrorPage,
        props,
        assets: options.assets,
      });
    },
  };
}
