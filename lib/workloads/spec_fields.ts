/**
 * The field schemas a workload spec is built from (spec.ts assembles them). Every message is
 * written to be shown next to the field in the API's `details` and in the dashboard form.
 */
import { z } from "@hono/zod-openapi";

/** Env of one workload, keys plus values in UTF-8: enough for configuration, not for files. */
export const MAX_ENV_BYTES = 64 * 1024;
/** Prefix of the labels Lattice sets itself (lib/protocol.ts LABELS). */
export const RESERVED_LABEL_PREFIX = "dev.lattice.";

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_LABEL_MESSAGE =
  "must be a DNS label: lowercase letters, digits and '-', 1 to 63 characters, starting and ending with a letter or digit";
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Same rule as node labels (lib/protocol.ts LabelMap), so constraints can name any node label.
const LABEL_KEY = /^[a-z0-9]([a-z0-9._/-]{0,62}[a-z0-9])?$/i;
const LABEL_KEY_MESSAGE =
  "must be a label key: letters, digits, '.', '_', '/' and '-', up to 64 characters, starting and ending with a letter or digit";
// Docker's reference grammar, simplified: [registry[:port]/]path[:tag][@sha256:digest].
const IMAGE_REF = new RegExp(
  "^(?:[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*(?::[0-9]{1,5})?/)?" +
    "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*" +
    "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$",
);

/** A whole number in [min, max], with one message for every way it can be wrong. */
export function wholeNumber(min: number, max: number, unit = "") {
  const message = `must be a whole number from ${min} to ${max}${unit}`;
  return z.number({ error: message }).int(message).min(min, message).max(max, message);
}

/** A string of at most `max` characters. */
export function text(max: number) {
  return z.string().max(max, `must be at most ${max} characters`);
}

/** A DNS label: workload, volume, port and pool names. */
export const DnsLabel = z.string().regex(DNS_LABEL, DNS_LABEL_MESSAGE);

/** A node or workload label key. */
export const LabelKey = z.string().regex(LABEL_KEY, LABEL_KEY_MESSAGE);

/** A label value. */
export const LabelValue = text(200);

/** An image reference such as `postgres:16` or `ghcr.io/owner/app:1.2@sha256:…`. */
export const ImageRef = z.string().max(500, "must be at most 500 characters").regex(
  IMAGE_REF,
  "must be an image reference such as postgres:16 or ghcr.io/owner/app:1.2",
).openapi({ example: "postgres:16" });

/** Environment variables; names as POSIX shells accept them, at most 64 KiB in all. */
export const EnvMap = z.record(z.string(), z.string()).superRefine((env, ctx) => {
  let bytes = 0;
  for (const [key, value] of Object.entries(env)) {
    if (!ENV_KEY.test(key)) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message:
          "must be an environment variable name: letters, digits and '_', not starting with a digit",
      });
    }
    if (value.includes("\0")) {
      ctx.addIssue({ code: "custom", path: [key], message: "must not contain NUL characters" });
    }
    // "KEY=value" plus the terminator, as the kernel counts it.
    bytes += utf8Length(key) + utf8Length(value) + 2;
  }
  if (bytes > MAX_ENV_BYTES) {
    ctx.addIssue({
      code: "custom",
      message: `must be at most 64 KiB in total (names and values), got ${formatBytes(bytes)}`,
    });
  }
}).openapi({ example: { LOG_LEVEL: "info" } });

/** A container command: the image's entrypoint receives these arguments. */
export const Command = z.array(
  z.string().max(10_000, "must be at most 10000 characters").refine(
    (arg) => !arg.includes("\0"),
    "must not contain NUL characters",
  ),
).min(1, "must have at least one element, or be left out").max(
  200,
  "must have at most 200 elements",
).openapi({ example: ["postgres", "-c", "max_connections=200"] });

/** One published port; the node picks the host port and binds it to 127.0.0.1. */
export const WorkloadPort = z.strictObject({
  container: wholeNumber(1, 65535),
  protocol: z.enum(["tcp", "udp"], { error: "must be tcp or udp" }).default("tcp"),
  name: DnsLabel.optional(),
}).openapi("WorkloadPort");
/** A parsed port. */
export type WorkloadPort = z.output<typeof WorkloadPort>;

/** A named volume; stateful ones keep their data across restarts and moves. */
export const WorkloadVolume = z.strictObject({
  name: DnsLabel,
  mountPath: z.string().max(1000, "must be at most 1000 characters").refine(
    (path) =>
      path.startsWith("/") && path !== "/" && !path.includes("\0") &&
      !path.split("/").some((segment) => segment === ".." || segment === "."),
    "must be an absolute path such as /data, not / and without '.' or '..' segments",
  ),
  stateful: z.boolean({ error: "must be true or false" }).default(true),
  sizeGiB: wholeNumber(1, 10_000, " GiB").optional(),
}).openapi("WorkloadVolume");
/** A parsed volume. */
export type WorkloadVolume = z.output<typeof WorkloadVolume>;

/** Resources as a spec gives them; missing CPU and memory come from the template. */
export const ResourcesInput = z.strictObject({
  cpuMillicores: wholeNumber(10, 64_000, " (1000 is one CPU)").optional(),
  memoryMiB: wholeNumber(16, 262_144, " MiB").optional(),
  diskGiB: wholeNumber(0, 10_000, " GiB").default(1),
  gpus: wholeNumber(0, 16).default(0),
}).openapi("WorkloadResourcesInput");

/** A rule on node labels that a node must satisfy to run the workload. */
export const NodeConstraint = z.strictObject({
  label: LabelKey,
  operator: z.enum(["=", "!=", "in", "exists"], { error: "must be one of =, !=, in, exists" }),
  value: LabelValue.optional(),
  values: z.array(LabelValue).min(1, "must list at least one value").max(
    50,
    "must list at most 50 values",
  ).optional(),
}).superRefine((c, ctx) => {
  const wantsValues = c.operator === "in";
  const wantsValue = c.operator === "=" || c.operator === "!=";
  if (wantsValues && c.values === undefined) {
    ctx.addIssue({ code: "custom", path: ["values"], message: "is required for operator in" });
  }
  if (wantsValue && c.value === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["value"],
      message: `is required for operator ${c.operator}`,
    });
  }
  if (!wantsValues && c.values !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["values"],
      message: `must be left out for operator ${c.operator}${wantsValue ? " (use value)" : ""}`,
    });
  }
  if (!wantsValue && c.value !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["value"],
      message: `must be left out for operator ${c.operator}${wantsValues ? " (use values)" : ""}`,
    });
  }
}).openapi("NodeConstraint", { example: { label: "region", operator: "in", values: ["eu"] } });
/** A parsed node constraint. */
export type NodeConstraint = z.output<typeof NodeConstraint>;

/** Attraction to (or repulsion from) nodes running workloads with a label. */
export const WorkloadAffinity = z.strictObject({
  workloadLabel: z.strictObject({ key: LabelKey, value: LabelValue }),
  type: z.enum(["affinity", "anti-affinity"], { error: "must be affinity or anti-affinity" }),
  /** Hard rules filter nodes out; soft ones only score them. */
  hard: z.boolean({ error: "must be true or false" }).default(false),
}).openapi("WorkloadAffinity");
/** A parsed affinity rule. */
export type WorkloadAffinity = z.output<typeof WorkloadAffinity>;

/** A soft preference for nodes with a label value. */
export const NodePreference = z.strictObject({
  label: LabelKey,
  value: LabelValue,
  weight: wholeNumber(1, 100),
}).openapi("NodePreference");
/** A parsed node preference. */
export type NodePreference = z.output<typeof NodePreference>;

/** The user's labels for a workload (affinity rules select workloads by them). */
export const WorkloadLabels = z.record(z.string(), LabelValue).superRefine((labels, ctx) => {
  const keys = Object.keys(labels);
  if (keys.length > 32) {
    ctx.addIssue({ code: "custom", message: `must have at most 32 labels, got ${keys.length}` });
  }
  for (const key of keys) {
    if (!LABEL_KEY.test(key)) {
      ctx.addIssue({ code: "custom", path: [key], message: LABEL_KEY_MESSAGE });
    } else if (key.toLowerCase().startsWith(RESERVED_LABEL_PREFIX)) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `must not start with ${RESERVED_LABEL_PREFIX}: Lattice sets those labels itself`,
      });
    }
  }
}).openapi({ example: { app: "shop", tier: "db" } });

function utf8Length(text: string): number {
  // Fast path: most env values are ASCII, where UTF-16 length equals UTF-8 length.
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? text.length : new TextEncoder().encode(text).byteLength;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
