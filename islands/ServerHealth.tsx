import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { SystemStatus } from "@/lib/system_status.ts";

type Connection = "connecting" | "live" | "reconnecting" | "signed-out";

const LABELS: Record<Connection, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  "signed-out": "Signed out: reload to sign in",
};

function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  return m > 0 ? `${m}m ${s}s` : `${s}s`;
}

function latency(ms: number | null): string {
  return ms === null ? "not answering" : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/** Control plane health, updated live over server-sent events. */
export default function ServerHealth(props: { initial: SystemStatus; streamUrl: string }) {
  const status = useSignal(props.initial);
  const connection = useSignal<Connection>("connecting");
  const updates = useSignal(0);

  useEffect(() => {
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    const open = () => {
      source = new EventSource(props.streamUrl);
      source.addEventListener("status", (e) => {
        status.value = JSON.parse((e as MessageEvent).data);
        connection.value = "live";
        updates.value++;
        attempt = 0;
      });
      source.onerror = async () => {
        if (source?.readyState !== EventSource.CLOSED) {
          connection.value = "reconnecting";
          return;
        }
        // The browser gave up (for example the session expired): check why, then retry.
        source = null;
        const me = await fetch("/api/v1/me", { credentials: "same-origin" }).catch(() => null);
        if (me?.status === 401) {
          connection.value = "signed-out";
          return;
        }
        connection.value = "reconnecting";
        const delay = Math.min(30_000, 1000 * 2 ** attempt++) * (0.5 + Math.random() / 2);
        retry = setTimeout(open, delay);
      };
    };
    open();
    return () => {
      source?.close();
      clearTimeout(retry);
    };
  }, [props.streamUrl]);

  const s = status.value;
  return (
    <section class="panel health" aria-labelledby="health-title" data-state={connection.value}>
      <header class="panel-header">
        <h2 id="health-title">Control plane</h2>
        <span class={`live-dot live-${connection.value}`} role="status" data-testid="health-state">
          {LABELS[connection.value]}
        </span>
      </header>
      <dl class="stats">
        <div>
          <dt>Uptime</dt>
          <dd data-testid="health-uptime">{formatUptime(s.uptimeSeconds)}</dd>
        </div>
        <div>
          <dt>Database</dt>
          <dd>
            <span class={s.database.ok ? "ok" : "bad"}>{s.database.kind}</span>{" "}
            <span class="muted">{latency(s.database.latencyMs)}</span>
          </dd>
        </div>
        <div>
          <dt>Deno KV</dt>
          <dd>
            <span class={s.kv.ok ? "ok" : "bad"}>{s.kv.ok ? "ok" : "down"}</span>{" "}
            <span class="muted">{latency(s.kv.latencyMs)}</span>
          </dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd>{s.version}</dd>
        </div>
      </dl>
      <p class="panel-foot muted" data-testid="health-updates" data-updates={updates.value}>
        Server time <time datetime={s.time}>{s.time.slice(11, 19)} UTC</time>
      </p>
    </section>
  );
}
