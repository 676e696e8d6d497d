import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { errorResponses, IdParam, jsonResponse } from "@/lib/api/schemas.ts";
import { ConnectionInfo } from "@/lib/workloads/connection.ts";
import { workloadService } from "@/lib/workloads/service.ts";

export const handler = {
  GET: apiRoute({
    summary: "How to connect: host, port, user, password, database and a ready URL",
    description: "Owner or admin only; every read is audit-logged. Ports are published on the " +
      "node's loopback unless its owner allows more.",
    tags: ["workloads"],
    request: { params: IdParam },
    responses: {
      200: jsonResponse(ConnectionInfo, "Connection details"),
      ...errorResponses(401, 404, 409, 422),
    },
  }, async (c) => {
    c.header("Cache-Control", "no-store");
    const info = await workloadService(c.get("app")).connection(
      c.get("principal")!,
      c.req.valid("param").id,
      requestMeta(c),
    );
    return c.json(info, 200);
  }),
};
