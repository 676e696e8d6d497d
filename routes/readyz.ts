import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses, jsonResponse, SystemStatusSchema } from "@/lib/api/schemas.ts";
import { HttpError } from "@/lib/errors.ts";

export const handler = {
  GET: apiRoute({
    access: "public",
    summary: "Readiness: the database and Deno KV answer",
    tags: ["system"],
    responses: {
      200: jsonResponse(
        z.object({
          status: z.literal("ready"),
          database: SystemStatusSchema.shape.database,
          kv: SystemStatusSchema.shape.kv,
        }),
        "Ready to serve",
      ),
      ...errorResponses(503),
    },
  }, async (c) => {
    const status = await c.get("app").status.snapshot();
    if (!status.database.ok || !status.kv.ok) {
      const failing = [!status.database.ok && "database", !status.kv.ok && "kv"].filter(Boolean);
      throw new HttpError(503, "unavailable", `Not ready: ${failing.join(" and ")} not answering`, {
        database: status.database,
        kv: status.kv,
      });
    }
    return c.json({ status: "ready" as const, database: status.database, kv: status.kv }, 200);
  }),
};
