import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { nodeDto } from "@/lib/api/schemas.ts";
import { callApi } from "@/lib/web/client/api.ts";
import { LIVE_LABELS, type LiveState, openLiveSource } from "@/lib/web/client/live_source.ts";
import { formatBytes } from "@/lib/web/format.ts";
import { RelativeTime } from "@/components/RelativeTime.tsx";

type NodeDto = ReturnType<typeof nodeDto>;

function Capabilities(props: { node: NodeDto }) {
  const c = props.node.capabilities;
  if (!c) {
    return (
      <p class="muted">
        Not reported yet: the agent reports its machine when it first connects (
        <code>lattice-agent run</code>).
      </p>
    );
  }
  return (
    <dl class="caps">
      <div>
        <dt>CPU</dt>
        <dd>
          {c.cpu.cores} cores <span class="muted">{c.cpu.model}</span>
        </dd>
      </div>
      <div>
        <dt>Memory</dt>
        <dd>{formatBytes(c.memoryBytes)}</dd>
      </div>
      <div>
        <dt>Disk</dt>
        <dd>
          {formatBytes(c.disk.totalBytes)}{" "}
          <span class="muted">({formatBytes(c.disk.freeBytes)} free)</span>
        </dd>
      </div>
      <div>
        <dt>GPUs</dt>
        <dd>
          {c.gpus.length === 0 ? "none" : c.gpus.map((g) => g.model).join(", ")}
        </dd>
      </div>
      <div>
        <dt>OS</dt>
        <dd>
          {c.os} <span class="muted">{c.arch} · {c.kernel}</span>
        </dd>
      </div>
      <div>
        <dt>Docker</dt>
        <dd>
          {c.docker
            ? (
              <>
                {c.docker.version} <span class="muted">API {c.docker.apiVersion}</span>
              </>
            )
            : <span class="bad">not available</span>}
        </dd>
      </div>
    </dl>
  );
}

function PendingNode(props: { node: NodeDto; onDone: (message: string) => void }) {
  const n = props.node;
  const rejecting = useSignal(false);
  const busy = useSignal(false);
  const error = useSignal("");
  const reasonError = useSignal("");
  const slug = n.id.slice(0, 8);

  const approve = async () => {
    busy.value = true;
    error.value = "";
    const res = await callApi("POST", `/api/v1/nodes/${n.id}/approve`, {});
    busy.value = false;
    if (res.ok) props.onDone(`Approved ${n.name}: it can run workloads now.`);
    else error.value = res.message;
  };
  const reject = async (e: Event) => {
    e.preventDefault();
    const reason = String(new FormData(e.currentTarget as HTMLFormElement).get("reason") ?? "")
      .trim();
    if (!reason) {
      reasonError.value = "Reason is required: the agent shows it to the machine's owner";
      return;
    }
    busy.value = true;
    reasonError.value = "";
    const res = await callApi("POST", `/api/v1/nodes/${n.id}/reject`, { reason });
    busy.value = false;
    if (res.ok) props.onDone(`Rejected ${n.name}.`);
    else if (res.fields.reason) reasonError.value = `Reason ${res.fields.reason}`;
    else error.value = res.message;
  };

  return (
    <li class="panel approval-card" data-node={n.name}>
      <header class="approval-head">
        <h2>{n.name}</h2>
        <span class="muted">
          asked <RelativeTime iso={n.createdAt} />
        </span>
      </header>
      <dl class="caps caps-meta">
        <div>
          <dt>Fingerprint</dt>
          <dd>
            <code>{n.publicKeyFingerprint}</code>
          </dd>
        </div>
        <div>
          <dt>Agent</dt>
          <dd>{n.agentVersion ?? <span class="muted">unknown</span>}</dd>
        </div>
        <div>
          <dt>Pool</dt>
          <dd>{n.poolName ?? "default"}</dd>
        </div>
        <div>
          <dt>Labels</dt>
          <dd>
            {Object.keys(n.labels).length === 0
              ? <span class="muted">none</span>
              : (
                <ul class="chips">
                  {Object.entries(n.labels).map(([k, v]) => (
                    <li key={k} class="chip">
                      <code>{k}={v}</code>
                    </li>
                  ))}
                </ul>
              )}
          </dd>
        </div>
      </dl>
      <Capabilities node={n} />
      {error.value && <p class="alert alert-error" role="alert">{error.value}</p>}
      {rejecting.value
        ? (
          <form class="reject-form" onSubmit={reject} noValidate>
            <div class={reasonError.value ? "field field-invalid" : "field"}>
              <label for={`reason-${slug}`}>Reason for rejecting {n.name}</label>
              <input
                id={`reason-${slug}`}
                name="reason"
                maxLength={500}
                autofocus
                aria-invalid={reasonError.value ? "true" : undefined}
                aria-describedby={reasonError.value ? `reason-${slug}-error` : undefined}
              />
              {reasonError.value && (
                <p class="field-error" id={`reason-${slug}-error`} data-field-error="reason">
                  {reasonError.value}
                </p>
              )}
            </div>
            <div class="form-actions">
              <button type="submit" class="button button-danger-solid" disabled={busy.value}>
                Reject node
              </button>
              <button type="button" class="button" onClick={() => (rejecting.value = false)}>
                Cancel
              </button>
            </div>
          </form>
        )
        : (
          <div class="form-actions">
            <button
              type="button"
              class="button button-primary"
              disabled={busy.value}
              onClick={approve}
            >
              Approve<span class="visually-hidden">{n.name}</span>
            </button>
            <button
              type="button"
              class="button button-danger"
              onClick={() => (rejecting.value = true)}
            >
              Reject…<span class="visually-hidden">{n.name}</span>
            </button>
          </div>
        )}
    </li>
  );
}

/** Nodes waiting for approval, live from the node stream; approve or reject each. */
export default function ApprovalQueue(props: { initial: NodeDto[]; streamUrl: string }) {
  const nodes = useSignal(props.initial);
  const connection = useSignal<LiveState>("connecting");
  const announcement = useSignal("");

  useEffect(() => {
    const upsert = (node: NodeDto) => {
      const rest = nodes.value.filter((n) => n.id !== node.id);
      nodes.value = node.approval === "pending"
        ? [...rest, node].sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        : rest;
    };
    return openLiveSource(props.streamUrl, {
      snapshot: (data) => {
        nodes.value = (data as { nodes: NodeDto[] }).nodes
          .filter((n) => n.approval === "pending")
          .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      },
      node: (data) => upsert(data as NodeDto),
      deleted: (data) => {
        nodes.value = nodes.value.filter((n) => n.id !== (data as { id: string }).id);
      },
    }, (state) => (connection.value = state));
  }, [props.streamUrl]);

  const done = (id: string) => (message: string) => {
    nodes.value = nodes.value.filter((n) => n.id !== id);
    announcement.value = message;
  };

  return (
    <div class="approvals" data-state={connection.value}>
      <div class="approvals-bar">
        <span class="muted" data-testid="pending-count">
          {nodes.value.length === 1 ? "1 node waiting" : `${nodes.value.length} nodes waiting`}
        </span>
        <span class={`live-dot live-${connection.value}`} data-testid="approvals-state">
          {LIVE_LABELS[connection.value]}
        </span>
      </div>
      <p class="announce" role="status" data-testid="approvals-announce">{announcement.value}</p>
      {nodes.value.length === 0
        ? (
          <section class="empty-state">
            <h2>Nothing waiting for approval</h2>
            <div class="empty-state-body">
              <p>
                Machines that join with a token wait here until you approve or reject them.{" "}
                <a href="/join">Create a join token</a>{" "}
                to add one; pools with auto-approve skip this step.
              </p>
            </div>
          </section>
        )
        : (
          <ul class="approval-list">
            {nodes.value.map((n) => <PendingNode key={n.id} node={n} onDone={done(n.id)} />)}
          </ul>
        )}
    </div>
  );
}
