import { z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses, IdParam, jsonResponse } from "@/lib/api/schemas.ts";
import { HttpError } from "@/lib/errors.ts";
import { LogLine } from "@/lib/protocol.ts";
import { workloadService } from "@/lib/workloads/service.ts";

const LogsQuery = z.object({
  tail: z.coerce.number().int().min(0).max(10_000).default(100),
  follow: z.enum(["true", "false", "1", "0"]).default("false").openapi({
    description: "Stream new lines as server-sent events (`event: log`)",
  }),
  timestamps: z.enum(["true", "false", "1", "0"]).default("false"),
  allocation: z.uuid({ error: "must be a UUID" }).optional().openapi({
    description: "Which replica; defaults to the first running one",
  }),
});

export const handler = {
  GET: apiRoute({
    summary: "A workload's container logs: the tail, or followed over server-sent events",
    tags: ["workloads"],
    request: { params: IdParam, query: LogsQuery },
    responses: {
      200: jsonResponse(
        z.object({ allocationId: z.string(), lines: z.array(LogLine) }),
        "The last lines (text/event-stream of `log` events with follow=true)",
      ),
      ...errorResponses(401, 404, 409, 422),
    },
  }, async (c) => {
    const app = c.get("app");
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    const target = await workloadService(app).logTarget(c.get("principal")!, id, q.allocation);
    const follow = q.follow === "true" || q.follow === "1";
    const timestamps = q.timestamps === "true" || q.timestamps === "1";
    const command = {
      action: "logs" as const,
      allocationId: target.id,
      tail: q.tail,
      follow,
      timestamps,
    };
    if (follow) {
      const res: Response = streamSSE(c, async (s) => {
        const abort = new AbortController();
        s.onAbort(() => abort.abort());
        // The shutdown listener goes with the stream, so followers never pile up on it.
        const stop = () => abort.abort();
        app.shutdown.addEventListener("abort", stop, { once: true });
        try {
          await s.writeSSE({ event: "allocation", data: JSON.stringify({ id: target.id }) });
          const result = await app.agents.command(target.nodeId, command, {
            signal: abort.signal,
            onLogs: (chunk) => {
              for (const line of chunk.lines) {
                void s.writeSSE({ event: "log", data: JSON.stringify(line) }).catch(() =>
                  abort.abort()
                );
              }
            },
          }).catch((err: Error) => ({
            ok: false as const,
            error: { code: "node_offline", message: err.message },
          }));
          if (!result.ok) {
            await s.writeSSE({ event: "error", data: JSON.stringify(result.error) });
          }
        } finally {
          app.shutdown.removeEventListener("abort", stop);
        }
      });
      return res as never;
    }
    const result = await app.agents.command(target.nodeId, command, { timeoutMs: 30_000 });
    if (!result.ok) {
      throw new HttpError(
        result.error.code === "no_such_container" ? 404 : 502,
        result.error.code,
        `The node could not read the logs: ${result.error.message}`,
      );
    }
    const data = result.data as { lines?: LogLine[] } | undefined;
    return c.json({ allocationId: target.id, lines: data?.lines ?? [] }, 200);
  }),
};
