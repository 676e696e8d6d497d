import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { LocalAgentStatus } from "@/lib/api/local_agent_schemas.ts";
import { callApi } from "@/lib/web/client/api.ts";

interface Props {
  initial: LocalAgentStatus;
  /** The overview shows nothing when this server cannot add itself; the join page says why. */
  hideWhenUnavailable?: boolean;
}

const STATUS_URL = "/api/v1/local-agent";
const POLL_MS = 1000;

type Step = "done" | "active" | "waiting";

/** Where the three steps stand: the agent starts, the node joins, the node comes online. */
function progress(s: LocalAgentStatus): [Step, Step, Step] {
  const online = s.node?.status === "online";
  if (online) return ["done", "done", "done"];
  if (s.nodeId && (s.state === "running" || s.state === "starting")) {
    return ["done", "done", "active"];
  }
  if (s.state === "starting" || s.state === "running") return ["active", "waiting", "waiting"];
  return ["waiting", "waiting", "waiting"];
}

/** "Try it on this computer": one click joins this server's own machine as a node. */
export default function AddThisMachine(props: Props) {
  const status = useSignal(props.initial);
  const error = useSignal("");
  const busy = useSignal(false);
  const s = status.value;
  const inProgress = s.state === "starting" || s.state === "running";
  const online = s.node?.status === "online";
  const polling = inProgress && !online;

  useEffect(() => {
    if (!polling) return;
    let stopped = false;
    const timer = setInterval(async () => {
      const res = await callApi<LocalAgentStatus>("GET", STATUS_URL);
      if (stopped) return;
      if (res.ok) status.value = res.data;
      else error.value = res.message;
    }, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [polling]);

  if (!s.available && !inProgress && props.hideWhenUnavailable) return null;

  const add = async () => {
    busy.value = true;
    error.value = "";
    const res = await callApi<LocalAgentStatus>("POST", STATUS_URL, {});
    busy.value = false;
    if (res.ok) status.value = res.data;
    else error.value = res.message;
  };

  const [start, joined, up] = progress(s);
  const stepLabel = (step: Step, text: string) => (
    <li class={`local-agent-step local-agent-${step}`} data-step={step}>{text}</li>
  );
  return (
    <section
      class="panel local-agent"
      aria-labelledby="local-agent-title"
      data-testid="add-this-machine"
      data-state={s.state}
      data-online={online ? "true" : "false"}
    >
      <header class="panel-header">
        <h2 id="local-agent-title">Try it on this computer</h2>
      </header>
      {!s.available && !inProgress
        ? (
          <p class="muted" data-testid="local-agent-reason">
            {s.reason}
          </p>
        )
        : (
          <>
            <p class="muted">
              Run an agent on the machine this server runs on, joined and approved in one click, to
              try deploying on a single computer. Its workloads run in this machine's Docker.
            </p>
            {(inProgress || online) && (
              <ol class="local-agent-steps" role="status" data-testid="local-agent-progress">
                {stepLabel(start, start === "done" ? "Agent started" : "Starting the agent")}
                {stepLabel(joined, s.node ? `Joined as “${s.node.name}”` : "Joining")}
                {stepLabel(up, online ? "Online" : "Coming online")}
              </ol>
            )}
            {online && s.nodeId && (
              <p>
                <a href={`/nodes/${s.nodeId}`} data-testid="local-agent-node">
                  Open the node “{s.node?.name}”
                </a>
              </p>
            )}
            {!inProgress && (
              <button
                type="button"
                class="button button-primary"
                onClick={add}
                disabled={busy.value}
                data-testid="add-this-machine-button"
              >
                {busy.value ? "Adding…" : "Add this machine"}
              </button>
            )}
          </>
        )}
      {s.lastError && (s.state === "failed" || s.state === "starting") && (
        <p class="alert alert-error" role="alert" data-testid="local-agent-error">
          {s.lastError}
        </p>
      )}
      {error.value && <p class="alert alert-error" role="alert">{error.value}</p>}
    </section>
  );
}
