import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { errorResponses, IdParam, jsonBody, jsonResponse } from "@/lib/api/schemas.ts";
import { WorkloadEnvelope } from "@/lib/api/workload_schemas.ts";
import { WorkloadPatch } from "@/lib/workloads/spec.ts";
import { workloadDto, workloadService } from "@/lib/workloads/service.ts";

export const handler = {
  GET: apiRoute({
    summary: "A workload with its status and allocations",
    tags: ["workloads"],
    request: { params: IdParam },
    responses: {
      200: jsonResponse(WorkloadEnvelope, "The workload"),
      ...errorResponses(401, 404, 422),
    },
  }, async (c) => {
    const view = await workloadService(c.get("app")).get(
      c.get("principal")!,
      c.req.valid("param").id,
    );
    return c.json({ workload: workloadDto(view) }, 200);
  }),
  PATCH: apiRoute({
    summary: "Change image, env, resources or replicas",
    description: "A change of image, env or resources rolls out a new generation: each " +
      "replica's new container starts before the old one stops (stateful ones are recreated " +
      "on the node holding their data), and a change that never becomes healthy is rolled back.",
    tags: ["workloads"],
    request: { params: IdParam, body: jsonBody(WorkloadPatch) },
    responses: {
      200: jsonResponse(WorkloadEnvelope, "The workload after the change"),
      ...errorResponses(400, 401, 403, 404, 413, 415, 422),
    },
  }, async (c) => {
    const view = await workloadService(c.get("app")).patch(
      c.get("principal")!,
      c.req.valid("param").id,
      c.req.valid("json"),
      requestMeta(c),
    );
    return c.json({ workload: workloadDto(view) }, 200);
  }),
  DELETE: apiRoute({
    summary: "Delete a workload: its containers and volumes are removed from the nodes",
    tags: ["workloads"],
    request: { params: IdParam },
    responses: {
      202: jsonResponse(z.object({ deleted: z.literal(true) }), "Deletion under way"),
      ...errorResponses(401, 403, 404, 422),
    },
  }, async (c) => {
    await workloadService(c.get("app")).remove(
      c.get("principal")!,
      c.req.valid("param").id,
      requestMeta(c),
    );
    return c.json({ deleted: true as const }, 202);
  }),
};
