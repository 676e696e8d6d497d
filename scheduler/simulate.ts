/**
 * Simulated clusters and placement requests, for the placement benchmark and the property
 * tests: varied capacity, labels, pools, agent versions, runtimes, computation hours in several
 * time zones, workloads already placed and volumes already held. Seeded, so a failing property
 * or a benchmark run can be reproduced exactly.
 */
import { mulberry32, type Random } from "./random.ts";
import type { AffinityRule, LabelConstraint, NodeView, PlacementRequest } from "./types.ts";
import type { Schedule } from "./types.ts";

/** How a simulated cluster looks. */
export interface SimulatedClusterOptions {
  nodes: number;
  seed: number;
  /** Each resource of each node starts between 0 and this share allocated (default 0.6). */
  fill?: number;
}

/** How simulated requests look. */
export interface SimulatedRequestOptions {
  count: number;
  seed: number;
  /**
   * Every request uses every filter and scorer (runtime, version floor, constraints, hard and
   * soft affinity, preferences, volumes, self anti-affinity) — the benchmark's setting. When
   * false, each is present only sometimes, and some requests ask for more than any node has.
   */
  everything?: boolean;
  /** Replicas share a workload id; each workload has 1…this many (default 3). */
  maxReplicas?: number;
}

export const SIMULATED_POOLS = ["pool-home", "pool-office", "pool-dc", "pool-edge"];
const REGIONS = ["eu-west", "eu-central", "us-east", "us-west", "ap-south"];
const DISKS = ["ssd", "hdd", "nvme"];
const TIERS = ["home", "office", "datacenter"];
const APPS = ["web", "api", "postgres", "redis", "minio", "worker", "ml"];
const VERSIONS = ["1.0.0", "1.1.0", "1.2.3", "1.10.0", "2.0.0"];
const ZONES = [
  "Europe/Paris",
  "America/New_York",
  "Asia/Tokyo",
  "Australia/Sydney",
  "America/Los_Angeles",
  "Asia/Kolkata",
  "UTC",
];

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function chance(random: Random, p: number): boolean {
  return random() < p;
}

function simulatedSchedule(random: Random): Schedule | null {
  if (!chance(random, 0.25)) return null;
  const timezone = pick(random, ZONES);
  const days = [0, 1, 2, 3, 4, 5, 6];
  switch (Math.floor(random() * 3)) {
    case 0: // evenings and nights on weekdays (across midnight), all weekend
      return {
        timezone,
        windows: [
          ...[1, 2, 3, 4, 5].map((day) => ({ day, start: "18:00", end: "08:00" })),
          { day: 6, start: "00:00", end: "00:00" },
          { day: 0, start: "00:00", end: "24:00" },
        ],
      };
    case 1: // office hours
      return { timezone, windows: days.map((day) => ({ day, start: "09:00", end: "17:00" })) };
    default: // nights
      return { timezone, windows: days.map((day) => ({ day, start: "22:00", end: "06:00" })) };
  }
}

/** A simulated cluster of `nodes` nodes. */
export function simulatedCluster(options: SimulatedClusterOptions): NodeView[] {
  const random = mulberry32(options.seed);
  const fill = options.fill ?? 0.6;
  let workload = 0;
  return Array.from({ length: options.nodes }, (_, i) => {
    const gpus = chance(random, 0.08) ? pick(random, [1, 2, 4]) : 0;
    const capacity = {
      cpuMillicores: pick(random, [2000, 4000, 8000, 16000, 32000, 64000]),
      memoryMiB: pick(random, [4096, 8192, 16384, 32768, 65536, 131072]),
      diskGiB: pick(random, [64, 128, 256, 512, 1024, 2048]),
      gpus,
    };
    const share = () => random() * fill;
    const workloadsPlaced = Array.from({ length: Math.floor(random() * 7) }, () => ({
      workloadId: `w-${workload++}`,
      labels: { app: pick(random, APPS), team: pick(random, ["a", "b", "c"]) },
    }));
    const labels: Record<string, string> = {
      region: pick(random, REGIONS),
      disk: pick(random, DISKS),
      arch: chance(random, 0.8) ? "amd64" : "arm64",
      tier: pick(random, TIERS),
      hostname: `host-${i}`,
    };
    if (gpus > 0) labels.gpu = pick(random, ["nvidia-t4", "nvidia-a10"]);
    return {
      id: `sim-node-${i}`,
      name: `simulated node ${i}`,
      poolId: chance(random, 0.05) ? null : pick(random, SIMULATED_POOLS),
      labels,
      approved: chance(random, 0.97),
      online: chance(random, 0.93),
      agentVersion: pick(random, VERSIONS),
      capacity,
      allocated: {
        cpuMillicores: Math.floor(capacity.cpuMillicores * share()),
        memoryMiB: Math.floor(capacity.memoryMiB * share()),
        diskGiB: Math.floor(capacity.diskGiB * share()),
        gpus: Math.floor(gpus * share()),
      },
      runtimes: [
        "runc",
        ...(chance(random, 0.2) ? ["runsc"] : []),
        ...(gpus > 0 ? ["nvidia"] : []),
      ],
      rank: Math.floor(random() * 1001),
      schedule: simulatedSchedule(random),
      workloadsPlaced,
      // Its own stateful workloads' volumes, and sometimes a replica of another one's.
      volumesHeld: [
        ...workloadsPlaced
          .filter((placed) => ["postgres", "minio"].includes(placed.labels.app))
          .map((placed) => `${placed.workloadId}/data`),
        ...(chance(random, 0.3) ? [`w-${Math.floor(random() * 2000)}/data`] : []),
      ],
    };
  });
}

function simulatedConstraints(random: Random, app: string, everything: boolean): LabelConstraint[] {
  const constraints: LabelConstraint[] = [];
  if (app === "ml") constraints.push({ label: "gpu", operator: "exists" });
  if (everything || chance(random, 0.5)) {
    constraints.push(
      pick<LabelConstraint>(random, [
        { label: "arch", operator: "=", value: "amd64" },
        { label: "disk", operator: "!=", value: "hdd" },
        { label: "region", operator: "in", values: [pick(random, REGIONS), pick(random, REGIONS)] },
        { label: "tier", operator: "in", values: ["office", "datacenter"] },
      ]),
    );
  }
  return constraints;
}

function simulatedAffinity(random: Random, everything: boolean): AffinityRule[] {
  const rules: AffinityRule[] = [];
  const rule = (type: AffinityRule["type"], hard: boolean): AffinityRule => ({
    workloadLabel: { key: "app", value: pick(random, APPS) },
    type,
    hard,
  });
  if (everything || chance(random, 0.3)) rules.push(rule("anti-affinity", true));
  if (everything || chance(random, 0.4)) rules.push(rule("affinity", false));
  if (everything || chance(random, 0.3)) rules.push(rule("anti-affinity", false));
  if (!everything && chance(random, 0.1)) rules.push(rule("affinity", true));
  return rules;
}

/** `count` simulated allocation requests: replicas of workloads of several kinds. */
export function simulatedRequests(options: SimulatedRequestOptions): PlacementRequest[] {
  const random = mulberry32(options.seed);
  const everything = options.everything ?? true;
  const maxReplicas = options.maxReplicas ?? 3;
  const requests: PlacementRequest[] = [];
  for (let workload = 0; requests.length < options.count; workload++) {
    const app = pick(random, APPS);
    // Some requests re-place existing workloads, whose volumes some nodes already hold.
    const existing = chance(random, 0.2) ? `w-${Math.floor(random() * 2000)}` : null;
    const workloadId = existing ?? `sim-${options.seed}-${workload}`;
    const huge = !everything && chance(random, 0.05);
    const template: Omit<PlacementRequest, "allocationIndex"> = {
      workloadId,
      labels: { app, team: pick(random, ["a", "b", "c"]) },
      poolId: chance(random, 0.75) ? pick(random, SIMULATED_POOLS) : null,
      resources: {
        cpuMillicores: huge ? 200_000 : pick(random, [250, 500, 1000, 2000]),
        memoryMiB: pick(random, [256, 512, 1024, 2048, 4096]),
        diskGiB: pick(random, [1, 5, 10, 20]),
        gpus: app === "ml" ? 1 : 0,
      },
      runtime: app === "ml" ? "nvidia" : everything || chance(random, 0.3) ? "runc" : undefined,
      minAgentVersion: everything || chance(random, 0.5) ? pick(random, ["1.1.0", "1.2.0"]) : "",
      constraints: simulatedConstraints(random, app, everything),
      affinity: simulatedAffinity(random, everything),
      nodePreferences: everything || chance(random, 0.5)
        ? [
          { label: "disk", value: "nvme", weight: 50 },
          { label: "tier", value: "home", weight: -20 },
        ]
        : [],
      antiAffinitySelf: everything || chance(random, 0.6),
      strategy: ["web", "api", "postgres"].includes(app) ? "spread" : "binpack",
      volumes: everything || existing || chance(random, 0.3) ? [`${workloadId}/data`] : [],
    };
    const replicas = 1 + Math.floor(random() * maxReplicas);
    for (let r = 0; r < replicas && requests.length < options.count; r++) {
      requests.push({ ...template, allocationIndex: r });
    }
  }
  return requests;
}
