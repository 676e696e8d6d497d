import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { NotFoundError } from "@/lib/errors.ts";
import { workloadDto, workloadService } from "@/lib/workloads/service.ts";
import type { WorkloadDto, WorkloadEventDto } from "@/lib/workloads/view.ts";
import { templateLabel } from "@/lib/workloads/view.ts";
import WorkloadDetail from "@/islands/WorkloadDetail.tsx";
import WorkloadLogs from "@/islands/WorkloadLogs.tsx";

interface Data {
  workload: WorkloadDto;
  events: WorkloadEventDto[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const handler: PageHandlers<Data> = {
  async GET(c) {
    const id = c.req.param("id") ?? "";
    const missing = new NotFoundError(
      `There is no workload ${id} that you can see. Your workloads are listed at /workloads.`,
    );
    if (!UUID.test(id)) throw missing;
    const service = workloadService(c.get("app"));
    const principal = c.get("principal")!;
    const view = await service.get(principal, id).catch((err) => {
      throw err instanceof NotFoundError ? missing : err;
    });
    // The newest part of the history; the island fetches what follows.
    const all = await service.events(principal, id, { after: 0, limit: 1000 });
    const events = all.slice(-200).map((e) => ({
      id: e.id,
      at: e.at.toISOString(),
      kind: e.kind,
      message: e.message,
      allocationId: e.allocationId,
      nodeId: e.nodeId,
    }));
    return page({ workload: workloadDto(view), events }, {
      title: `${view.workload.name} · Workloads · Lattice`,
    });
  },
};

export default function WorkloadPage({ data, state }: PageProps<Data>) {
  const w = data.workload;
  return (
    <>
      <div class="page-header workload-header">
        <div>
          <p class="breadcrumb">
            <a href="/workloads">Workloads</a>
          </p>
          <h1>{w.name}</h1>
          <p class="muted workload-subtitle">
            {templateLabel(w.spec.template)} · <code>{w.spec.image}</code>
          </p>
        </div>
      </div>
      <WorkloadDetail
        initial={w}
        events={data.events}
        admin={state.principal?.role === "admin"}
        csrfToken={state.csrfToken}
      />
      <WorkloadLogs
        workloadId={w.id}
        running={w.allocations.some((a) => a.state === "running")}
      />
    </>
  );
}
