import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import {
  replicaCounts,
  resourcesLabel,
  templateLabel,
  unplacedRows,
  WORKLOAD_ASK_EVENT,
  WORKLOAD_EVENT,
  type WorkloadDto,
  type WorkloadEventDto,
} from "@/lib/workloads/view.ts";
import { LIVE_LABELS, type LiveState, openLiveSource } from "@/lib/web/client/live_source.ts";
import { WorkloadStatusBadge } from "@/components/WorkloadStatusBadge.tsx";
import { WorkloadConnection } from "@/components/WorkloadConnection.tsx";
import { RelativeTime } from "@/components/RelativeTime.tsx";

interface Props {
  initial: WorkloadDto;
  events: WorkloadEventDto[];
  /** Admins get links to the nodes. */
  admin: boolean;
  csrfToken: string | null;
}

/** Most timeline entries kept in the page. */
const TIMELINE_MAX = 200;

/**
 * One workload, live: status with its reason and, while it waits, why it is not placed; its
 * allocations and their nodes; connection details on request; its history; and start, stop,
 * restart and delete.
 */
export default function WorkloadDetail(props: Props) {
  const w = useSignal(props.initial);
  const events = useSignal(props.events);
  const gone = useSignal(false);
  const live = useSignal<LiveState>("connecting");
  const busy = useSignal<string | null>(null);
  const failure = useSignal<string | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const id = props.initial.id;

  useEffect(() => {
    let loading = false;
    let again = false;
    // Fetch what happened since the newest entry shown; overlapping calls fold into one more.
    const loadEvents = async () => {
      if (loading) {
        again = true;
        return;
      }
      loading = true;
      try {
        do {
          again = false;
          const after = events.value.at(-1)?.id ?? 0;
          const res = await fetch(`/api/v1/workloads/${id}/events?after=${after}`, {
            credentials: "same-origin",
          });
          if (!res.ok) break;
          const body = await res.json() as { events: WorkloadEventDto[] };
          if (body.events.length > 0) {
            events.value = [...events.value, ...body.events].slice(-TIMELINE_MAX);
          }
        } while (again);
      } finally {
        loading = false;
      }
    };
    return openLiveSource(
      `/api/v1/workloads/stream?id=${encodeURIComponent(id)}`,
      {
        snapshot: (data) => {
          const [first] = (data as { workloads: WorkloadDto[] }).workloads;
          if (first) w.value = first;
          else gone.value = true;
          void loadEvents();
        },
        workload: (data) => {
          w.value = data as WorkloadDto;
          void loadEvents();
        },
        deleted: () => (gone.value = true),
      },
      (state) => (live.value = state),
    );
  }, [id]);

  // The log tail (another island, which may start before or after this one) follows the status.
  useEffect(() => {
    document.dispatchEvent(new CustomEvent(WORKLOAD_EVENT, { detail: w.value }));
  }, [w.value]);
  useEffect(() => {
    const answer = () =>
      document.dispatchEvent(new CustomEvent(WORKLOAD_EVENT, { detail: w.peek() }));
    document.addEventListener(WORKLOAD_ASK_EVENT, answer);
    return () => document.removeEventListener(WORKLOAD_ASK_EVENT, answer);
  }, []);

  const act = async (action: "start" | "stop" | "restart" | "delete") => {
    busy.value = action;
    failure.value = null;
    try {
      const res = await fetch(
        action === "delete" ? `/api/v1/workloads/${id}` : `/api/v1/workloads/${id}/${action}`,
        {
          method: action === "delete" ? "DELETE" : "POST",
          credentials: "same-origin",
          headers: { "x-csrf-token": props.csrfToken ?? "" },
        },
      );
      const body = await res.json().catch(() => null);
      if (!res.ok) {
        failure.value = body?.error?.message ?? `The server answered ${res.status}`;
        return;
      }
      if (action === "delete") {
        location.assign("/workloads");
        return;
      }
      if (body?.workload) w.value = body.workload;
    } catch {
      failure.value = "Could not reach the server; check the connection and try again.";
    } finally {
      busy.value = null;
    }
  };

  if (gone.value) {
    return (
      <section class="panel" role="status" data-testid="workload-gone">
        <h2>This workload was deleted</h2>
        <p>
          <a href="/workloads">Back to your workloads</a>
        </p>
      </section>
    );
  }

  const d = w.value;
  const { running, wanted } = replicaCounts(d);
  const why = d.status === "pending" ? unplacedRows(d.unplaced) : [];
  const allocations = d.allocations;
  const timeline = [...events.value].reverse();
  return (
    <div class="workload-detail" data-status={d.status}>
      <section class="panel workload-summary" aria-labelledby="status-title">
        <header class="panel-header">
          <h2 id="status-title">Status</h2>
          <span class={`live-dot live-${live.value}`} role="status">{LIVE_LABELS[live.value]}</span>
        </header>
        <div class="workload-state">
          <WorkloadStatusBadge status={d.status} />
          <p class="workload-state-reason" data-testid="status-reason">
            {d.statusReason ?? (d.status === "running" ? "Every replica is running." : "")}
          </p>
        </div>
        {d.status === "pending" && (
          <div class="workload-why" data-testid="why-unplaced">
            <h3>Why it is not placed yet</h3>
            {why.length > 0
              ? (
                <ul>
                  {why.map((r) => <li key={r.filter} data-filter={r.filter}>{r.text}</li>)}
                </ul>
              )
              : <p>No node has been considered yet: it is waiting for an approved, online node.</p>}
            <p class="muted">
              {props.admin
                ? (
                  <>
                    It is placed as soon as a node fits: <a href="/nodes">check the nodes</a> or
                    {" "}
                    <a href="/approvals">approve waiting ones</a>.
                  </>
                )
                : "It is placed as soon as a node fits; an administrator can add or free nodes."}
            </p>
          </div>
        )}
        <dl class="stats workload-facts">
          <div>
            <dt>Replicas</dt>
            <dd data-testid="detail-replicas">{running}/{wanted} running</dd>
          </div>
          <div>
            <dt>Template</dt>
            <dd>{templateLabel(d.spec.template)}</dd>
          </div>
          <div>
            <dt>Image</dt>
            <dd>
              <code>{d.spec.image}</code>
            </dd>
          </div>
          <div>
            <dt>Per replica</dt>
            <dd>{resourcesLabel(d.spec.resources)}</dd>
          </div>
          <div>
            <dt>Pool</dt>
            <dd>{d.spec.pool ?? "any"}</dd>
          </div>
          {props.admin && (
            <div>
              <dt>Owner</dt>
              <dd>{d.owner.email ?? d.owner.id}</dd>
            </div>
          )}
          <div>
            <dt>Created</dt>
            <dd>
              <RelativeTime iso={d.createdAt} />
            </dd>
          </div>
        </dl>
        <div class="workload-actions">
          {d.desired === "running"
            ? (
              <button
                type="button"
                class="button"
                disabled={busy.value !== null}
                onClick={() => act("stop")}
              >
                {busy.value === "stop" ? "Stopping…" : "Stop"}
              </button>
            )
            : (
              <button
                type="button"
                class="button"
                disabled={busy.value !== null}
                onClick={() => act("start")}
              >
                {busy.value === "start" ? "Starting…" : "Start"}
              </button>
            )}
          <button
            type="button"
            class="button"
            disabled={busy.value !== null}
            onClick={() => act("restart")}
          >
            {busy.value === "restart" ? "Restarting…" : "Restart"}
          </button>
          <button
            type="button"
            class="button button-danger"
            disabled={busy.value !== null}
            onClick={() => dialog.current?.showModal()}
          >
            Delete…
          </button>
          <noscript>
            <span class="muted">The actions need JavaScript.</span>
          </noscript>
        </div>
        {failure.value && <p class="alert alert-error" role="alert">{failure.value}</p>}
        <dialog ref={dialog} class="confirm-dialog" aria-labelledby="delete-title">
          <form method="dialog">
            <h2 id="delete-title">Delete {d.name}?</h2>
            <p>
              Its containers and volumes are removed from the nodes. Data stored in them is lost and
              cannot be recovered.
            </p>
            <div class="confirm-actions">
              <button type="submit" class="button" value="cancel" autofocus>Cancel</button>
              <button
                type="button"
                class="button button-danger-solid"
                onClick={() => {
                  dialog.current?.close();
                  void act("delete");
                }}
              >
                Delete workload
              </button>
            </div>
          </form>
        </dialog>
      </section>

      <WorkloadConnection workloadId={id} running={d.status === "running"} />

      <section class="panel" aria-labelledby="allocations-title">
        <header class="panel-header">
          <h2 id="allocations-title">Allocations</h2>
        </header>
        {allocations.length === 0
          ? <p class="muted">No replica is placed on a node yet.</p>
          : (
            <div class="table-wrap">
              <table class="allocation-table">
                <thead>
                  <tr>
                    <th scope="col">Replica</th>
                    <th scope="col">Node</th>
                    <th scope="col">State</th>
                    <th scope="col">Ports</th>
                    <th scope="col">Changed</th>
                  </tr>
                </thead>
                <tbody>
                  {allocations.map((a) => (
                    <tr key={a.id} data-allocation-id={a.id}>
                      <td class="num" data-label="Replica">
                        {a.slot}
                        {a.generation < d.generation && <span class="muted">(old)</span>}
                      </td>
                      <td data-label="Node">
                        {props.admin
                          ? <a href={`/nodes/${a.nodeId}`}>{a.nodeName ?? a.nodeId.slice(0, 8)}</a>
                          : (a.nodeName ?? a.nodeId.slice(0, 8))}
                      </td>
                      <td data-label="State">
                        <WorkloadStatusBadge status={a.state} />
                        {a.reason && <span class="workload-reason">{a.reason}</span>}
                      </td>
                      <td data-label="Ports">
                        {a.ports.length === 0 ? <span class="muted">none</span> : a.ports.map((
                          p,
                        ) => (
                          <code key={`${p.container}/${p.protocol}`}>{p.hostIp}:{p.hostPort}</code>
                        ))}
                      </td>
                      <td data-label="Changed">
                        <RelativeTime iso={a.updatedAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </section>

      <section class="panel" aria-labelledby="timeline-title">
        <header class="panel-header">
          <h2 id="timeline-title">Timeline</h2>
        </header>
        {timeline.length === 0
          ? <p class="muted">Nothing has happened yet.</p>
          : (
            <ol class="timeline" data-testid="timeline">
              {timeline.map((e) => (
                <li key={e.id} data-kind={e.kind}>
                  <span class={`timeline-kind timeline-${e.kind}`}>
                    {e.kind.replace(/_/g, " ")}
                  </span>
                  <span class="timeline-message">{e.message}</span>
                  <RelativeTime iso={e.at} />
                </li>
              ))}
            </ol>
          )}
      </section>
    </div>
  );
}
