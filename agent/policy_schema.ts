/**
 * The shapes the local policy works with: the owner's policy file and the Docker create body
 * as far as the policy reads it. See agent/policy.ts.
 */
import { z } from "zod";

/** The owner's policy; every field has a safe default, and unknown keys are refused (typos). */
export const LocalPolicy = z.strictObject({
  /** Publish ports on every interface instead of 127.0.0.1 only. */
  allowPublicPorts: z.boolean().default(false),
  /** Runtimes containers may use; one must also be reported by Docker to be "known". */
  allowedRuntimes: z.array(z.string().min(1).max(100)).max(32).default(["runc"]),
  gpus: z.strictObject({
    offer: z.boolean().default(false),
    maxPerContainer: z.number().int().min(1).max(64).optional(),
  }).default({ offer: false }),
  maxCpusPerContainer: z.number().positive().max(4096).optional(),
  maxMemoryBytesPerContainer: z.number().int().positive().optional(),
  maxPidsPerContainer: z.number().int().positive().default(4096),
  /** Image patterns; `*` matches anything ("postgres:*", "docker.io/library/*"). Absent: any. */
  allowedImages: z.array(z.string().min(1).max(500)).max(1000).optional(),
  deniedImages: z.array(z.string().min(1).max(500)).max(1000).optional(),
});
export type LocalPolicy = z.infer<typeof LocalPolicy>;

/** Why the policy refused something: the rule id and a message for the server and the owner. */
export interface PolicyViolation {
  rule: string;
  message: string;
}

/** A volume mount as Docker's create body spells it. */
export interface DockerMountLike {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  VolumeOptions?: {
    Labels?: Record<string, string>;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
  };
}

/** A device request (GPUs) as Docker's create body spells it. */
export interface DockerDeviceRequestLike {
  Driver?: string;
  Count?: number;
  DeviceIDs?: string[];
  Capabilities?: string[][];
  Options?: Record<string, string>;
}

/** The parts of `HostConfig` the policy reads; other keys must be in the harmless list. */
export interface DockerHostConfigLike {
  Privileged?: boolean;
  CapAdd?: string[] | null;
  Capabilities?: string[] | null;
  NetworkMode?: string;
  PidMode?: string;
  IpcMode?: string;
  UTSMode?: string;
  UsernsMode?: string;
  CgroupnsMode?: string;
  Cgroup?: string;
  CgroupParent?: string;
  Binds?: string[] | null;
  Mounts?: DockerMountLike[] | null;
  VolumesFrom?: string[] | null;
  Links?: string[] | null;
  Devices?: { PathOnHost?: string; PathInContainer?: string; CgroupPermissions?: string }[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: DockerDeviceRequestLike[] | null;
  Runtime?: string;
  PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
  PublishAllPorts?: boolean;
  NanoCpus?: number;
  Memory?: number;
  PidsLimit?: number | null;
  OomKillDisable?: boolean | null;
  OomScoreAdj?: number;
  SecurityOpt?: string[] | null;
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
  Sysctls?: Record<string, string> | null;
  ExtraHosts?: string[] | null;
  [key: string]: unknown;
}

/** The Docker `POST /containers/create` body, as far as the policy needs to know it. */
export interface DockerCreateBodyLike {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env?: string[];
  Labels?: Record<string, string>;
  HostConfig?: DockerHostConfigLike;
  NetworkingConfig?: { EndpointsConfig?: Record<string, unknown> };
  [key: string]: unknown;
}

/** What a check needs to know about the local Docker daemon. */
export interface PolicyContext {
  /** Runtimes `docker info` reports. */
  dockerRuntimes: string[];
  /** The daemon's default runtime, used when the body names none (default "runc"). */
  defaultRuntime?: string;
}
