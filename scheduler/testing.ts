/**
 * Builders for tests: a plain node and a plain request with every field filled in, overridable
 * field by field, so each test states only what it is about.
 */
import type { NodeView, PlacementRequest } from "./types.ts";

/** A node that passes every filter for `request()`: approved, online, always available, idle. */
export function node(overrides: Partial<NodeView> = {}): NodeView {
  return {
    id: "n-1",
    name: "node one",
    poolId: "pool-a",
    labels: { region: "eu-west", disk: "ssd" },
    approved: true,
    online: true,
    agentVersion: "1.2.0",
    capacity: { cpuMillicores: 4000, memoryMiB: 8192, diskGiB: 100, gpus: 0 },
    allocated: { cpuMillicores: 0, memoryMiB: 0, diskGiB: 0, gpus: 0 },
    runtimes: ["runc"],
    rank: 500,
    schedule: null,
    workloadsPlaced: [],
    volumesHeld: [],
    ...overrides,
  };
}

/** A small request with no constraints, rules, preferences or volumes. */
export function request(overrides: Partial<PlacementRequest> = {}): PlacementRequest {
  return {
    workloadId: "w-1",
    allocationIndex: 0,
    labels: { app: "web" },
    poolId: null,
    resources: { cpuMillicores: 500, memoryMiB: 512, diskGiB: 1, gpus: 0 },
    minAgentVersion: "",
    constraints: [],
    affinity: [],
    nodePreferences: [],
    antiAffinitySelf: false,
    strategy: "binpack",
    volumes: [],
    ...overrides,
  };
}

/** `count` nodes n-0 … n-(count-1), each built from `overrides(i)`. */
export function nodes(count: number, overrides: (i: number) => Partial<NodeView> = () => ({})) {
  return Array.from(
    { length: count },
    (_, i) => node({ id: `n-${i}`, name: `node ${i}`, ...overrides(i) }),
  );
}
