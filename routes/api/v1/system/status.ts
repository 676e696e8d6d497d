import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses, jsonResponse, SystemStatusSchema } from "@/lib/api/schemas.ts";

export const handler = {
  GET: apiRoute({
    summary: "Control plane health: version, uptime, database and KV latency",
    tags: ["system"],
    responses: { 200: jsonResponse(SystemStatusSchema, "Status now"), ...errorResponses(401) },
  }, async (c) => c.json(await c.get("app").status.snapshot(), 200)),
};
