import { type Signal, useSignal } from "@preact/signals";
import type { ComponentChildren } from "preact";
import { DAY_NAMES, formatLabels, parseLabels } from "@/lib/nodes/node_view.ts";

/** The node settings this panel edits (from its API shape). */
export interface AdminNode {
  id: string;
  name: string;
  approval: "pending" | "approved" | "rejected" | "revoked";
  drained: boolean;
  labels: Record<string, string>;
  labelsPinned: boolean;
  poolId: string | null;
  poolName: string | null;
  poolPinned: boolean;
  schedule: { timezone: string; windows: Window[] } | null;
  evacuateOutsideHours: boolean;
}

interface Window {
  day: number;
  start: string;
  end: string;
}

type Section = "approval" | "drain" | "labels" | "pool" | "hours";
/** Field errors of one section by field path ("" for the section as a whole). */
type Errors = Record<string, string>;

interface ApiAnswer {
  status: number;
  body: Record<string, unknown> | null;
}

function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
}

async function call(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  const res = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: {
      "x-csrf-token": csrfToken(),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** The API's field errors keyed by path, plus the message under "" when none names a field. */
function errorsOf(answer: ApiAnswer): Errors {
  const error = answer.body?.error as
    | { message: string; details: { path: string; code?: string; message: string }[] | null }
    | undefined;
  if (!error) return { "": `The server answered ${answer.status}` };
  const out: Errors = {};
  for (const d of Array.isArray(error.details) ? error.details : []) {
    if (d && typeof d.path === "string") out[d.path] ??= fieldMessage(d);
  }
  if (Object.keys(out).length === 0) out[""] = error.message;
  return out;
}

/** An API field error for people; a bad label names the label it is about. */
function fieldMessage(d: { path: string; code?: string; message: string }): string {
  const label = /^labels\.(.+)$/.exec(d.path)?.[1];
  if (label === undefined) return d.message;
  if (d.code === "invalid_key") {
    return `"${label}" is not a valid label key: use letters, digits, ".", "_", "/" and "-", ` +
      "starting and ending with a letter or digit (at most 64)";
  }
  return `Label "${label}": ${d.message}`;
}

/** The first error whose path is `path` or lies under it. */
function errorAt(errors: Errors, path: string): string | undefined {
  const key = Object.keys(errors).find((k) => k === path || k.startsWith(`${path}.`));
  return key === undefined ? undefined : errors[key];
}

function FieldError(props: { id: string; message?: string; field: string }) {
  return props.message
    ? <p class="field-error" id={props.id} data-field-error={props.field}>{props.message}</p>
    : null;
}

/** A button that is off while any request of the panel (`busy`) is running. */
function ActionButton(
  p: {
    class: string;
    busy: Signal<unknown>;
    onClick: () => unknown;
    children: ComponentChildren;
  },
) {
  return (
    <button type="button" class={p.class} disabled={p.busy.value !== null} onClick={p.onClick}>
      {p.children}
    </button>
  );
}

function Block(props: { title: string; id: string; children: ComponentChildren }) {
  return (
    <section class="node-admin-block" aria-labelledby={props.id}>
      <h3 id={props.id}>{props.title}</h3>
      {props.children}
    </section>
  );
}

function timeZones(current: string | undefined): string[] {
  let zones: string[] = [];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    zones = [];
  }
  const all = new Set(["UTC", ...zones]);
  if (current) all.add(current);
  return [...all].sort();
}

/** Admin actions on one node, each sent to the JSON API; field errors appear by their field. */
export default function NodeAdmin(props: {
  node: AdminNode;
  pools: { id: string; name: string }[];
}) {
  const node = useSignal(props.node);
  const busy = useSignal<Section | null>(null);
  const errors = useSignal<Partial<Record<Section, Errors>>>({});
  const saved = useSignal<Partial<Record<Section, string>>>({});
  const revoking = useSignal(false);
  const reason = useSignal("");
  const labelsText = useSignal(formatLabels(props.node.labels));
  const poolId = useSignal(props.node.poolId ?? "");
  const always = useSignal(props.node.schedule === null);
  const timezone = useSignal(props.node.schedule?.timezone ?? "UTC");
  const windows = useSignal<Window[]>(props.node.schedule?.windows ?? []);
  const evacuate = useSignal(props.node.evacuateOutsideHours);

  const n = node.value;
  const base = `/api/v1/nodes/${n.id}`;

  /** Run one action: its errors and confirmation replace the section's previous ones. */
  const run = async (section: Section, action: () => Promise<ApiAnswer>, done: string) => {
    busy.value = section;
    errors.value = { ...errors.value, [section]: {} };
    saved.value = { ...saved.value, [section]: "" };
    try {
      const answer = await action();
      if (answer.status >= 400) {
        errors.value = { ...errors.value, [section]: errorsOf(answer) };
        return false;
      }
      const fresh = await call("GET", base);
      if (fresh.status === 200) node.value = (fresh.body as { node: AdminNode }).node;
      saved.value = { ...saved.value, [section]: done };
      return true;
    } catch (err) {
      errors.value = { ...errors.value, [section]: { "": `Could not reach the server: ${err}` } };
      return false;
    } finally {
      busy.value = null;
    }
  };

  const sectionErrors = (s: Section) => errors.value[s] ?? {};
  /** The error of `field` in a section, else the section's own error. */
  const errorFor = (s: Section, field: string) =>
    errorAt(sectionErrors(s), field) ?? sectionErrors(s)[""];
  const Status = (p: { section: Section }) => (
    <p class="node-admin-status" role="status" data-testid={`saved-${p.section}`}>
      {saved.value[p.section] ?? ""}
    </p>
  );

  const saveLabels = () => {
    const parsed = parseLabels(labelsText.value);
    if ("error" in parsed) {
      errors.value = { ...errors.value, labels: { labels: parsed.error } };
      saved.value = { ...saved.value, labels: "" };
      return;
    }
    void run("labels", () => call("PATCH", base, { labels: parsed.labels }), "Labels saved");
  };

  const saveHours = () =>
    run(
      "hours",
      () =>
        call("PATCH", base, {
          schedule: always.value ? null : { timezone: timezone.value, windows: windows.value },
          evacuateOutsideHours: evacuate.value,
        }),
      "Computation hours saved",
    );

  const setWindow = (i: number, change: Partial<Window>) => {
    windows.value = windows.value.map((w, j) => (j === i ? { ...w, ...change } : w));
  };

  const labelsError = errorFor("labels", "labels");
  const hoursErrors = sectionErrors("hours");

  return (
    <section class="panel node-admin" aria-labelledby="admin-title">
      <header class="panel-header">
        <h2 id="admin-title">Manage</h2>
      </header>

      <Block title="Approval" id="admin-approval">
        <p class="muted">
          {n.approval === "approved" && "Approved: the node may run workloads."}
          {n.approval === "pending" && "Waiting for approval: it runs nothing until approved."}
          {n.approval === "rejected" && "Rejected: its agent is refused."}
          {n.approval === "revoked" &&
            "Revoked: its agent is refused for good and must join again with a new key."}
        </p>
        <div class="node-admin-row">
          {(n.approval === "pending" || n.approval === "rejected") && (
            <ActionButton
              busy={busy}
              class="button button-primary"
              onClick={() => run("approval", () => call("POST", `${base}/approve`), "Approved")}
            >
              Approve
            </ActionButton>
          )}
          {n.approval !== "revoked" && !revoking.value && (
            <ActionButton
              busy={busy}
              class="button button-danger"
              onClick={() => (revoking.value = true)}
            >
              Revoke…
            </ActionButton>
          )}
        </div>
        {revoking.value && n.approval !== "revoked" && (
          <div class="node-admin-confirm">
            <div class="field">
              <label for="f-revoke-reason">Reason (shown in the audit log)</label>
              <input
                id="f-revoke-reason"
                value={reason.value}
                maxLength={500}
                onInput={(e) => (reason.value = e.currentTarget.value)}
                aria-describedby="f-revoke-reason-error"
              />
              <FieldError
                id="f-revoke-reason-error"
                field="reason"
                message={errorAt(sectionErrors("approval"), "reason")}
              />
            </div>
            <div class="node-admin-row">
              <ActionButton
                busy={busy}
                class="button button-danger"
                onClick={async () => {
                  const body = reason.value.trim() ? { reason: reason.value.trim() } : undefined;
                  const ok = await run(
                    "approval",
                    () => call("POST", `${base}/revoke`, body),
                    "Revoked",
                  );
                  if (ok) revoking.value = false;
                }}
              >
                Revoke node
              </ActionButton>
              <button
                type="button"
                class="button button-quiet"
                onClick={() => (revoking.value = false)}
              >
                Cancel
              </button>
            </div>
          </div>
        )}
        <FieldError
          id="admin-approval-error"
          field="approval"
          message={sectionErrors("approval")[""]}
        />
        <Status section="approval" />
      </Block>

      <Block title="Drain" id="admin-drain">
        <p class="muted">
          {n.drained
            ? "Drained: no new work is placed here, and its stateless replicas move elsewhere."
            : "Takes new work. Draining moves stateless replicas elsewhere before maintenance."}
        </p>
        <button
          type="button"
          class="button"
          data-testid="drain-toggle"
          disabled={busy.value !== null}
          onClick={() =>
            run(
              "drain",
              () => call("PATCH", base, { drained: !n.drained }),
              n.drained ? "Undrained" : "Drained",
            )}
        >
          {n.drained ? "Undrain" : "Drain"}
        </button>
        <FieldError
          id="admin-drain-error"
          field="drained"
          message={errorFor("drain", "drained")}
        />
        <Status section="drain" />
      </Block>

      <Block title="Labels" id="admin-labels">
        <div class={labelsError ? "field field-invalid" : "field"}>
          <label for="f-labels">One key=value per line</label>
          <textarea
            id="f-labels"
            rows={4}
            spellcheck={false}
            value={labelsText.value}
            onInput={(e) => (labelsText.value = e.currentTarget.value)}
            aria-invalid={labelsError ? "true" : undefined}
            aria-describedby="f-labels-hint f-labels-error"
          />
          <p class="field-hint" id="f-labels-hint">
            {n.labelsPinned
              ? "Set by an admin: the agent no longer replaces them."
              : "Reported by the agent; saving pins them."}
          </p>
          <FieldError id="f-labels-error" field="labels" message={labelsError} />
        </div>
        <ActionButton
          busy={busy}
          class="button"
          onClick={saveLabels}
        >
          Save labels
        </ActionButton>
        <Status section="labels" />
      </Block>

      <Block title="Pool" id="admin-pool">
        <p class="muted">
          In <strong>{n.poolName ?? "no pool"}</strong>
          {n.poolPinned ? ", placed by hand." : ", chosen by pool criteria."}
        </p>
        <div class="node-admin-row">
          <div class="field">
            <label for="f-pool">Move to</label>
            <select
              id="f-pool"
              value={poolId.value}
              onChange={(e) => (poolId.value = e.currentTarget.value)}
              aria-describedby="f-pool-error"
            >
              {props.pools.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
            </select>
          </div>
          <ActionButton
            busy={busy}
            class="button node-admin-inline"
            onClick={() =>
              run("pool", () => call("PUT", `${base}/pool`, { poolId: poolId.value }), "Moved")}
          >
            Move
          </ActionButton>
          {n.poolPinned && (
            <ActionButton
              busy={busy}
              class="button button-quiet node-admin-inline"
              onClick={() =>
                run(
                  "pool",
                  () => call("PATCH", base, { poolPinned: false }),
                  "Unpinned: pool criteria decide again",
                )}
            >
              Unpin
            </ActionButton>
          )}
        </div>
        <FieldError
          id="f-pool-error"
          field="poolId"
          message={errorFor("pool", "poolId")}
        />
        <Status section="pool" />
      </Block>

      <Block title="Computation hours" id="admin-hours">
        <label class="check">
          <input
            type="checkbox"
            checked={always.value}
            onChange={(e) => (always.value = e.currentTarget.checked)}
          />{" "}
          Always available
        </label>
        {!always.value && (
          <>
            <div
              class={errorAt(hoursErrors, "schedule.timezone") ? "field field-invalid" : "field"}
            >
              <label for="f-timezone">Time zone</label>
              <select
                id="f-timezone"
                value={timezone.value}
                onChange={(e) => (timezone.value = e.currentTarget.value)}
                aria-describedby="f-timezone-error"
              >
                {timeZones(timezone.value).map((z) => <option key={z} value={z}>{z}</option>)}
              </select>
              <FieldError
                id="f-timezone-error"
                field="schedule.timezone"
                message={errorAt(hoursErrors, "schedule.timezone")}
              />
            </div>
            <ol class="hours-windows">
              {windows.value.map((w, i) => {
                const err = errorAt(hoursErrors, `schedule.windows.${i}`);
                return (
                  <li key={i} class={err ? "hours-window field-invalid" : "hours-window"}>
                    <label class="visually-hidden" for={`f-day-${i}`}>Day of window {i + 1}</label>
                    <select
                      id={`f-day-${i}`}
                      value={String(w.day)}
                      onChange={(e) => setWindow(i, { day: Number(e.currentTarget.value) })}
                    >
                      {DAY_NAMES.map((d, k) => <option key={d} value={String(k)}>{d}</option>)}
                    </select>
                    <label class="visually-hidden" for={`f-start-${i}`}>
                      Start of window {i + 1}
                    </label>
                    <input
                      id={`f-start-${i}`}
                      value={w.start}
                      inputMode="numeric"
                      placeholder="09:00"
                      aria-invalid={err ? "true" : undefined}
                      onInput={(e) => setWindow(i, { start: e.currentTarget.value })}
                    />
                    <span aria-hidden="true">–</span>
                    <label class="visually-hidden" for={`f-end-${i}`}>End of window {i + 1}</label>
                    <input
                      id={`f-end-${i}`}
                      value={w.end}
                      inputMode="numeric"
                      placeholder="17:00"
                      aria-invalid={err ? "true" : undefined}
                      onInput={(e) => setWindow(i, { end: e.currentTarget.value })}
                    />
                    <button
                      type="button"
                      class="button button-quiet button-small"
                      aria-label={`Remove window ${i + 1}`}
                      onClick={() => (windows.value = windows.value.filter((_, j) => j !== i))}
                    >
                      Remove
                    </button>
                    <FieldError
                      id={`f-window-${i}-error`}
                      field={`schedule.windows.${i}`}
                      message={err}
                    />
                  </li>
                );
              })}
            </ol>
            {windows.value.length === 0 && (
              <p class="muted">No windows: the node takes no new work until you add one.</p>
            )}
            <div class="node-admin-row">
              <button
                type="button"
                class="button button-small"
                onClick={() => (windows.value = [...windows.value, {
                  day: 1,
                  start: "09:00",
                  end: "17:00",
                }])}
              >
                Add window
              </button>
              <button
                type="button"
                class="button button-small button-quiet"
                onClick={() => (windows.value = [1, 2, 3, 4, 5].map((day) => ({
                  day,
                  start: "09:00",
                  end: "17:00",
                })))}
              >
                Weekdays 09:00–17:00
              </button>
            </div>
          </>
        )}
        <label class="check">
          <input
            type="checkbox"
            checked={evacuate.value}
            onChange={(e) => (evacuate.value = e.currentTarget.checked)}
          />{" "}
          Move workloads away before a window closes
        </label>
        <FieldError
          id="admin-hours-error"
          field="schedule"
          message={hoursErrors[""] ??
            (errorAt(hoursErrors, "schedule") &&
                !Object.keys(hoursErrors).some((k) =>
                  k.startsWith("schedule.windows.") || k === "schedule.timezone"
                )
              ? errorAt(hoursErrors, "schedule")
              : undefined)}
        />
        <ActionButton
          busy={busy}
          class="button"
          onClick={saveHours}
        >
          Save hours
        </ActionButton>
        <Status section="hours" />
      </Block>
    </section>
  );
}
