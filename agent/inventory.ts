import { ContainerState, type InventoryItem, LABELS } from "../lib/protocol.ts";
import type { ContainerSummary, DockerClient } from "./docker/mod.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a well-formed allocation id (labels are not trusted: anyone can label a container). */
export function isAllocationId(value: string | undefined): value is string {
  return value !== undefined && UUID.test(value);
}
const STATES = new Set<string>(ContainerState.options);

/** Map a Docker container state to the protocol's (unknown states count as dead). */
export function toContainerState(state: string): ContainerState {
  return (STATES.has(state) ? state : "dead") as ContainerState;
}

/** One inventory item from Docker's list entry, or null when it is not a Lattice allocation. */
export function inventoryItem(c: ContainerSummary): InventoryItem | null {
  const labels = c.Labels ?? {};
  const allocationId = labels[LABELS.allocation];
  if (labels[LABELS.managed] !== "true" || !isAllocationId(allocationId)) return null;
  const exit = /Exited \((-?\d+)\)/.exec(c.Status ?? "");
  return {
    allocationId: allocationId.toLowerCase(),
    workloadId: labels[LABELS.workload] || null,
    containerId: c.Id,
    name: (c.Names?.[0] ?? "").replace(/^\//, ""),
    image: c.Image,
    state: toContainerState(c.State),
    exitCode: exit ? Number(exit[1]) : null,
    ports: (c.Ports ?? []).filter((p) => p.PublicPort && p.IP && !p.IP.includes(":")).map((p) => ({
      container: p.PrivatePort,
      protocol: p.Type === "udp" ? "udp" as const : "tcp" as const,
      hostIp: p.IP!,
      hostPort: p.PublicPort!,
    })),
    startedAt: null,
  };
}

/**
 * Every container this node manages, rebuilt from Docker labels alone. With `nodeId`, only
 * this node's: two agents may share one Docker Engine and must not report each other's.
 */
export async function readInventory(
  docker: DockerClient,
  nodeId?: string,
): Promise<InventoryItem[]> {
  const list = await docker.containerList({
    all: true,
    labels: nodeId
      ? { [LABELS.managed]: "true", [LABELS.node]: nodeId }
      : { [LABELS.managed]: "true" },
  });
  return list.map(inventoryItem).filter((i): i is InventoryItem => i !== null);
}

/** The managed container of an allocation, if Docker has one. */
export async function findAllocation(
  docker: DockerClient,
  allocationId: string,
): Promise<ContainerSummary | null> {
  const list = await docker.containerList({
    all: true,
    labels: { [LABELS.managed]: "true", [LABELS.allocation]: allocationId },
  });
  return list[0] ?? null;
}
