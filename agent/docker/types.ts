// The subset of Docker Engine API JSON (v1.41 semantics) this client reads and writes. These
// are Docker's shapes, named and cased as Docker names them, not Lattice's own types.

/** GET /version. */
export interface DockerVersion {
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  GitCommit?: string;
  GoVersion?: string;
}

/** GET /info (the fields Lattice reads; Docker sends many more). */
export interface DockerInfo {
  ID: string;
  Name: string;
  ServerVersion: string;
  OperatingSystem: string;
  OSType: string;
  Architecture: string;
  KernelVersion: string;
  NCPU: number;
  MemTotal: number;
  DockerRootDir: string;
  Driver: string;
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  /** Runtime name → settings; the names are the keys (see `runtimeNames`). */
  Runtimes: Record<string, { path?: string; runtimeArgs?: string[] }>;
  DefaultRuntime: string;
  CgroupDriver?: string;
  CgroupVersion?: string;
  Labels?: string[];
}

/** GET /images/{name}/json. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: string;
  Size: number;
  Architecture: string;
  Os: string;
  Config: {
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    Env?: string[] | null;
    ExposedPorts?: Record<string, unknown> | null;
    Labels?: Record<string, string> | null;
    WorkingDir?: string;
    User?: string;
  } | null;
}

/** An entry of GET /images/json. */
export interface ImageSummary {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  Labels: Record<string, string> | null;
}

/** One element of HostConfig.PortBindings["8080/tcp"]. HostPort is a string in Docker's API. */
export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

/** HostConfig.Mounts entry. `Type` admits any string so callers can pass unvetted input on. */
export interface MountSpec {
  Type: "bind" | "volume" | "tmpfs" | "npipe" | (string & Record<never, never>);
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string>;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
  };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** The HostConfig part of a create body. */
export interface HostConfig {
  PortBindings?: Record<string, PortBinding[]>;
  PublishAllPorts?: boolean;
  RestartPolicy?: {
    Name: "" | "no" | "always" | "unless-stopped" | "on-failure";
    MaximumRetryCount?: number;
  };
  NanoCpus?: number;
  CpuShares?: number;
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  PidsLimit?: number;
  Binds?: string[];
  Mounts?: MountSpec[];
  Tmpfs?: Record<string, string>;
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  CapAdd?: string[];
  CapDrop?: string[];
  SecurityOpt?: string[];
  NetworkMode?: string;
  PidMode?: string;
  IpcMode?: string;
  UTSMode?: string;
  UsernsMode?: string;
  Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions?: string }[];
  DeviceRequests?: {
    Driver?: string;
    Count?: number;
    DeviceIDs?: string[];
    Capabilities?: string[][];
    Options?: Record<string, string>;
  }[];
  Runtime?: string;
  LogConfig?: { Type: string; Config?: Record<string, string> };
  ExtraHosts?: string[];
  Dns?: string[];
  ShmSize?: number;
  Init?: boolean;
  AutoRemove?: boolean;
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
  Sysctls?: Record<string, string>;
}

/** POST /containers/create body. */
export interface ContainerCreateBody {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env?: string[];
  Labels?: Record<string, string>;
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StopSignal?: string;
  StopTimeout?: number;
  Healthcheck?: {
    Test?: string[];
    Interval?: number;
    Timeout?: number;
    Retries?: number;
    StartPeriod?: number;
  };
  HostConfig?: HostConfig;
  NetworkingConfig?: {
    EndpointsConfig?: Record<string, { Aliases?: string[] }>;
  };
}

/** GET /containers/{id}/json (the fields Lattice reads). */
export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Image: string;
  RestartCount: number;
  State: {
    Status: "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";
    Running: boolean;
    Paused: boolean;
    Restarting: boolean;
    OOMKilled: boolean;
    Dead: boolean;
    Pid: number;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
    Health?: { Status: string; FailingStreak: number };
  };
  Config: {
    Image: string;
    Cmd: string[] | null;
    Entrypoint: string[] | null;
    Env: string[] | null;
    Labels: Record<string, string> | null;
    Tty: boolean;
    WorkingDir: string;
    User: string;
  };
  HostConfig: HostConfig;
  NetworkSettings: {
    Ports: Record<string, PortBinding[] | null> | null;
    Networks: Record<string, { IPAddress: string; NetworkID: string }> | null;
  };
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
}

/** An entry of GET /containers/json. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Labels: Record<string, string> | null;
  Ports: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];
}

/** CPU counters of a stats sample (nanoseconds). */
export interface CpuStats {
  cpu_usage: {
    total_usage: number;
    percpu_usage?: number[] | null;
    usage_in_kernelmode?: number;
    usage_in_usermode?: number;
  };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data?: { periods: number; throttled_periods: number; throttled_time: number };
}

/** One sample of GET /containers/{id}/stats. */
export interface StatsSample {
  read: string;
  preread: string;
  id?: string;
  name?: string;
  pids_stats?: { current?: number; limit?: number };
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: {
    usage?: number;
    max_usage?: number;
    limit?: number;
    /** cgroup v1 has `cache` and `total_inactive_file`; cgroup v2 has `inactive_file`. */
    stats?: Record<string, number>;
  };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
  blkio_stats?: {
    io_service_bytes_recursive?:
      | { major: number; minor: number; op: string; value: number }[]
      | null;
  };
}

/** One message of GET /events. */
export interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope?: string;
  time: number;
  timeNano: number;
  /** Deprecated duplicates of Action / Actor.ID / image kept by Docker 20.10. */
  status?: string;
  id?: string;
  from?: string;
}

/** GET /exec/{id}/json. */
export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ContainerID: string;
  Pid: number;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[] };
}

/** An entry of GET /volumes. */
export interface VolumeSummary {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Labels: Record<string, string> | null;
  Scope: string;
  CreatedAt?: string;
  Options?: Record<string, string> | null;
}

/** An entry of GET /networks. */
export interface NetworkSummary {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Labels: Record<string, string> | null;
}

/** One message of a pull or import progress stream. */
export interface ProgressMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { code?: number; message?: string };
}
