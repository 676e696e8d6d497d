// The Docker Engine client: the only code in Lattice that talks to Docker's API.

export { DEFAULT_TIMEOUT_MS, DockerClient, runtimeNames } from "./client.ts";
export {
  compareApiVersions,
  negotiateApiVersion,
  OUR_MAX_API,
  OUR_MIN_API,
} from "./api_version.ts";
export { DockerDaemonDown, DockerError, type DockerErrorCode, isDockerError } from "./errors.ts";
export type { ExecCreateBody } from "./containers.ts";
export type { PullProgress } from "./images.ts";
export type { LogOptions } from "./logs.ts";
export type { EventOptions } from "./monitor.ts";
export type { VolumeCreateBody } from "./resources.ts";
export { cpuPercent, memoryLimitBytes, memoryUsageBytes, type StatsReading } from "./stats.ts";
export { FrameDemuxer, JsonStreamParser, type LogLine, LogLineDecoder } from "./streams.ts";
export { DEFAULT_SOCKET, resolveDockerTarget } from "./transport.ts";
export type * from "./types.ts";
