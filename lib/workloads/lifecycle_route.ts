/**
 * The `start`, `stop` and `restart` routes of a workload: one shape, three actions. Each
 * answers 202 with the workload; the status follows as the nodes act.
 */
import { apiRoute } from "../web/define.ts";
import { requestMeta } from "../auth/middleware.ts";
import { errorResponses, IdParam, jsonResponse } from "../api/schemas.ts";
import { WorkloadEnvelope } from "../api/workload_schemas.ts";
import { workloadDto, workloadService } from "./service.ts";

/** A POST handler that asks for `action` on the workload in the path. */
export function lifecycleRoute(action: "start" | "stop" | "restart", summary: string) {
  return {
    POST: apiRoute({
      summary,
      tags: ["workloads"],
      request: { params: IdParam },
      responses: {
        202: jsonResponse(WorkloadEnvelope, "Accepted; the status follows as the nodes act"),
        ...errorResponses(401, 403, 404, 422),
      },
    }, async (c) => {
      const view = await workloadService(c.get("app")).setRunning(
        c.get("principal")!,
        c.req.valid("param").id,
        action,
        requestMeta(c),
      );
      return c.json({ workload: workloadDto(view) }, 202);
    }),
  };
}
