/**
 * Records → the scheduler's shapes (pure): a node's `NodeView` from its record and live
 * allocations, a workload's `PlacementRequest` from its spec. The capacity computed here is the
 * one both the planner and the commit-time re-check use, so they can never disagree.
 */
import type { Capabilities } from "../protocol.ts";
import type { WorkloadSpec } from "../workloads/spec.ts";
import { defaultVolumeName } from "../workloads/container_spec.ts";
import { workloadVolumes } from "../workloads/templates.ts";
import type {
  LabelConstraint,
  NodeView,
  PlacementRequest,
  Resources,
  Schedule,
} from "../../scheduler/types.ts";

/** What an owner offers, as caps on the machine's capabilities (issue 6 sets them). */
export interface Offer {
  cpuPercent?: number;
  memoryMiB?: number;
  diskGiB?: number;
}

const MIB = 2 ** 20;
const GIB = 2 ** 30;

/** What a node offers the scheduler: its capabilities capped by its owner's offer. */
export function nodeCapacity(caps: Capabilities | null, offer: Offer | null): Resources {
  if (!caps) return { cpuMillicores: 0, memoryMiB: 0, diskGiB: 0, gpus: 0 };
  const cpu = caps.cpu.cores * 1000;
  const memory = Math.floor(caps.memoryBytes / MIB);
  const disk = Math.floor(caps.disk.totalBytes / GIB);
  return {
    cpuMillicores: offer?.cpuPercent !== undefined
      ? Math.floor(cpu * Math.min(100, Math.max(0, offer.cpuPercent)) / 100)
      : cpu,
    memoryMiB: offer?.memoryMiB !== undefined ? Math.min(memory, offer.memoryMiB) : memory,
    diskGiB: offer?.diskGiB !== undefined ? Math.min(disk, offer.diskGiB) : disk,
    gpus: caps.gpus.length,
  };
}

/** A node as db/scheduling.ts loads it. */
export interface NodeRecordForView {
  id: string;
  name: string;
  poolName: string | null;
  labels: Record<string, string>;
  approval: string;
  status: string;
  drained: boolean;
  agentVersion: string | null;
  capabilities: Capabilities | null;
  offer: Offer | null;
  rank: number;
  schedule: Schedule | null;
  /** Live allocations on it. */
  allocations: {
    workloadId: string;
    /**
     * Of the workload's current generation. Older ones (being replaced) still hold capacity
     * but no longer count as the workload being on the node, so a rolling update can start
     * the new container beside the old one despite anti-affinity to itself.
     */
    current: boolean;
    labels: Record<string, string>;
    resources: Resources;
    volumes: string[];
  }[];
}

/**
 * The scheduler's view of a node. A drained or otherwise leaving node (its computation hours
 * end soon and it evacuates) counts as not approved for new work.
 */
export function toNodeView(r: NodeRecordForView, leaving = false): NodeView {
  const allocated: Resources = { cpuMillicores: 0, memoryMiB: 0, diskGiB: 0, gpus: 0 };
  const placed = new Map<string, Record<string, string>>();
  const volumes = new Set<string>();
  for (const a of r.allocations) {
    allocated.cpuMillicores += a.resources.cpuMillicores;
    allocated.memoryMiB += a.resources.memoryMiB;
    allocated.diskGiB += a.resources.diskGiB;
    allocated.gpus += a.resources.gpus;
    if (a.current) placed.set(a.workloadId, a.labels);
    for (const v of a.volumes) volumes.add(v);
  }
  return {
    id: r.id,
    name: r.name,
    poolId: r.poolName,
    labels: r.labels,
    approved: r.approval === "approved" && !r.drained && !leaving,
    online: r.status === "online" && r.capabilities?.docker != null,
    agentVersion: r.agentVersion ?? "0.0.0",
    capacity: nodeCapacity(r.capabilities, r.offer),
    allocated,
    runtimes: r.capabilities?.docker?.runtimes ?? [],
    rank: r.rank,
    schedule: r.schedule,
    workloadsPlaced: [...placed].map(([workloadId, labels]) => ({ workloadId, labels })),
    volumesHeld: [...volumes],
  };
}

/** Names of a workload's stateful volumes, as nodes hold them (for locality). */
export function statefulVolumeNames(workloadId: string, spec: WorkloadSpec): string[] {
  return workloadVolumes(spec).filter((v) => v.stateful).map((v) =>
    defaultVolumeName({ workloadId, allocationId: workloadId }, v)
  );
}

/** The placement request of one replica (`slot`) of a workload. */
export function placementRequest(
  workloadId: string,
  spec: WorkloadSpec,
  slot: number,
  options: { minAgentVersion: string },
): PlacementRequest {
  const constraints: LabelConstraint[] = spec.constraints.map((c) =>
    c.operator === "in"
      ? { label: c.label, operator: "in", values: c.values ?? [] }
      : c.operator === "exists"
      ? { label: c.label, operator: "exists" }
      : { label: c.label, operator: c.operator, value: c.value ?? "" }
  );
  return {
    workloadId,
    allocationIndex: slot,
    labels: { ...spec.labels, "lattice.workload": spec.name },
    poolId: spec.pool ?? null,
    resources: spec.resources,
    minAgentVersion: options.minAgentVersion,
    constraints,
    affinity: spec.affinity.map((a) => ({
      workloadLabel: a.workloadLabel,
      type: a.type,
      hard: a.hard,
    })),
    nodePreferences: spec.nodePreferences,
    antiAffinitySelf: spec.antiAffinitySelf,
    strategy: spec.strategy,
    volumes: statefulVolumeNames(workloadId, spec),
  };
}
