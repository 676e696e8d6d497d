import { apiRoute } from "@/lib/web/define.ts";
import { errorResponses, jsonResponse } from "@/lib/api/schemas.ts";
import { authenticateNodeRequest } from "@/lib/agents/node_auth.ts";
import { NodeSelf } from "@/lib/protocol.ts";

export const handler = {
  GET: apiRoute({
    access: "public",
    summary: "What the control plane knows of the calling node (signed with the node key)",
    tags: ["agents"],
    responses: {
      200: jsonResponse(NodeSelf, "The node's approval and status"),
      ...errorResponses(401),
    },
  }, async (c) => {
    const app = c.get("app");
    const node = await authenticateNodeRequest(app.db, c.req.raw);
    const [row] = await app.db.query(
      `SELECT status, rank, rank_updated_at FROM nodes WHERE id = $1`,
      [node.id],
    );
    const body: NodeSelf = {
      nodeId: node.id,
      name: node.name,
      approval: node.approval,
      approvalReason: node.approvalReason,
      status: (row?.status ?? "unknown") as NodeSelf["status"],
      rank: row?.rank_updated_at ? (row.rank as number) : null,
      serverTime: new Date().toISOString(),
    };
    return c.json(body, 200);
  }),
};
