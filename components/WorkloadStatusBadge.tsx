import { statusTone } from "@/lib/workloads/view.ts";

/** A workload's status as one coloured badge of fixed width (live updates do not shift rows). */
export function WorkloadStatusBadge(props: { status: string }) {
  return (
    <span
      class={`workload-status workload-status-${statusTone(props.status)}`}
      data-testid="workload-status"
      data-status={props.status}
    >
      {props.status}
    </span>
  );
}
