import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses, jsonResponse } from "@/lib/api/schemas.ts";
import { OverviewSchema } from "@/lib/api/admin_schemas.ts";
import { loadOverview } from "@/lib/overview/live.ts";

export const handler = {
  GET: apiRoute({
    summary: "The dashboard overview: nodes, capacity, workloads by status, events, alerts",
    description: "Admins see every workload, node event and alert; other users see their own " +
      "workloads, their events and alerts, and the cluster-wide node counts and capacity.",
    tags: ["overview"],
    responses: {
      200: jsonResponse(OverviewSchema, "The overview"),
      ...errorResponses(401),
    },
  }, async (c) => {
    const app = c.get("app");
    return c.json(await loadOverview(app, c.get("principal")!), 200);
  }),
};
