import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { Overview } from "@/lib/api/admin_schemas.ts";
import { LIVE_LABELS, type LiveState, openLiveSource } from "@/lib/web/client/live_source.ts";
import { formatCores, formatMiB } from "@/lib/web/format.ts";
import { RelativeTime } from "@/components/RelativeTime.tsx";
import { AlertList } from "@/components/AlertList.tsx";
import { UsageMeter } from "@/components/UsageMeter.tsx";

/** The overview's counts, capacity, alerts, events and next steps, kept live over SSE. */
export default function OverviewLive(props: { initial: Overview; streamUrl: string }) {
  const overview = useSignal(props.initial);
  const connection = useSignal<LiveState>("connecting");
  const updates = useSignal(0);

  useEffect(
    () =>
      openLiveSource(props.streamUrl, {
        overview: (data) => {
          overview.value = data as Overview;
          updates.value++;
        },
      }, (state) => (connection.value = state)),
    [props.streamUrl],
  );

  const o = overview.value;
  const admin = o.scope === "all";
  const { cpuMillicores: cpu, memoryMiB: mem, gpus } = o.capacity;
  return (
    <div class="overview" data-state={connection.value} data-updates={updates.value}>
      <section class="panel overview-summary" aria-labelledby="summary-title">
        <header class="panel-header">
          <h2 id="summary-title">Cluster</h2>
          <span
            class={`live-dot live-${connection.value}`}
            role="status"
            data-testid="overview-state"
          >
            {LIVE_LABELS[connection.value]}
          </span>
        </header>
        <div class="overview-stats">
          <div class="stat-card">
            <span class="stat-label">Nodes online</span>
            <span class="stat-value" data-testid="nodes-online">
              {o.nodes.online}
              <span class="stat-of">/ {o.nodes.total}</span>
            </span>
            {admin && (
              <a href="/approvals" class="stat-foot" data-testid="nodes-pending">
                {o.nodes.pending} waiting for approval
              </a>
            )}
          </div>
          <div class="stat-card">
            <span class="stat-label">Workloads{admin ? "" : " (yours)"}</span>
            <span class="stat-value" data-testid="workloads-total">{o.workloads.total}</span>
            <a href="/workloads" class="stat-foot">
              {o.workloads.byStatus.running} running
            </a>
          </div>
        </div>
        <div class="overview-meters">
          <UsageMeter
            label="CPU"
            used={cpu.used}
            total={cpu.total}
            value={`${formatCores(cpu.used)} of ${formatCores(cpu.total)} cores · ${
              formatCores(Math.max(0, cpu.total - cpu.used))
            } free`}
          />
          <UsageMeter
            label="Memory"
            used={mem.used}
            total={mem.total}
            value={`${formatMiB(mem.used)} of ${formatMiB(mem.total)} · ${
              formatMiB(Math.max(0, mem.total - mem.used))
            } free`}
          />
          <UsageMeter
            label="GPUs"
            used={gpus.used}
            total={gpus.total}
            value={`${gpus.used} of ${gpus.total} · ${Math.max(0, gpus.total - gpus.used)} free`}
          />
        </div>
        <p class="panel-foot muted">
          Capacity of online approved nodes, as the scheduler counts it.
        </p>
      </section>

      {o.nextSteps.length > 0 && (
        <section class="panel" aria-labelledby="next-title" data-testid="next-steps">
          <header class="panel-header">
            <h2 id="next-title">Next steps</h2>
          </header>
          <ol class="next-steps">
            {o.nextSteps.map((s) => (
              <li key={s.id} data-step={s.id}>
                <div>
                  <strong>{s.title}</strong>
                  <p class="muted">{s.text}</p>
                </div>
                {s.href && (
                  <a class="button button-primary button-small" href={s.href}>
                    {s.action}
                  </a>
                )}
              </li>
            ))}
          </ol>
        </section>
      )}

      <section class="panel" aria-labelledby="status-title">
        <header class="panel-header">
          <h2 id="status-title">Workloads by status</h2>
          <a href="/workloads" class="panel-link">All workloads</a>
        </header>
        <ul class="status-counts">
          {Object.entries(o.workloads.byStatus).map(([status, n]) => (
            <li key={status} class={n > 0 ? `status-${status}` : "status-zero"}>
              <span class="status-count" data-testid={`status-${status}`}>{n}</span>
              <span class="status-name">{status}</span>
            </li>
          ))}
        </ul>
      </section>

      <section class="panel" aria-labelledby="alerts-title" id="alerts">
        <header class="panel-header">
          <h2 id="alerts-title">
            Open alerts <span class="count-pill" data-testid="alert-count">{o.alerts.length}</span>
          </h2>
        </header>
        {o.alerts.length === 0
          ? <p class="muted">No open alerts: every node is online and no workload has failed.</p>
          : <AlertList alerts={o.alerts} />}
      </section>

      <section class="panel" aria-labelledby="events-title">
        <header class="panel-header">
          <h2 id="events-title">Recent events</h2>
        </header>
        {o.events.length === 0
          ? (
            <p class="muted">
              Nothing has happened yet: deploys, restarts and node reports show up here.
            </p>
          )
          : (
            <ol class="event-list">
              {o.events.map((e, i) => (
                <li key={`${e.at}-${i}`}>
                  <RelativeTime iso={e.at} />
                  <span class="event-body">
                    <a href={e.href}>{e.subject}</a> {e.message}
                  </span>
                </li>
              ))}
            </ol>
          )}
      </section>
    </div>
  );
}
