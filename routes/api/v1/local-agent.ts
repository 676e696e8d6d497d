import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { errorResponses, jsonResponse, optionalJsonBody } from "@/lib/api/schemas.ts";
import { AddLocalAgentRequest, LocalAgentStatusSchema } from "@/lib/api/local_agent_schemas.ts";

export const handler = {
  GET: apiRoute({
    access: "admin",
    summary: "Whether this server can add its own machine as a node, and how that agent is doing",
    tags: ["local-agent"],
    responses: {
      200: jsonResponse(LocalAgentStatusSchema, "The local agent's status"),
      ...errorResponses(401, 403),
    },
  }, async (c) => c.json(await c.get("app").localAgent.status(), 200)),
  POST: apiRoute({
    access: "admin",
    summary: "Add this machine: join it with a single-use token, approve it and start its agent",
    description: "Answers at once while the agent joins and starts; poll GET for progress. " +
      "While the agent is starting or running, nothing new happens. 409 when this server " +
      "cannot start an agent here (the reason is in details.reason).",
    tags: ["local-agent"],
    request: { body: optionalJsonBody(AddLocalAgentRequest) },
    responses: {
      202: jsonResponse(LocalAgentStatusSchema, "Starting (or already started)"),
      ...errorResponses(400, 401, 403, 409, 413, 415, 422),
    },
  }, async (c) => {
    const status = await c.get("app").localAgent.add(
      c.get("principal")!,
      c.req.valid("json") ?? {},
      requestMeta(c),
    );
    return c.json(status, 202);
  }),
  DELETE: apiRoute({
    access: "admin",
    summary: "Stop this machine's agent (it stays joined; its workloads keep running)",
    tags: ["local-agent"],
    responses: {
      200: jsonResponse(LocalAgentStatusSchema, "Stopped"),
      ...errorResponses(401, 403),
    },
  }, async (c) => c.json(await c.get("app").localAgent.remove(), 200)),
};
