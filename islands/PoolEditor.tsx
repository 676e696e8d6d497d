import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { callApi } from "@/lib/web/client/api.ts";
import type { PoolCriteria } from "@/lib/nodes/pool_criteria.ts";
import { ConfirmButton } from "@/components/ConfirmButton.tsx";

/** A pool as the editor needs it. */
export interface PoolFormPool {
  id: string;
  name: string;
  description: string;
  autoApprove: boolean;
  criteria: PoolCriteria;
  isDefault: boolean;
}

type Props = { mode: "create" } | { mode: "edit"; pool: PoolFormPool };

/** "zone=a\nrack=3" → {zone: "a", rack: "3"}, or the first line that is not key=value. */
export function parseLabels(text: string): Record<string, string> | { bad: string } {
  const labels: Record<string, string> = {};
  for (const raw of text.split(/\n|,/)) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) return { bad: line };
    labels[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return labels;
}

function labelsText(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`).join("\n");
}

/** Which form field an API error path belongs to. */
function fieldOf(path: string): string {
  if (path.startsWith("criteria.labels")) return "labels";
  if (path.startsWith("criteria.")) return path.slice("criteria.".length).split(".")[0];
  return path.split(".")[0] || "_form";
}

/** Create a pool, or edit and delete one, through the JSON API; errors show by their fields. */
export default function PoolEditor(props: Props) {
  const pool = props.mode === "edit" ? props.pool : null;
  const open = useSignal(false);
  const busy = useSignal(false);
  const errors = useSignal<Record<string, string>>({});
  const formError = useSignal("");
  const id = pool ? `pool-${pool.id.slice(0, 8)}` : "pool-new";

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const get = (k: string) => String(form.get(k) ?? "").trim();
    const next: Record<string, string> = {};
    const labels = parseLabels(get("labels"));
    if ("bad" in labels) next.labels = `"${labels.bad}" is not key=value`;
    errors.value = next;
    formError.value = "";
    if (Object.keys(next).length) return;
    const criteria: PoolCriteria = {};
    if (Object.keys(labels).length) criteria.labels = labels as Record<string, string>;
    if (get("region")) criteria.region = get("region");
    if (get("gpu")) criteria.gpu = get("gpu") === "yes";
    if (get("environment")) criteria.environment = get("environment") as "dev";
    const body = {
      ...(pool?.isDefault ? {} : { name: get("name") }),
      description: get("description"),
      autoApprove: form.get("autoApprove") === "on",
      criteria,
    };
    busy.value = true;
    const res = pool
      ? await callApi("PATCH", `/api/v1/pools/${pool.id}`, body)
      : await callApi("POST", "/api/v1/pools", body);
    busy.value = false;
    if (res.ok) {
      location.assign(
        `/pools?saved=${encodeURIComponent(pool?.isDefault ? pool.name : body.name!)}`,
      );
      return;
    }
    const fields: Record<string, string> = {};
    for (const [path, message] of Object.entries(res.fields)) fields[fieldOf(path)] ??= message;
    if (res.status === 409 && !pool?.isDefault) fields.name ??= res.message;
    errors.value = fields;
    formError.value = Object.keys(fields).length ? "" : res.message;
  };

  const remove = async () => {
    busy.value = true;
    const res = await callApi("DELETE", `/api/v1/pools/${pool!.id}`);
    busy.value = false;
    if (res.ok) location.assign(`/pools?deleted=${encodeURIComponent(pool!.name)}`);
    else formError.value = res.message;
  };

  const field = (
    name: string,
    label: string,
    input: JSX.Element,
    hint?: string,
  ) => {
    const err = errors.value[name];
    return (
      <div class={err ? "field field-invalid" : "field"}>
        <label for={`${id}-${name}`}>{label}</label>
        {input}
        {hint && <p class="field-hint" id={`${id}-${name}-hint`}>{hint}</p>}
        {err && (
          <p class="field-error" id={`${id}-${name}-error`} data-field-error={name}>
            {label} {err}
          </p>
        )}
      </div>
    );
  };
  const aria = (name: string, hint = false) => ({
    id: `${id}-${name}`,
    name,
    "aria-invalid": errors.value[name] ? "true" as const : undefined,
    "aria-describedby": [hint && `${id}-${name}-hint`, errors.value[name] && `${id}-${name}-error`]
      .filter(Boolean).join(" ") || undefined,
  });

  if (!open.value) {
    return (
      <div class="pool-actions">
        <button
          type="button"
          class={pool ? "button button-small" : "button button-primary"}
          onClick={() => (open.value = true)}
          aria-expanded="false"
          aria-controls={`${id}-form`}
        >
          {pool ? "Edit" : "New pool"}
          {pool && <span class="visually-hidden">pool {pool.name}</span>}
        </button>
        {pool && !pool.isDefault && (
          <ConfirmButton
            label="Delete"
            question={`Delete pool ${pool.name}? Its nodes move to default.`}
            confirmLabel="Delete pool"
            busy={busy.value}
            onConfirm={remove}
          />
        )}
        {formError.value && <p class="field-error" role="alert">{formError.value}</p>}
      </div>
    );
  }
  const c = pool?.criteria ?? {};
  return (
    <form
      class="pool-form"
      id={`${id}-form`}
      onSubmit={submit}
      noValidate
      aria-label={pool ? `Edit pool ${pool.name}` : "New pool"}
    >
      <div class="form-grid">
        {field(
          "name",
          "Name",
          <input
            {...aria("name", true)}
            defaultValue={pool?.name ?? ""}
            readOnly={pool?.isDefault}
            autocomplete="off"
            autofocus
          />,
          pool?.isDefault ? "The default pool keeps its name" : "Lowercase letters, digits and -",
        )}
        {field(
          "description",
          "Description",
          <input {...aria("description")} defaultValue={pool?.description ?? ""} />,
        )}
        {field(
          "labels",
          "Labels",
          <textarea {...aria("labels", true)} rows={2}>{labelsText(c.labels)}</textarea>,
          "key=value, one per line; nodes must carry all of them",
        )}
        {field(
          "region",
          "Region",
          <input {...aria("region", true)} defaultValue={c.region ?? ""} />,
          "Matches the node's region label",
        )}
        {field(
          "gpu",
          "GPU",
          <select {...aria("gpu")}>
            <option value="" selected={c.gpu === undefined}>Any</option>
            <option value="yes" selected={c.gpu === true}>With a GPU</option>
            <option value="no" selected={c.gpu === false}>Without a GPU</option>
          </select>,
        )}
        {field(
          "environment",
          "Environment",
          <select {...aria("environment")}>
            <option value="" selected={!c.environment}>Any</option>
            {(["dev", "staging", "prod"] as const).map((env) => (
              <option key={env} value={env} selected={c.environment === env}>{env}</option>
            ))}
          </select>,
        )}
      </div>
      <label class="check">
        <input type="checkbox" name="autoApprove" defaultChecked={pool?.autoApprove ?? false} />
        Approve nodes that join with this pool's tokens at once
      </label>
      {formError.value && <p class="alert alert-error" role="alert">{formError.value}</p>}
      <div class="form-actions">
        <button type="submit" class="button button-primary" disabled={busy.value}>
          {pool ? "Save pool" : "Create pool"}
        </button>
        <button
          type="button"
          class="button"
          onClick={() => {
            open.value = false;
            errors.value = {};
            formError.value = "";
          }}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}
