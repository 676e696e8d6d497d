import { streamSSE } from "hono/streaming";
import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses } from "@/lib/api/schemas.ts";
import { type ChangeSource, runOverviewStream } from "@/lib/overview/live.ts";

export const handler = {
  GET: apiRoute({
    summary: "The overview, live, as server-sent events",
    description: "An `overview` event (an Overview) at once, then one whenever it changes " +
      "(node or workload changes, at most once a second, and a check every 5 s). A comment " +
      "line every 15 s keeps the connection open.",
    tags: ["overview"],
    responses: {
      200: { description: "text/event-stream of `overview` events" },
      ...errorResponses(401),
    },
  }, (c) => {
    const app = c.get("app");
    // Workload changes are published when the app has that bus (the workload stream's).
    const workloads = (app as unknown as { workloadChanges?: ChangeSource }).workloadChanges;
    const sources = [app.nodeChanges, ...(workloads ? [workloads] : [])];
    return streamSSE(
      c,
      (stream) => runOverviewStream({ ...app, sources }, c.get("principal")!, stream),
    );
  }),
};
