import { z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses } from "@/lib/api/schemas.ts";
import { runWorkloadStream, SNAPSHOT_LIMIT } from "@/lib/workloads/stream.ts";
import { workloadService } from "@/lib/workloads/service.ts";

export const handler = {
  GET: apiRoute({
    summary: "Live workload changes as server-sent events",
    description: "First a `snapshot` event ({workloads: Workload[]}: yours, or everyone's for " +
      `admins, newest first, at most ${SNAPSHOT_LIMIT}), then a \`workload\` event (a Workload) ` +
      "per change, changes within 200 ms sent together, and `deleted` ({id}) when a workload " +
      "is gone. `?id=` watches one workload. A comment line every 15 s keeps the connection open.",
    tags: ["workloads"],
    request: {
      query: z.object({
        id: z.uuid({ error: "must be a workload id (a UUID)" }).optional().openapi({
          description: "Only this workload",
        }),
      }),
    },
    responses: {
      200: { description: "text/event-stream of `snapshot`, `workload` and `deleted` events" },
      ...errorResponses(401, 404, 422),
    },
  }, async (c) => {
    const app = c.get("app");
    const principal = c.get("principal")!;
    const { id } = c.req.valid("query");
    // 404 before the stream starts for a workload the caller may not see.
    if (id) await workloadService(app).get(principal, id);
    return streamSSE(
      c,
      (stream) => runWorkloadStream(app, stream, { principal, onlyId: id ?? null }),
    ) as never;
  }),
};
