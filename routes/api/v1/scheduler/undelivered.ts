import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses, jsonResponse } from "@/lib/api/schemas.ts";
import { ReconcileJob, UNDELIVERED_PREFIX } from "@/lib/scheduling/orchestrator.ts";

export const handler = {
  GET: apiRoute({
    access: "admin",
    summary: "Scheduler queue jobs Deno KV could not deliver (the dead-letter record)",
    description: "The periodic reconciler schedules these workloads anyway; this list shows " +
      "that delivery failed and for which workloads.",
    tags: ["scheduler"],
    request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
    responses: {
      200: jsonResponse(
        z.object({
          jobs: z.array(z.object({ key: z.string(), workloadIds: z.array(z.string()) })),
          stats: z.object({
            batches: z.number(),
            skipped: z.number(),
            placed: z.number(),
            unplaced: z.number(),
            commandsSent: z.number(),
            lastBatchMs: z.number(),
          }),
        }),
        "Undelivered jobs and the scheduler's counters",
      ),
      ...errorResponses(401, 403, 422),
    },
  }, async (c) => {
    const app = c.get("app");
    const jobs: { key: string; workloadIds: string[] }[] = [];
    const iter = app.kv.list({ prefix: [...UNDELIVERED_PREFIX] }, {
      limit: c.req.valid("query").limit,
    });
    for await (const entry of iter) {
      const job = ReconcileJob.safeParse(entry.value);
      jobs.push({
        key: String(entry.key.at(-1)),
        workloadIds: job.success ? job.data.workloadIds : [],
      });
    }
    return c.json({ jobs, stats: { ...app.scheduler.stats } }, 200);
  }),
};
