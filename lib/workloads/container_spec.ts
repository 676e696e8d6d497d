/**
 * An expanded workload → the `ContainerSpec` of one allocation's deploy command
 * (lib/protocol.ts). Always sets CPU, memory and process limits and binds published ports to
 * 127.0.0.1 (DESIGN §6); the agent adds Lattice's own labels and picks the host ports.
 */
import { ContainerSpec, type ContainerSpecInput } from "../protocol.ts";
import type { WorkloadSpec, WorkloadVolume } from "./spec.ts";
import type { ExpandedWorkload } from "./templates.ts";
import { TEMPLATES } from "./template_catalog.ts";

/** Which allocation the container is for, and how its volumes are named on the node. */
export interface ContainerSpecContext {
  workloadId: string;
  allocationId: string;
  /** Docker volume name of a workload volume; defaults to `defaultVolumeName`. */
  volumeNames?: (volume: WorkloadVolume) => string;
}

/** Published ports listen on the node's loopback unless a pool allows more (DESIGN §6). */
const HOST_IP = "127.0.0.1";

/** The container one allocation of `spec` runs, as the deploy command carries it. */
export function toContainerSpec(
  expanded: ExpandedWorkload,
  spec: WorkloadSpec,
  ctx: ContainerSpecContext,
): ContainerSpec {
  const volumeName = ctx.volumeNames ?? ((v: WorkloadVolume) => defaultVolumeName(ctx, v));
  return ContainerSpec.parse(
    {
      image: expanded.image,
      ...(expanded.command && { command: expanded.command }),
      env: expanded.env,
      ports: expanded.ports.map((p) => ({
        container: p.container,
        protocol: p.protocol,
        hostIp: HOST_IP,
      })),
      volumes: expanded.volumes.map((v) => ({ name: volumeName(v), target: v.mountPath })),
      resources: {
        cpus: spec.resources.cpuMillicores / 1000,
        memoryBytes: spec.resources.memoryMiB * 2 ** 20,
        pids: TEMPLATES[spec.template].pids,
        gpus: spec.resources.gpus,
      },
      restart: spec.restart,
      ...(Object.keys(spec.labels).length > 0 && { labels: spec.labels }),
    } satisfies ContainerSpecInput,
  );
}

/**
 * `lattice-<first 8 of the workload id>-<volume>` for stateful volumes, so two workloads that
 * both ask for `data` never share one, and a replacement allocation finds the data again.
 * Stateless volumes use the allocation id instead: each allocation starts from empty.
 */
export function defaultVolumeName(
  ids: { workloadId: string; allocationId: string },
  volume: Pick<WorkloadVolume, "name" | "stateful">,
): string {
  const owner = volume.stateful ? ids.workloadId : ids.allocationId;
  const prefix = owner.slice(0, 8).toLowerCase().replace(/[^a-z0-9]/g, "x");
  return `lattice-${prefix}-${volume.name}`;
}
