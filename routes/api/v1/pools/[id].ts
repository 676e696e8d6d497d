import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { poolService } from "@/lib/nodes/service.ts";
import {
  errorResponses,
  IdParam,
  jsonBody,
  jsonResponse,
  poolDto,
  PoolSchema,
  UpdatePoolRequest,
} from "@/lib/api/schemas.ts";

export const handler = {
  GET: apiRoute({
    access: "admin",
    summary: "One pool with its health",
    tags: ["pools"],
    request: { params: IdParam },
    responses: {
      200: jsonResponse(z.object({ pool: PoolSchema }), "The pool"),
      ...errorResponses(401, 403, 404, 422),
    },
  }, async (c) => {
    const pool = await poolService(c.get("app")).getPool(c.req.valid("param").id);
    return c.json({ pool: poolDto(pool) }, 200);
  }),
  PATCH: apiRoute({
    access: "admin",
    summary: "Change a pool's name, description, auto-approve or criteria",
    tags: ["pools"],
    request: { params: IdParam, body: jsonBody(UpdatePoolRequest) },
    responses: {
      200: jsonResponse(z.object({ pool: PoolSchema }), "The changed pool"),
      ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
    },
  }, async (c) => {
    const pool = await poolService(c.get("app")).updatePool(
      c.get("principal")!,
      c.req.valid("param").id,
      c.req.valid("json"),
      requestMeta(c),
    );
    return c.json({ pool: poolDto(pool) }, 200);
  }),
  DELETE: apiRoute({
    access: "admin",
    summary: "Delete a pool: its nodes move to the default pool and its join tokens stop working",
    tags: ["pools"],
    request: { params: IdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404, 409, 422) },
  }, async (c) => {
    await poolService(c.get("app")).deletePool(
      c.get("principal")!,
      c.req.valid("param").id,
      requestMeta(c),
    );
    return c.body(null, 204);
  }),
};
