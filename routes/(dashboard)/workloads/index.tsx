import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { workloadDto, workloadService } from "@/lib/workloads/service.ts";
import { SNAPSHOT_LIMIT } from "@/lib/workloads/stream.ts";
import { STATUS_ORDER, type WorkloadDto } from "@/lib/workloads/view.ts";
import type { WorkloadStatus } from "@/db/workloads.ts";
import WorkloadList from "@/islands/WorkloadList.tsx";

interface Data {
  workloads: WorkloadDto[];
  status: WorkloadStatus | null;
}

export const title = "Workloads · Lattice";

export const handler: PageHandlers<Data> = {
  async GET(c) {
    const asked = c.req.query("status") ?? "";
    const status = (STATUS_ORDER as readonly string[]).includes(asked)
      ? asked as WorkloadStatus
      : null;
    // Every visible workload, as the stream's snapshot has them; the island filters.
    const list = await workloadService(c.get("app")).list(c.get("principal")!, {
      limit: SNAPSHOT_LIMIT,
    });
    return page({ workloads: list.map(workloadDto), status });
  },
};

export default function WorkloadsPage({ data, state }: PageProps<Data>) {
  const admin = state.principal?.role === "admin";
  return (
    <>
      <div class="page-header">
        <h1>Workloads</h1>
        <a href="/workloads/new" class="button button-primary">Deploy</a>
      </div>
      <form method="get" action="/workloads" class="workload-filter" role="search">
        <label for="f-status">Status</label>
        <select id="f-status" name="status">
          <option value="" selected={data.status === null}>All</option>
          {STATUS_ORDER.map((s) => (
            <option key={s} value={s} selected={data.status === s}>{s}</option>
          ))}
        </select>
        <button type="submit" class="button button-small">Filter</button>
      </form>
      <WorkloadList
        initial={data.workloads}
        admin={admin}
        status={data.status}
        streamUrl="/api/v1/workloads/stream"
      />
    </>
  );
}
