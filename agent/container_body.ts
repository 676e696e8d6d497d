/**
 * ContainerSpec → Docker create body (pure). The translation is faithful on purpose: settings the
 * local policy refuses (privileged, host mounts, devices…) are passed through unchanged, so that
 * the policy check on the final body sees them and refuses them by name, instead of this module
 * silently dropping them and running something other than what was asked.
 */
import { type ContainerSpec, LABELS } from "../lib/protocol.ts";
import type { DockerCreateBodyLike } from "./policy.ts";

/** A volume the agent creates before the container that mounts it. */
export interface VolumeToCreate {
  Name: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels: Record<string, string>;
}

/** A mount in the body; `Type` stays a plain string so that unknown types reach the policy. */
export interface ContainerMount {
  Type: string;
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  VolumeOptions?: { DriverConfig: { Name?: string; Options?: Record<string, string> } };
}

/** The create body this module builds: a DockerCreateBodyLike without nulls. */
export interface ContainerBody extends DockerCreateBodyLike {
  Env: string[];
  Labels: Record<string, string>;
  ExposedPorts: Record<string, Record<string, never>>;
  HostConfig: {
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
    RestartPolicy: { Name: ContainerSpec["restart"]; MaximumRetryCount?: number };
    NanoCpus: number;
    Memory: number;
    PidsLimit: number;
    Mounts: ContainerMount[];
    CapDrop: string[];
    SecurityOpt: string[];
    LogConfig: { Type: string; Config: Record<string, string> };
    DeviceRequests?: {
      Driver: string;
      Count?: number;
      DeviceIDs?: string[];
      Capabilities: string[][];
    }[];
    Runtime?: string;
    Privileged?: boolean;
    CapAdd?: string[];
    NetworkMode?: string;
    PidMode?: string;
    IpcMode?: string;
    UTSMode?: string;
    UsernsMode?: string;
    Binds?: string[];
    Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
  };
}

/** What the agent decided for this allocation: identity and the host ports it picked. */
export interface CreateBodyContext {
  nodeId: string;
  allocationId: string;
  workloadId?: string | null;
  /** One host port per `spec.ports` entry, in the same order. */
  hostPorts: number[];
  /** Specific GPUs to hand over; otherwise Docker picks `spec.resources.gpus` of them. */
  gpuDeviceIds?: string[];
}

/** Prefix of every label Lattice owns; a spec's labels may not set these. */
const RESERVED_LABEL_PREFIX = "dev.lattice.";
/** Docker's json-file log rotation, so a chatty container cannot fill the volunteer's disk. */
const LOG_CONFIG = { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } };
/** Docker's "on-failure" gives up after this many restarts. */
const ON_FAILURE_RETRIES = 5;

/**
 * The container name, the Docker create body and the volumes to create first, for one
 * allocation of a spec. Deterministic: the same allocation always gets the same name.
 */
export function buildCreateBody(
  spec: ContainerSpec,
  ctx: CreateBodyContext,
): { name: string; body: ContainerBody; volumes: VolumeToCreate[] } {
  if (ctx.hostPorts.length !== spec.ports.length) {
    throw new Error(
      `Cannot build the container for allocation ${ctx.allocationId}: ${spec.ports.length} ports need ${spec.ports.length} host ports, got ${ctx.hostPorts.length}`,
    );
  }
  const labels = managedLabels(ctx);
  const volumes: VolumeToCreate[] = spec.volumes.map((volume) => ({
    Name: volumeName(volume.name),
    ...(volume.driver !== undefined && { Driver: volume.driver }),
    ...(volume.driverOpts !== undefined && { DriverOpts: volume.driverOpts }),
    Labels: { ...labels },
  }));
  const mounts: ContainerMount[] = spec.volumes.map((volume, i) => ({
    Type: "volume",
    Source: volumes[i].Name,
    Target: volume.target,
    ReadOnly: volume.readOnly,
    ...((volume.driver !== undefined || volume.driverOpts !== undefined) && {
      VolumeOptions: {
        DriverConfig: {
          ...(volume.driver !== undefined && { Name: volume.driver }),
          ...(volume.driverOpts !== undefined && { Options: volume.driverOpts }),
        },
      },
    }),
  }));
  for (const mount of spec.mounts ?? []) {
    const driver = mount.volumeOptions?.driverConfig;
    mounts.push({
      Type: mount.type,
      ...(mount.source !== undefined && { Source: mount.source }),
      Target: mount.target,
      ...(driver !== undefined && {
        VolumeOptions: {
          DriverConfig: {
            ...(driver.name !== undefined && { Name: driver.name }),
            ...(driver.options !== undefined && { Options: driver.options }),
          },
        },
      }),
    });
  }
  const { exposed, bindings } = portSettings(spec, ctx.hostPorts);

  const body: ContainerBody = {
    Image: spec.image,
    ...(spec.command !== undefined && { Cmd: spec.command }),
    ...(spec.entrypoint !== undefined && { Entrypoint: spec.entrypoint }),
    Env: Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`),
    ...(spec.workingDir !== undefined && { WorkingDir: spec.workingDir }),
    ...(spec.user !== undefined && { User: spec.user }),
    Labels: { ...specLabels(spec.labels), ...labels },
    ExposedPorts: exposed,
    HostConfig: {
      PortBindings: bindings,
      RestartPolicy: spec.restart === "on-failure"
        ? { Name: "on-failure", MaximumRetryCount: ON_FAILURE_RETRIES }
        : { Name: spec.restart },
      NanoCpus: Math.round(spec.resources.cpus * 1e9),
      Memory: spec.resources.memoryBytes,
      PidsLimit: spec.resources.pids,
      Mounts: mounts,
      // Raw sockets let a container forge packets on the volunteer's network; few images need them.
      CapDrop: ["NET_RAW"],
      SecurityOpt: ["no-new-privileges:true"],
      LogConfig: LOG_CONFIG,
      ...(spec.resources.gpus > 0 && {
        DeviceRequests: [gpuRequest(spec.resources.gpus, ctx.gpuDeviceIds)],
      }),
      // Passed through for the policy to judge (see the module comment).
      ...(spec.runtime !== undefined && { Runtime: spec.runtime }),
      ...(spec.privileged !== undefined && { Privileged: spec.privileged }),
      ...(spec.capAdd !== undefined && { CapAdd: spec.capAdd }),
      ...(spec.networkMode !== undefined && { NetworkMode: spec.networkMode }),
      ...(spec.pidMode !== undefined && { PidMode: spec.pidMode }),
      ...(spec.ipcMode !== undefined && { IpcMode: spec.ipcMode }),
      ...(spec.utsMode !== undefined && { UTSMode: spec.utsMode }),
      ...(spec.usernsMode !== undefined && { UsernsMode: spec.usernsMode }),
      ...(spec.binds !== undefined && { Binds: spec.binds }),
      ...(spec.devices !== undefined && { Devices: spec.devices.map(parseDevice) }),
    },
  };
  return { name: containerName(ctx.allocationId, spec.image), body, volumes };
}

/** `lattice-<first 8 of the allocation id>-<image base name>`, valid as a Docker name. */
export function containerName(allocationId: string, image: string): string {
  const withoutDigest = image.split("@")[0];
  const lastPart = withoutDigest.slice(withoutDigest.lastIndexOf("/") + 1);
  const base = lastPart.split(":")[0].toLowerCase().replace(/[^a-z0-9_.-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "").slice(0, 40) || "container";
  const prefix = allocationId.slice(0, 8).toLowerCase().replace(/[^a-z0-9]/g, "x");
  return `lattice-${prefix}-${base}`;
}

/** Volume names always start with "lattice-", which the policy requires of mounted volumes. */
export function volumeName(name: string): string {
  return name.startsWith("lattice-") ? name : `lattice-${name}`;
}

function managedLabels(ctx: CreateBodyContext): Record<string, string> {
  return {
    [LABELS.managed]: "true",
    [LABELS.allocation]: ctx.allocationId,
    ...(ctx.workloadId && { [LABELS.workload]: ctx.workloadId }),
    [LABELS.node]: ctx.nodeId,
  };
}

/** The spec's own labels minus Lattice's namespace, so a spec cannot forge ownership. */
function specLabels(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels ?? {}).filter(([key]) => !key.startsWith(RESERVED_LABEL_PREFIX)),
  );
}

function portSettings(spec: ContainerSpec, hostPorts: number[]) {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  spec.ports.forEach((port, i) => {
    const key = `${port.container}/${port.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: port.hostIp, HostPort: String(hostPorts[i]) });
  });
  return { exposed, bindings };
}

function gpuRequest(count: number, deviceIds: string[] | undefined) {
  if (deviceIds !== undefined && deviceIds.length > 0) {
    return { Driver: "nvidia", DeviceIDs: deviceIds, Capabilities: [["gpu"]] };
  }
  return { Driver: "nvidia", Count: count, Capabilities: [["gpu"]] };
}

/** Docker CLI device syntax: `/dev/host[:/dev/container[:permissions]]`. */
function parseDevice(device: string) {
  const [host, container, permissions] = device.split(":");
  return {
    PathOnHost: host,
    PathInContainer: container || host,
    CgroupPermissions: permissions || "rwm",
  };
}
