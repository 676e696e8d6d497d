import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { ForbiddenError } from "@/lib/errors.ts";
import { nodeService } from "@/lib/nodes/service.ts";
import { nodeDto } from "@/lib/api/schemas.ts";
import ApprovalQueue from "@/islands/ApprovalQueue.tsx";

interface Data {
  nodes: ReturnType<typeof nodeDto>[];
}

export const title = "Approvals · Lattice";

export const handler: PageHandlers<Data> = {
  async GET(c) {
    if (c.get("principal")?.role !== "admin") {
      throw new ForbiddenError("Approving nodes is for admins");
    }
    const nodes = await nodeService(c.get("app")).listNodes({
      approval: "pending",
      sort: "created",
      order: "asc",
    });
    return page({ nodes: nodes.map(nodeDto) });
  },
};

export default function ApprovalsPage({ data }: PageProps<Data>) {
  return (
    <>
      <div class="page-header">
        <h1>Approvals</h1>
      </div>
      <p class="lede">
        Check that each machine is one you expect: compare its fingerprint with the one its agent
        printed (<code>lattice-agent status</code>), then approve or reject it.
      </p>
      <ApprovalQueue initial={data.nodes} streamUrl="/api/v1/nodes/stream" />
    </>
  );
}
