/**
 * The workload spec: what a user asks Lattice to run (issue 4, "Workloads"). This one schema
 * validates the API body, is what Postgres stores as desired state, and types the dashboard
 * form. Parsing resolves every default, including the template's image and resources, so a
 * stored spec means the same thing after a template's defaults change.
 */
import { issueDetails } from "../api/issues.ts";
import { z } from "@hono/zod-openapi";
import { ValidationError } from "../errors.ts";
import {
  Command,
  DnsLabel,
  EnvMap,
  ImageRef,
  NodeConstraint,
  NodePreference,
  ResourcesInput,
  wholeNumber,
  WorkloadAffinity,
  WorkloadLabels,
  WorkloadPort,
  WorkloadVolume,
} from "./spec_fields.ts";
import { checkSpec } from "./spec_checks.ts";
import { TEMPLATE_NAMES, TEMPLATES } from "./template_catalog.ts";

export {
  NodeConstraint,
  NodePreference,
  WorkloadAffinity,
  WorkloadPort,
  WorkloadVolume,
} from "./spec_fields.ts";

const Replicas = wholeNumber(1, 100);

const WorkloadSpecFields = z.strictObject({
  name: DnsLabel.openapi({ example: "shop-db" }),
  template: z.enum(TEMPLATE_NAMES, { error: `must be one of ${TEMPLATE_NAMES.join(", ")}` })
    .default("custom"),
  image: ImageRef.optional().openapi({
    description: "Required for custom; for a template, replaces its image (such as postgres:15)",
  }),
  env: EnvMap.default({}),
  command: Command.optional(),
  ports: z.array(WorkloadPort).max(20, "must have at most 20 ports").default([]),
  volumes: z.array(WorkloadVolume).max(10, "must have at most 10 volumes").default([]),
  resources: ResourcesInput.optional().openapi({
    description: "CPU and memory the spec leaves out come from the template's defaults",
  }),
  replicas: Replicas.default(1),
  pool: DnsLabel.optional().openapi({ description: "Place only on nodes of this pool" }),
  constraints: z.array(NodeConstraint).max(20, "must have at most 20 constraints").default([]),
  affinity: z.array(WorkloadAffinity).max(10, "must have at most 10 rules").default([]),
  nodePreferences: z.array(NodePreference).max(10, "must have at most 10 preferences")
    .default([]),
  antiAffinitySelf: z.boolean({ error: "must be true or false" }).default(true).openapi({
    description: "Run replicas of this workload on distinct nodes",
  }),
  restart: z.enum(["no", "on-failure", "unless-stopped", "always"], {
    error: "must be one of no, on-failure, unless-stopped, always",
  }).default("unless-stopped"),
  strategy: z.enum(["binpack", "spread"], { error: "must be binpack or spread" }).default(
    "spread",
  ),
  labels: WorkloadLabels.default({}),
});

/** CPU, memory, disk and GPUs of one replica, resolved. */
export interface WorkloadResources {
  cpuMillicores: number;
  memoryMiB: number;
  diskGiB: number;
  gpus: number;
}

type ParsedFields = z.output<typeof WorkloadSpecFields>;
/** A spec after parsing: every default filled, image and resources resolved. */
export type WorkloadSpec = Omit<ParsedFields, "image" | "resources"> & {
  image: string;
  resources: WorkloadResources;
};

/** The workload spec; parse it at the edge and pass the result (`WorkloadSpec`) inside. */
export const WorkloadSpec = WorkloadSpecFields
  .superRefine(checkSpec)
  .transform((spec): WorkloadSpec => {
    const template = TEMPLATES[spec.template];
    return {
      ...spec,
      // checkSpec made sure custom has an image.
      image: spec.image ?? template.image,
      resources: {
        cpuMillicores: spec.resources?.cpuMillicores ?? template.defaultResources.cpuMillicores,
        memoryMiB: spec.resources?.memoryMiB ?? template.defaultResources.memoryMiB,
        diskGiB: spec.resources?.diskGiB ?? 1,
        gpus: spec.resources?.gpus ?? 0,
      },
    };
  })
  .openapi("WorkloadSpec");
/** A spec as a client may send it (defaults optional). */
export type WorkloadSpecInput = z.input<typeof WorkloadSpec>;

/** What `PATCH /api/v1/workloads/{id}` may change; `env` replaces the whole map. */
export const WorkloadPatch = z.strictObject({
  image: ImageRef.optional(),
  env: EnvMap.optional(),
  resources: z.strictObject({
    cpuMillicores: ResourcesInput.shape.cpuMillicores,
    memoryMiB: ResourcesInput.shape.memoryMiB,
    diskGiB: ResourcesInput.shape.diskGiB.unwrap().optional(),
    gpus: ResourcesInput.shape.gpus.unwrap().optional(),
  }).optional().openapi({ description: "Only the fields given change" }),
  replicas: Replicas.optional(),
}).refine(
  (patch) => Object.values(patch).some((value) => value !== undefined),
  "must change at least one of image, env, resources, replicas",
).openapi("WorkloadPatch");
/** A parsed patch. */
export type WorkloadPatch = z.output<typeof WorkloadPatch>;

/**
 * The spec after `patch`, checked again as a whole (a template's minimum memory still holds);
 * throws ValidationError with one detail per field, as the API's validation does.
 */
export function applyWorkloadPatch(current: WorkloadSpec, patch: WorkloadPatch): WorkloadSpec {
  const next: WorkloadSpecInput = {
    ...current,
    ...(patch.image !== undefined && { image: patch.image }),
    ...(patch.env !== undefined && { env: patch.env }),
    ...(patch.replicas !== undefined && { replicas: patch.replicas }),
    resources: { ...current.resources, ...withoutUndefined(patch.resources ?? {}) },
  };
  const parsed = WorkloadSpec.safeParse(next);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    `Cannot apply the change to workload "${current.name}": see details for each field`,
    issueDetails(parsed.error),
  );
}

/** Validation issues in the shape the API answers with (lib/api/issues.ts). */
export { issueDetails };

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
