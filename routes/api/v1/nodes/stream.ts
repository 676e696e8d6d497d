import { streamSSE } from "hono/streaming";
import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses, nodeDto } from "@/lib/api/schemas.ts";
import { runNodeStream } from "@/lib/nodes/stream.ts";

export const handler = {
  GET: apiRoute({
    access: "admin",
    summary: "Live node changes as server-sent events",
    description: "First a `snapshot` event ({nodes: Node[]}), then a `node` event (a Node) per " +
      "change, at most one per node per 250 ms, and `deleted` ({id}) when a node is gone. " +
      "A comment line every 15 s keeps the connection open. With `batchMs`, changes are " +
      "gathered for that long and sent as one `nodes` event ({nodes: Node[], deleted: id[]}) " +
      "instead; with `ids`, only those nodes are in the snapshot and the changes.",
    tags: ["nodes"],
    request: {
      query: z.object({
        ids: z.string().max(8000).optional().transform((s, ctx) => {
          if (s === undefined) return undefined;
          const ids = s.split(",").filter(Boolean);
          const uuid = z.uuid();
          if (ids.length > 200 || ids.some((id) => !uuid.safeParse(id).success)) {
            ctx.addIssue({ code: "custom", message: "must be up to 200 comma-separated UUIDs" });
            return z.NEVER;
          }
          return ids;
        }).openapi({ type: "string", description: "Comma-separated node ids (at most 200)" }),
        batchMs: z.coerce.number({ error: "must be milliseconds, 50 to 5000" })
          .int("must be milliseconds, 50 to 5000")
          .min(50, "must be milliseconds, 50 to 5000")
          .max(5000, "must be milliseconds, 50 to 5000")
          .optional(),
      }),
    },
    responses: {
      200: { description: "text/event-stream of `snapshot`, `node` and `deleted` events" },
      ...errorResponses(401, 403, 422),
    },
  }, (c) => {
    const app = c.get("app");
    const { ids, batchMs } = c.req.valid("query");
    return streamSSE(c, (stream) => runNodeStream(app, stream, nodeDto, { ids, batchMs }));
  }),
};
