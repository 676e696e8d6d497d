import { streamSSE } from "hono/streaming";
import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses, nodeDto } from "@/lib/api/schemas.ts";
import { runNodeStream } from "@/lib/nodes/stream.ts";

export const handler = {
  GET: apiRoute({
    access: "admin",
    summary: "Live node changes as server-sent events",
    description: "First a `snapshot` event ({nodes: Node[]}), then a `node` event (a Node) per " +
      "change, at most one per node per 250 ms, and `deleted` ({id}) when a node is gone. " +
      "A comment line every 15 s keeps the connection open.",
    tags: ["nodes"],
    responses: {
      200: { description: "text/event-stream of `snapshot`, `node` and `deleted` events" },
      ...errorResponses(401, 403),
    },
  }, (c) => {
    const app = c.get("app");
    return streamSSE(c, (stream) => runNodeStream(app, stream, nodeDto));
  }),
};
