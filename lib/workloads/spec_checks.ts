/**
 * Rules of a workload spec that span fields (spec.ts runs them once every field is valid on its
 * own): what a template requires, duplicates, and combinations that would lose data.
 */
import type { z } from "@hono/zod-openapi";
import {
  DATA_VOLUME,
  REDIS_RESERVED_FLAGS,
  type TemplateName,
  TEMPLATES,
} from "./template_catalog.ts";

/** The fields the checks read, as the field schemas parse them. */
export interface SpecForChecks {
  template: TemplateName;
  image?: string;
  env: Record<string, string>;
  command?: string[];
  ports: { container: number; protocol: "tcp" | "udp"; name?: string }[];
  volumes: { name: string; mountPath: string; stateful: boolean }[];
  resources?: { memoryMiB?: number };
  replicas: number;
  antiAffinitySelf: boolean;
}

/** Shortest password a spec may set in place of a generated one. */
export const MIN_PASSWORD_LENGTH = 12;
const USER_NAME = /^[a-z_][a-z0-9_]{2,62}$/;
const DATABASE_NAME = /^[a-z0-9_]{1,63}$/;

/** Add an issue to `ctx` for every cross-field rule `spec` breaks. */
export function checkSpec(spec: SpecForChecks, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path, message });
  const template = TEMPLATES[spec.template];

  if (spec.template === "custom" && spec.image === undefined) {
    issue(["image"], "is required when template is custom (or choose postgres, redis or minio)");
  }
  const memory = spec.resources?.memoryMiB;
  if (memory !== undefined && memory < template.minMemoryMiB) {
    issue(
      ["resources", "memoryMiB"],
      `must be at least ${template.minMemoryMiB} MiB for the ${spec.template} template`,
    );
  }
  checkCredentialEnv(spec, issue);
  if (spec.template === "redis") {
    spec.command?.forEach((arg, i) => {
      const flag = REDIS_RESERVED_FLAGS.find((f) => arg.toLowerCase().split("=")[0] === f);
      if (flag) {
        issue(["command", i], `must not set ${flag}: the redis template sets the password itself`);
      }
    });
  }
  findDuplicates(spec.volumes, (v) => v.name).forEach((i) =>
    issue(["volumes", i, "name"], `repeats volume name "${spec.volumes[i].name}"`)
  );
  findDuplicates(spec.volumes, (v) => v.mountPath).forEach((i) =>
    issue(["volumes", i, "mountPath"], `repeats mount path ${spec.volumes[i].mountPath}`)
  );
  findDuplicates(spec.ports, (p) => `${p.container}/${p.protocol}`).forEach((i) =>
    issue(["ports", i, "container"], `repeats port ${spec.ports[i].container}`)
  );
  findDuplicates(spec.ports, (p) => p.name).forEach((i) =>
    issue(["ports", i, "name"], `repeats port name "${spec.ports[i].name}"`)
  );
  if (spec.replicas > 1 && !spec.antiAffinitySelf && hasStatefulVolume(spec)) {
    issue(
      ["antiAffinitySelf"],
      "must be true when a workload with stateful volumes has several replicas: replicas on one node would share their data",
    );
  }
}

function checkCredentialEnv(
  spec: SpecForChecks,
  issue: (path: (string | number)[], message: string) => void,
): void {
  const { user, password, database } = TEMPLATES[spec.template].env;
  const given = (key: string | undefined) =>
    key !== undefined && Object.hasOwn(spec.env, key) ? spec.env[key] : undefined;
  const passwordValue = given(password);
  if (passwordValue !== undefined && passwordValue.length < MIN_PASSWORD_LENGTH) {
    issue(
      ["env", password!],
      `must be at least ${MIN_PASSWORD_LENGTH} characters, or left out to have a strong password generated`,
    );
  }
  const userValue = given(user);
  if (userValue !== undefined && !USER_NAME.test(userValue)) {
    issue(
      ["env", user!],
      "must be 3 to 63 lowercase letters, digits or '_', starting with a letter or '_'",
    );
  }
  const databaseValue = given(database);
  if (databaseValue !== undefined && !DATABASE_NAME.test(databaseValue)) {
    issue(["env", database!], "must be 1 to 63 lowercase letters, digits or '_'");
  }
}

/** Whether some volume of the running container keeps data, counting the template's own. */
function hasStatefulVolume(spec: SpecForChecks): boolean {
  if (spec.volumes.some((v) => v.stateful)) return true;
  const mountPath = TEMPLATES[spec.template].dataMountPath;
  // The template's data volume is stateful unless a spec volume replaces it.
  return mountPath !== null &&
    !spec.volumes.some((v) => v.name === DATA_VOLUME || v.mountPath === mountPath);
}

/** Indexes of the items whose key an earlier item already had (undefined keys never repeat). */
function findDuplicates<T>(items: T[], key: (item: T) => string | undefined): number[] {
  const seen = new Set<string>();
  const duplicates: number[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    if (seen.has(k)) duplicates.push(i);
    seen.add(k);
  });
  return duplicates;
}
