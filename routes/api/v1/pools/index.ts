import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { poolService } from "@/lib/nodes/service.ts";
import {
  CreatePoolRequest,
  errorResponses,
  jsonBody,
  jsonResponse,
  poolDto,
  PoolSchema,
} from "@/lib/api/schemas.ts";

export const handler = {
  GET: apiRoute({
    access: "admin",
    summary: "Pools with their health (nodes, online nodes, CPU and memory online)",
    tags: ["pools"],
    responses: {
      200: jsonResponse(z.object({ pools: z.array(PoolSchema) }), "Pools by name"),
      ...errorResponses(401, 403),
    },
  }, async (c) => {
    const pools = await poolService(c.get("app")).listPools();
    return c.json({ pools: pools.map(poolDto) }, 200);
  }),
  POST: apiRoute({
    access: "admin",
    summary: "Create a pool",
    tags: ["pools"],
    request: { body: jsonBody(CreatePoolRequest) },
    responses: {
      201: jsonResponse(z.object({ pool: PoolSchema }), "Created"),
      ...errorResponses(400, 401, 403, 409, 413, 415, 422),
    },
  }, async (c) => {
    const pool = await poolService(c.get("app")).createPool(
      c.get("principal")!,
      c.req.valid("json"),
      requestMeta(c),
    );
    return c.json({ pool: poolDto(pool) }, 201);
  }),
};
