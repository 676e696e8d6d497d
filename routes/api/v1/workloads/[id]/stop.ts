import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { errorResponses, IdParam, jsonResponse } from "@/lib/api/schemas.ts";
import { WorkloadEnvelope } from "@/lib/api/workload_schemas.ts";
import { workloadDto, workloadService } from "@/lib/workloads/service.ts";

export const handler = {
  POST: apiRoute({
    summary: "Stop a workload (its containers stop; allocations and data stay)",
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
      "stop",
      requestMeta(c),
    );
    return c.json({ workload: workloadDto(view) }, 202);
  }),
};
