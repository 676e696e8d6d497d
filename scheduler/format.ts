/**
 * Amounts and rules in words, for rejection reasons and summaries ("4 GiB", "2 CPU cores",
 * "region in [eu-west, eu-central]").
 */
import type { AffinityRule, LabelConstraint } from "./types.ts";

function plural(count: number, one: string, many: string): string {
  return count === 1 ? one : many;
}

function trim(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** CPU in whole cores when it is a whole number of cores, else in millicores. */
export function formatCpu(millicores: number): string {
  if (millicores !== 0 && millicores % 1000 === 0) {
    const cores = millicores / 1000;
    return `${cores} ${plural(cores, "CPU core", "CPU cores")}`;
  }
  return `${millicores} CPU ${plural(millicores, "millicore", "millicores")}`;
}

/** Memory in GiB from 1 GiB up (to two decimals), else in MiB. */
export function formatMemory(mebibytes: number): string {
  return Math.abs(mebibytes) >= 1024 ? `${trim(mebibytes / 1024)} GiB` : `${mebibytes} MiB`;
}

/** Disk in GiB. */
export function formatDisk(gibibytes: number): string {
  return `${gibibytes} GiB`;
}

/** A GPU count. */
export function formatGpus(gpus: number): string {
  return `${gpus} ${plural(gpus, "GPU", "GPUs")}`;
}

/** A label constraint as "region = eu", "region != us", "disk in [ssd, nvme]", "gpu exists". */
export function formatConstraint(constraint: LabelConstraint): string {
  switch (constraint.operator) {
    case "=":
    case "!=":
      return `${constraint.label} ${constraint.operator} ${constraint.value}`;
    case "in":
      return `${constraint.label} in [${constraint.values.join(", ")}]`;
    case "exists":
      return `${constraint.label} exists`;
  }
}

/** An affinity rule as "near app=db" or "away from app=web". */
export function formatAffinity(rule: AffinityRule): string {
  const label = `${rule.workloadLabel.key}=${rule.workloadLabel.value}`;
  return rule.type === "affinity" ? `near ${label}` : `away from ${label}`;
}
