import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "@/lib/app_context.ts";
import { countPendingNodes } from "@/db/overview.ts";

// Dashboard pages need a signed-in account: first run goes to setup, everyone else to login.
const requireSignIn: MiddlewareHandler<AppEnv> = async function requireSignIn(c, next) {
  if (c.get("principal")) return await next();
  if (!(await c.get("app").auth.hasUsers())) return c.redirect("/setup", 303);
  const url = new URL(c.req.url);
  const next_ = url.pathname + url.search;
  return c.redirect(next_ === "/" ? "/login" : `/login?next=${encodeURIComponent(next_)}`, 303);
};

// Admins' navigation shows how many nodes wait on Approvals (one indexed count per page).
const countApprovals: MiddlewareHandler<AppEnv> = async function countApprovals(c, next) {
  if (c.get("principal")?.role === "admin" && c.req.method === "GET") {
    c.set("pendingApprovals", await countPendingNodes(c.get("app").db));
  }
  return await next();
};

export default [requireSignIn, countApprovals];
