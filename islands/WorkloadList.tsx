import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import {
  applyStreamEvent,
  replicaCounts,
  type StreamEvent,
  templateLabel,
  type WorkloadDto,
} from "@/lib/workloads/view.ts";
import { LIVE_LABELS, type LiveState, openLiveSource } from "@/lib/web/client/live_source.ts";
import { WorkloadStatusBadge } from "@/components/WorkloadStatusBadge.tsx";
import { RelativeTime } from "@/components/RelativeTime.tsx";
import { EmptyState } from "@/components/EmptyState.tsx";

interface Props {
  initial: WorkloadDto[];
  /** Admins see everyone's workloads and an Owner column. */
  admin: boolean;
  /** Only workloads with this status (the filter); null for all. */
  status: string | null;
  streamUrl: string;
}

/** The workload list, kept live by the workload stream. */
export default function WorkloadList(props: Props) {
  const list = useSignal(props.initial);
  const live = useSignal<LiveState>("connecting");

  useEffect(() => {
    const on = (event: StreamEvent["event"]) => (data: unknown) => {
      list.value = applyStreamEvent(list.value, { event, data } as StreamEvent);
    };
    return openLiveSource(
      props.streamUrl,
      { snapshot: on("snapshot"), workload: on("workload"), deleted: on("deleted") },
      (state) => (live.value = state),
    );
  }, [props.streamUrl]);

  const rows = props.status ? list.value.filter((w) => w.status === props.status) : list.value;
  return (
    <section class="workload-list" data-live={live.value}>
      <p class="workload-list-meta">
        <span data-testid="workload-count">
          {rows.length} {rows.length === 1 ? "workload" : "workloads"}
          {props.status ? ` ${props.status}` : ""}
        </span>
        <span class={`live-dot live-${live.value}`} role="status">{LIVE_LABELS[live.value]}</span>
      </p>
      {rows.length === 0
        ? (
          <EmptyState title={props.status ? `No ${props.status} workloads` : "No workloads yet"}>
            <p>
              {props.status
                ? `None of ${props.admin ? "the" : "your"} workloads is ${props.status} right now.`
                : "Workloads are the containers Lattice runs for you: one-click Postgres, Redis " +
                  "and MinIO, or any image."}
            </p>
            <p>
              <a href="/workloads/new" class="button button-primary">Deploy a workload</a>
            </p>
          </EmptyState>
        )
        : (
          <div class="table-wrap">
            <table class="workload-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Template / image</th>
                  <th scope="col" class="workload-status-col">Status</th>
                  <th scope="col" class="workload-replicas-col">Replicas</th>
                  {props.admin && <th scope="col">Owner</th>}
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((w) => {
                  const { running, wanted } = replicaCounts(w);
                  return (
                    <tr key={w.id} data-workload-id={w.id} data-workload-name={w.name}>
                      <td class="workload-name-cell">
                        <a href={`/workloads/${w.id}`} class="workload-name">{w.name}</a>
                      </td>
                      <td class="workload-template-cell">
                        <span class="workload-template">{templateLabel(w.spec.template)}</span>
                        <code class="workload-image">{w.spec.image}</code>
                      </td>
                      <td class="workload-status-col">
                        <WorkloadStatusBadge status={w.status} />
                        {w.statusReason && (
                          <span class="workload-reason" title={w.statusReason}>
                            {w.statusReason}
                          </span>
                        )}
                      </td>
                      <td class="workload-replicas-col" data-testid="workload-replicas">
                        {running}/{wanted}
                        <span class="workload-replicas-word">running</span>
                      </td>
                      {props.admin && <td class="workload-owner">{w.owner.email ?? w.owner.id}</td>}
                      <td class="workload-created">
                        <RelativeTime iso={w.createdAt} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
    </section>
  );
}
