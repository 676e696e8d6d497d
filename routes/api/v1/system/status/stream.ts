import { streamSSE } from "hono/streaming";
import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses } from "@/lib/api/schemas.ts";

export const handler = {
  GET: apiRoute({
    summary: "Live control plane health as server-sent events (`status`, every 2 s)",
    tags: ["system"],
    responses: {
      200: { description: "text/event-stream; each `status` event's data is a SystemStatus" },
      ...errorResponses(401),
    },
  }, (c) => {
    const app = c.get("app");
    return streamSSE(c, async (stream) => {
      let finish: () => void = () => {};
      const done = new Promise<void>((resolve) => (finish = resolve));
      let seq = 0;
      const send = (status: unknown) =>
        stream.writeSSE({ event: "status", id: String(seq++), data: JSON.stringify(status) })
          .catch(finish);
      stream.onAbort(finish);
      app.shutdown.addEventListener("abort", finish, { once: true });
      await send(await app.status.snapshot());
      const unsubscribe = app.status.subscribe((status) => void send(status));
      await done;
      unsubscribe();
      app.shutdown.removeEventListener("abort", finish);
    });
  }),
};
