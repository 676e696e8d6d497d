/**
 * The Deploy form's fields and the workload spec they make. The same reading serves the island
 * (which posts the spec as JSON to the API) and the page's plain form post (without JavaScript),
 * and maps the API's validation details back to the inputs they are about. Pure and zod-free so
 * islands can import it.
 */

/** Form values by input name, as FormData or a parsed urlencoded body gives them. */
export type FormValues = Record<string, string>;

/** Repeated rows: their input names are `<group>.<row id>.<field>`. */
export const ROW_GROUPS = {
  env: ["key", "value"],
  constraints: ["label", "operator", "value"],
  ports: ["container", "protocol"],
} as const;
export type RowGroup = keyof typeof ROW_GROUPS;

/** Numeric inputs of one replica's resources, in the order the form shows them. */
export const RESOURCE_FIELDS = ["cpuMillicores", "memoryMiB", "diskGiB", "gpus"] as const;

/** What a form reads as: the spec input for the API, and which input each spec path came from. */
export interface ReadForm {
  input: Record<string, unknown>;
  /** The input name a validation detail's `path` is about ("_form" when none fits). */
  fieldFor(path: string): string;
}

/** Row ids of a group present in `values`, in order. */
export function rowIds(values: FormValues, group: RowGroup): number[] {
  const ids = new Set<number>();
  const re = new RegExp(`^${group}\\.(\\d+)\\.`);
  for (const name of Object.keys(values)) {
    const m = re.exec(name);
    if (m) ids.add(Number(m[1]));
  }
  return [...ids].sort((a, b) => a - b);
}

/** A number when the text is one; otherwise the text itself, for the API to refuse in words. */
function numberOr(text: string): number | string {
  const t = text.trim();
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}

/** Turn the Deploy form's values into a workload spec input (defaults left to the API). */
export function readDeployForm(values: FormValues): ReadForm {
  const v = (name: string) => (values[name] ?? "").trim();
  const template = v("template") || "custom";
  const input: Record<string, unknown> = { name: v("name"), template };
  if (v("image")) input.image = v("image");

  const resources: Record<string, number | string> = {};
  for (const f of RESOURCE_FIELDS) if (v(f)) resources[f] = numberOr(v(f));
  if (Object.keys(resources).length > 0) input.resources = resources;
  if (v("replicas")) input.replicas = numberOr(v("replicas"));
  if (v("pool")) input.pool = v("pool");

  const envRows = new Map<string, number>();
  const env: Record<string, string> = {};
  for (const id of rowIds(values, "env")) {
    const key = v(`env.${id}.key`);
    const value = values[`env.${id}.value`] ?? "";
    if (!key && !value) continue;
    env[key] = value;
    envRows.set(key, id);
  }
  if (Object.keys(env).length > 0) input.env = env;

  const constraintRows: number[] = [];
  const constraints: Record<string, unknown>[] = [];
  for (const id of rowIds(values, "constraints")) {
    const label = v(`constraints.${id}.label`);
    const value = v(`constraints.${id}.value`);
    if (!label && !value) continue;
    const operator = v(`constraints.${id}.operator`) || "=";
    const c: Record<string, unknown> = { label, operator };
    if (operator === "in") c.values = value.split(",").map((x) => x.trim()).filter(Boolean);
    else if (operator !== "exists") c.value = value;
    constraints.push(c);
    constraintRows.push(id);
  }
  if (constraints.length > 0) input.constraints = constraints;

  const portRows: number[] = [];
  if (template === "custom") {
    const ports: Record<string, unknown>[] = [];
    for (const id of rowIds(values, "ports")) {
      const container = v(`ports.${id}.container`);
      if (!container) continue;
      ports.push({ container: numberOr(container), protocol: v(`ports.${id}.protocol`) || "tcp" });
      portRows.push(id);
    }
    if (ports.length > 0) input.ports = ports;
  }

  return {
    input,
    fieldFor(path) {
      const [head, second, third] = path.split(".");
      switch (head) {
        case "name":
        case "image":
        case "replicas":
        case "pool":
        case "template":
          return head;
        case "resources":
          return (RESOURCE_FIELDS as readonly string[]).includes(second) ? second : "memoryMiB";
        case "env": {
          // Details name the variable ("env.MY_KEY"); the whole map's own rule has no key.
          const id = second === undefined ? undefined : envRows.get(path.slice(4));
          return id === undefined ? "env" : `env.${id}.key`;
        }
        case "constraints": {
          const id = constraintRows[Number(second)];
          if (id === undefined) return "constraints";
          const field = third === "values" ? "value" : third ?? "label";
          return `constraints.${id}.${field}`;
        }
        case "ports": {
          const id = portRows[Number(second)];
          if (id === undefined) return "ports";
          return `ports.${id}.${third === "protocol" ? "protocol" : "container"}`;
        }
        default:
          return "_form";
      }
    },
  };
}

/**
 * Messages by input name from an API error: each of `details` (validation) next to its input,
 * a conflict's message next to the field it names, anything else for the whole form.
 */
export function errorsFromApi(
  error: { message: string; details?: unknown },
  form: ReadForm,
): Record<string, string> {
  const errors: Record<string, string> = {};
  const { details } = error;
  if (Array.isArray(details) && details.length > 0) {
    for (const d of details as { path?: unknown; message?: unknown }[]) {
      if (typeof d?.message !== "string") continue;
      const field = form.fieldFor(typeof d.path === "string" ? d.path : "");
      errors[field] ??= d.message;
    }
    if (Object.keys(errors).length > 0) return errors;
  }
  if (details && typeof details === "object" && "field" in details) {
    return { [String((details as { field: unknown }).field)]: error.message };
  }
  return { _form: error.message };
}
