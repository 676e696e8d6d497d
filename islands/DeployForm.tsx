import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useRef } from "preact/hooks";
import {
  errorsFromApi,
  type FormValues,
  readDeployForm,
  type RowGroup,
  rowIds,
} from "@/lib/workloads/deploy_form.ts";
import { TEMPLATE_NAMES, type TemplateName, TEMPLATES } from "@/lib/workloads/template_catalog.ts";
import { templateLabel } from "@/lib/workloads/view.ts";

interface Props {
  /** Pool names a workload may be pinned to. */
  pools: string[];
  /** What the form shows first: a fresh form, or one the server sent back with errors. */
  values: FormValues;
  errors: Record<string, string>;
  csrfToken: string | null;
}

const DESCRIPTIONS: Record<TemplateName, string> = {
  postgres: "PostgreSQL with a data volume; user, password and database are generated.",
  redis: "Redis with persistence to a volume and a generated password.",
  minio: "S3-compatible object storage with its web console.",
  custom: "Any image from a registry, with your own ports and environment.",
};

const OPERATORS = [
  { value: "=", label: "equals" },
  { value: "!=", label: "does not equal" },
  { value: "in", label: "is one of (a, b)" },
  { value: "exists", label: "exists" },
];

/** A message as the form shows it: field rules read "Name must be …". */
function say(label: string, message: string | undefined): string | undefined {
  if (message === undefined) return undefined;
  return /^[a-z]/.test(message) ? `${label} ${message}` : message;
}

function FieldError(props: { name: string; text: string | undefined }) {
  if (!props.text) return null;
  return (
    <p class="field-error" id={`f-${props.name}-error`} data-field-error={props.name}>
      {props.text}
    </p>
  );
}

/** One labelled input with its hint and its error, linked for screen readers. */
function Input(props: {
  name: string;
  label: string;
  values: FormValues;
  errors: Record<string, string>;
  hint?: string;
  placeholder?: string;
  numeric?: boolean;
  unit?: string;
  class?: string;
  hideLabel?: boolean;
}) {
  const id = `f-${props.name}`;
  const error = say(props.label, props.errors[props.name]);
  const described = [props.hint && `${id}-hint`, error && `${id}-error`].filter(Boolean);
  return (
    <div class={`field ${error ? "field-invalid" : ""} ${props.class ?? ""}`}>
      <label for={id} class={props.hideLabel ? "visually-hidden" : undefined}>
        {props.label}
        {props.unit && <span class="field-unit">{props.unit}</span>}
      </label>
      <input
        id={id}
        name={props.name}
        type="text"
        inputMode={props.numeric ? "numeric" : undefined}
        defaultValue={props.values[props.name] ?? ""}
        placeholder={props.placeholder}
        autocomplete="off"
        spellcheck={false}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={described.length ? described.join(" ") : undefined}
      />
      {props.hint && <p class="field-hint" id={`${id}-hint`}>{props.hint}</p>}
      <FieldError name={props.name} text={error} />
    </div>
  );
}

/** Rows to show for a group: those in `values`, else one blank row. */
function initialRows(values: FormValues, group: RowGroup): number[] {
  const ids = rowIds(values, group);
  return ids.length > 0 ? ids : [0];
}

/**
 * The Deploy form: a template card, then name, image, resources, replicas, pool, ports (custom
 * images), environment and constraints. It posts the spec as JSON to the API with an
 * Idempotency-Key and shows each validation message next to its input; without JavaScript the
 * same form posts to the page, which answers the same way.
 */
export default function DeployForm(props: Props) {
  const template = useSignal<TemplateName>(
    (TEMPLATE_NAMES as readonly string[]).includes(props.values.template ?? "")
      ? props.values.template as TemplateName
      : "postgres",
  );
  const errors = useSignal(props.errors);
  const busy = useSignal(false);
  const rows = useSignal<Record<RowGroup, number[]>>({
    env: initialRows(props.values, "env"),
    constraints: initialRows(props.values, "constraints"),
    ports: initialRows(props.values, "ports"),
  });
  const last = useRef<{ body: string; key: string } | null>(null);
  const values = props.values;
  const e = errors.value;
  const t = TEMPLATES[template.value];

  const addRow = (group: RowGroup) => {
    const ids = rows.value[group];
    rows.value = { ...rows.value, [group]: [...ids, Math.max(-1, ...ids) + 1] };
  };
  const removeRow = (group: RowGroup, id: number) => {
    const ids = rows.value[group].filter((x) => x !== id);
    rows.value = {
      ...rows.value,
      [group]: ids.length > 0 ? ids : [Math.max(...rows.value[group]) + 1],
    };
  };

  const submit = async (ev: JSX.TargetedEvent<HTMLFormElement>) => {
    ev.preventDefault();
    if (busy.value) return;
    const form = ev.currentTarget;
    const data: FormValues = {};
    new FormData(form).forEach((v, k) => {
      if (typeof v === "string") data[k] = v;
    });
    const read = readDeployForm(data);
    const body = JSON.stringify(read.input);
    // The same body retried keeps its key (a lost answer cannot create two workloads).
    if (last.current?.body !== body) last.current = { body, key: crypto.randomUUID() };
    busy.value = true;
    try {
      const res = await fetch("/api/v1/workloads", {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "content-type": "application/json",
          "idempotency-key": last.current.key,
          "x-csrf-token": props.csrfToken ?? "",
        },
        body,
      });
      const answer = await res.json().catch(() => null);
      if (res.status === 201 && answer?.workload?.id) {
        location.assign(`/workloads/${answer.workload.id}`);
        return;
      }
      const error = answer?.error ?? { message: `The server answered ${res.status}` };
      errors.value = errorsFromApi(error, read);
      busy.value = false;
      // Take the keyboard to the first input that needs attention.
      requestAnimationFrame(() => {
        const first = form.querySelector<HTMLElement>('[aria-invalid="true"]') ??
          form.querySelector<HTMLElement>(".alert-error");
        first?.focus();
      });
    } catch {
      errors.value = { _form: "Could not reach the server; check the connection and try again." };
      busy.value = false;
    }
  };

  const rowError = (name: string, label: string) => say(label, e[name]);
  const count = Object.keys(e).length;

  return (
    <form
      method="post"
      action="/workloads/new"
      class="deploy-form"
      onSubmit={submit}
      noValidate
      data-testid="deploy-form"
    >
      {props.csrfToken && <input type="hidden" name="_csrf" value={props.csrfToken} />}
      {count > 0 && (
        <div class="alert alert-error" role="alert" tabIndex={-1} data-testid="deploy-errors">
          {e._form ?? `Check the ${count === 1 ? "field" : `${count} fields`} marked below.`}
        </div>
      )}

      <fieldset class="template-cards">
        <legend>What to run</legend>
        {TEMPLATE_NAMES.map((name) => (
          <label class="template-card" key={name} data-template={name}>
            <input
              type="radio"
              name="template"
              value={name}
              defaultChecked={name === template.value}
              onChange={() => (template.value = name)}
            />
            <span class="template-card-title">{templateLabel(name)}</span>
            <code class="template-card-image">{TEMPLATES[name].image || "your image"}</code>
            <span class="template-card-text">{DESCRIPTIONS[name]}</span>
          </label>
        ))}
      </fieldset>

      <section class="deploy-section" aria-labelledby="deploy-basics">
        <h2 id="deploy-basics">Basics</h2>
        <div class="deploy-grid">
          <Input
            name="name"
            label="Name"
            values={values}
            errors={e}
            hint="Lowercase letters, digits and '-', e.g. shop-db"
          />
          <Input
            name="image"
            label="Image"
            values={values}
            errors={e}
            placeholder={t.image || "ghcr.io/owner/app:1.2"}
            hint="Required for a custom image; for a template, leave empty to use its image"
          />
          <Input
            name="replicas"
            label="Replicas"
            values={values}
            errors={e}
            numeric
            placeholder="1"
            hint="1 to 100, each on its own node"
          />
          <div class={`field ${e.pool ? "field-invalid" : ""}`}>
            <label for="f-pool">Pool</label>
            <select
              id="f-pool"
              name="pool"
              defaultValue={values.pool ?? ""}
              aria-invalid={e.pool ? "true" : undefined}
              aria-describedby={e.pool ? "f-pool-error" : undefined}
            >
              <option value="">Any pool</option>
              {props.pools.map((p) => <option value={p} key={p}>{p}</option>)}
            </select>
            <FieldError name="pool" text={say("Pool", e.pool)} />
          </div>
        </div>
      </section>

      <section class="deploy-section" aria-labelledby="deploy-resources">
        <h2 id="deploy-resources">Resources per replica</h2>
        <div class="deploy-grid deploy-grid-4">
          <Input
            name="cpuMillicores"
            label="CPU"
            unit="millicores"
            values={values}
            errors={e}
            numeric
            placeholder={String(t.defaultResources.cpuMillicores)}
            hint="1000 is one CPU"
          />
          <Input
            name="memoryMiB"
            label="Memory"
            unit="MiB"
            values={values}
            errors={e}
            numeric
            placeholder={String(t.defaultResources.memoryMiB)}
            hint={`At least ${t.minMemoryMiB} MiB`}
          />
          <Input
            name="diskGiB"
            label="Disk"
            unit="GiB"
            values={values}
            errors={e}
            numeric
            placeholder="1"
          />
          <Input
            name="gpus"
            label="GPUs"
            values={values}
            errors={e}
            numeric
            placeholder="0"
          />
        </div>
      </section>

      <section class="deploy-section custom-only" aria-labelledby="deploy-ports">
        <h2 id="deploy-ports">Ports</h2>
        <p class="field-hint">
          Container ports to publish; each node picks the host port and binds it to 127.0.0.1.
        </p>
        <FieldError name="ports" text={say("Ports", e.ports)} />
        {rows.value.ports.map((id) => (
          <div class="deploy-row" key={id} data-row={`ports.${id}`}>
            <Input
              name={`ports.${id}.container`}
              label="Container port"
              values={values}
              errors={e}
              numeric
              placeholder="8080"
            />
            <div class="field">
              <label for={`f-ports.${id}.protocol`}>Protocol</label>
              <select
                id={`f-ports.${id}.protocol`}
                name={`ports.${id}.protocol`}
                defaultValue={values[`ports.${id}.protocol`] ?? "tcp"}
              >
                <option value="tcp">tcp</option>
                <option value="udp">udp</option>
              </select>
            </div>
            <RemoveButton what="port" onClick={() => removeRow("ports", id)} />
          </div>
        ))}
        <AddButton what="port" onClick={() => addRow("ports")} />
      </section>

      <section class="deploy-section" aria-labelledby="deploy-env">
        <h2 id="deploy-env">Environment</h2>
        <FieldError name="env" text={say("Environment", e.env)} />
        {rows.value.env.map((id) => (
          <div class="deploy-row" key={id} data-row={`env.${id}`}>
            <Input
              name={`env.${id}.key`}
              label="Variable"
              values={values}
              errors={e}
              placeholder="LOG_LEVEL"
            />
            <Input
              name={`env.${id}.value`}
              label="Value"
              values={values}
              errors={e}
              placeholder="info"
            />
            <RemoveButton what="variable" onClick={() => removeRow("env", id)} />
          </div>
        ))}
        <AddButton what="variable" onClick={() => addRow("env")} />
      </section>

      <section class="deploy-section" aria-labelledby="deploy-constraints">
        <h2 id="deploy-constraints">Placement constraints</h2>
        <p class="field-hint">Only nodes whose labels satisfy every rule run this workload.</p>
        <FieldError name="constraints" text={say("Constraints", e.constraints)} />
        {rows.value.constraints.map((id) => (
          <div class="deploy-row" key={id} data-row={`constraints.${id}`}>
            <Input
              name={`constraints.${id}.label`}
              label="Node label"
              values={values}
              errors={e}
              placeholder="region"
            />
            <div class="field">
              <label for={`f-constraints.${id}.operator`}>Rule</label>
              <select
                id={`f-constraints.${id}.operator`}
                name={`constraints.${id}.operator`}
                defaultValue={values[`constraints.${id}.operator`] ?? "="}
              >
                {OPERATORS.map((o) => <option value={o.value} key={o.value}>{o.label}</option>)}
              </select>
              <FieldError
                name={`constraints.${id}.operator`}
                text={rowError(`constraints.${id}.operator`, "Rule")}
              />
            </div>
            <Input
              name={`constraints.${id}.value`}
              label="Value"
              values={values}
              errors={e}
              placeholder="eu"
            />
            <RemoveButton
              what="rule"
              onClick={() =>
                removeRow("constraints", id)}
            />
          </div>
        ))}
        <AddButton what="rule" onClick={() => addRow("constraints")} />
      </section>

      <div class="deploy-actions">
        <button type="submit" class="button button-primary" disabled={busy.value}>
          {busy.value ? "Deploying…" : "Deploy"}
        </button>
        <a href="/workloads" class="button button-quiet">Cancel</a>
      </div>
    </form>
  );
}

function AddButton(props: { what: string; onClick: () => void }) {
  return (
    <button
      type="button"
      class="button button-small deploy-add"
      onClick={props.onClick}
      data-js-only
    >
      Add {props.what}
    </button>
  );
}

function RemoveButton(props: { what: string; onClick: () => void }) {
  return (
    <button
      type="button"
      class="button button-small button-quiet deploy-remove"
      onClick={props.onClick}
      aria-label={`Remove this ${props.what}`}
      data-js-only
    >
      Remove
    </button>
  );
}
