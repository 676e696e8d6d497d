import type { OverviewAlert } from "@/lib/api/admin_schemas.ts";
import { RelativeTime } from "@/components/RelativeTime.tsx";

/** Open alerts, each linking to what it is about (the overview's live panel and /alerts). */
export function AlertList(props: { alerts: OverviewAlert[]; class?: string }) {
  return (
    <ul class={props.class ? `alert-list ${props.class}` : "alert-list"}>
      {props.alerts.map((a) => (
        <li key={a.id} class={`alert-item alert-${a.severity}`} data-alert={a.kind}>
          <a href={a.href}>{a.title}</a>
          <span class="muted">{a.detail}</span>
          {a.since && (
            <span class="alert-since">
              since <RelativeTime iso={a.since} />
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}
