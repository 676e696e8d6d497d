import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses, IdParam, jsonResponse } from "@/lib/api/schemas.ts";
import { loadNodeMetrics } from "@/lib/nodes/node_pages.ts";

const MetricPointSchema = z.object({
  at: z.iso.datetime().openapi({ description: "Start of the bucket" }),
  cpuPercent: z.number(),
  memoryUsedBytes: z.number(),
  memoryTotalBytes: z.number(),
  rxBps: z.number().openapi({ description: "Bytes received per second" }),
  txBps: z.number().openapi({ description: "Bytes sent per second" }),
}).openapi("NodeMetricPoint");

export const handler = {
  GET: apiRoute({
    access: "admin",
    summary: "A node's recent heartbeat metrics, averaged per bucket, oldest first",
    description: "About 120 buckets over `minutes` (never shorter than a heartbeat interval); " +
      "buckets without heartbeats are left out.",
    tags: ["nodes"],
    request: {
      params: IdParam,
      query: z.object({
        minutes: z.coerce.number({ error: "must be an integer from 1 to 1440" })
          .int("must be an integer from 1 to 1440")
          .min(1, "must be an integer from 1 to 1440")
          .max(1440, "must be an integer from 1 to 1440")
          .default(15),
      }),
    },
    responses: {
      200: jsonResponse(
        z.object({ bucketSeconds: z.number().int(), points: z.array(MetricPointSchema) }),
        "Metric buckets",
      ),
      ...errorResponses(401, 403, 404, 422),
    },
  }, async (c) => {
    const app = c.get("app");
    const { bucketSeconds, points } = await loadNodeMetrics(app.db, c.req.valid("param").id, {
      minutes: c.req.valid("query").minutes,
      heartbeatMs: app.config.heartbeatIntervalMs,
    });
    return c.json({
      bucketSeconds,
      points: points.map((p) => ({
        at: new Date(p.t).toISOString(),
        cpuPercent: p.cpuPercent,
        memoryUsedBytes: p.memoryUsed,
        memoryTotalBytes: p.memoryTotal,
        rxBps: p.rxBps,
        txBps: p.txBps,
      })),
    }, 200);
  }),
};
