/**
 * What a placement does to the scheduler's copy of a node: its allocated resources grow by the
 * request and the workload joins its placed workloads (for affinity). Planners apply this after
 * each pick so that a batch never overcommits a node.
 */
import type { NodeView, PlacementRequest } from "./types.ts";

/** The node with the allocation added, as a new object (the input is left untouched). */
export function withAllocation(node: NodeView, req: PlacementRequest): NodeView {
  const { allocated } = node;
  const { resources } = req;
  const present = node.workloadsPlaced.some((placed) => placed.workloadId === req.workloadId);
  return {
    ...node,
    allocated: {
      cpuMillicores: allocated.cpuMillicores + resources.cpuMillicores,
      memoryMiB: allocated.memoryMiB + resources.memoryMiB,
      diskGiB: allocated.diskGiB + resources.diskGiB,
      gpus: allocated.gpus + resources.gpus,
    },
    workloadsPlaced: present
      ? node.workloadsPlaced
      : [...node.workloadsPlaced, { workloadId: req.workloadId, labels: req.labels }],
  };
}
