import { useSignal } from "@preact/signals";
import type { ConnectionInfo } from "@/lib/workloads/connection.ts";

type State =
  | { kind: "hidden" }
  | { kind: "loading" }
  | { kind: "shown"; info: ConnectionInfo }
  | { kind: "error"; message: string };

/**
 * How to connect to a workload. Nothing secret is in the page: the details are fetched when the
 * user asks for them (each read is audited), and hiding them drops them from memory.
 */
export function WorkloadConnection(props: { workloadId: string; running: boolean }) {
  const state = useSignal<State>({ kind: "hidden" });
  const copied = useSignal("");

  const reveal = async () => {
    state.value = { kind: "loading" };
    try {
      const res = await fetch(`/api/v1/workloads/${props.workloadId}/connection`, {
        credentials: "same-origin",
        cache: "no-store",
      });
      const body = await res.json().catch(() => null);
      state.value = res.ok
        ? { kind: "shown", info: body as ConnectionInfo }
        : { kind: "error", message: body?.error?.message ?? `The server answered ${res.status}` };
    } catch {
      state.value = { kind: "error", message: "Could not reach the server; try again." };
    }
  };

  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      copied.value = "Copied";
    } catch {
      copied.value = "Select the text and copy it";
    }
    setTimeout(() => (copied.value = ""), 2500);
  };

  const s = state.value;
  return (
    <section class="panel workload-connection" aria-labelledby="connection-title">
      <header class="panel-header">
        <h2 id="connection-title">Connection</h2>
        {s.kind === "shown" && (
          <button
            type="button"
            class="button button-small button-quiet"
            onClick={() => (state.value = { kind: "hidden" })}
          >
            Hide
          </button>
        )}
      </header>
      {s.kind === "shown"
        ? (
          <>
            {s.info.url && (
              <div class="connection-url">
                <code data-testid="connection-url">{s.info.url}</code>
                <button
                  type="button"
                  class="button button-small"
                  onClick={() => copy(s.info.url!)}
                  data-testid="copy-connection"
                >
                  Copy
                </button>
                <span class="copy-note" role="status">{copied.value}</span>
              </div>
            )}
            <dl class="stats connection-parts">
              <div>
                <dt>Host</dt>
                <dd>{s.info.host}</dd>
              </div>
              <div>
                <dt>Port</dt>
                <dd>{s.info.port}</dd>
              </div>
              {s.info.user && (
                <div>
                  <dt>User</dt>
                  <dd>{s.info.user}</dd>
                </div>
              )}
              {s.info.database && (
                <div>
                  <dt>Database</dt>
                  <dd>{s.info.database}</dd>
                </div>
              )}
              {s.info.password && (
                <div>
                  <dt>Password</dt>
                  <dd>
                    <code class="connection-secret" data-testid="connection-password">
                      {s.info.password}
                    </code>
                  </dd>
                </div>
              )}
            </dl>
          </>
        )
        : (
          <div class="connection-hidden">
            <p class="muted">
              {props.running
                ? "The address and credentials are fetched when you ask; every read is recorded in the audit log."
                : "Connection details are ready once a replica is running."}
            </p>
            <button
              type="button"
              class="button"
              onClick={reveal}
              disabled={s.kind === "loading" || !props.running}
              data-testid="reveal-connection"
            >
              {s.kind === "loading" ? "Fetching…" : "Show connection details"}
            </button>
            {s.kind === "error" && <p class="field-error" role="alert">{s.message}</p>}
          </div>
        )}
    </section>
  );
}
