import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { jsonResponse } from "@/lib/api/schemas.ts";

export const handler = {
  GET: apiRoute({
    access: "public",
    summary: "Liveness: the process is up",
    tags: ["system"],
    responses: { 200: jsonResponse(z.object({ status: z.literal("ok") }), "Alive") },
  }, (c) => c.json({ status: "ok" as const }, 200)),
};
