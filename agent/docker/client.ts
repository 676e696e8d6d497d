// DockerClient: the one object the agent holds to talk to the local Docker Engine. It connects,
// negotiates an API version, and delegates each call to the endpoint modules.

import { negotiateApiVersion } from "./api_version.ts";
import * as containers from "./containers.ts";
import * as images from "./images.ts";
import { containerLogs, type LogOptions } from "./logs.ts";
import * as monitor from "./monitor.ts";
import * as resources from "./resources.ts";
import type { StatsReading } from "./stats.ts";
import type { LogLine } from "./streams.ts";
import { resolveDockerTarget, Transport } from "./transport.ts";
import type {
  ContainerCreateBody,
  ContainerInspect,
  ContainerSummary,
  DockerEvent,
  DockerInfo,
  DockerVersion,
  ImageInspect,
  ImageSummary,
} from "./types.ts";

/** Default timeout of non-streaming requests. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** The names of the container runtimes a daemon offers (runc, nvidia, …). */
export function runtimeNames(info: DockerInfo): string[] {
  return Object.keys(info.Runtimes ?? {}).sort();
}

/** A connection to one Docker Engine. Create with `DockerClient.connect()`; `close()` when done. */
export class DockerClient {
  readonly #t: Transport;
  readonly #baselines = new monitor.StatsBaselines();

  private constructor(t: Transport) {
    this.#t = t;
  }

  /** Connect to Docker (socketPath, dockerHost, $DOCKER_HOST, default socket) and negotiate the API version. */
  static async connect(
    opts: { socketPath?: string; dockerHost?: string; timeoutMs?: number } = {},
  ): Promise<DockerClient> {
    const t = new Transport(resolveDockerTarget(opts), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      const client = new DockerClient(t);
      const { apiVersion } = await client.ping();
      t.apiVersion = negotiateApiVersion(apiVersion ?? "", `Docker at ${t.target.label}`);
      return client;
    } catch (err) {
      t.close();
      throw err;
    }
  }

  /** The negotiated API version, e.g. "1.41"; paths are prefixed with /v{apiVersion}. */
  get apiVersion(): string {
    return this.#t.apiVersion;
  }

  /** The unix socket in use, or null for a tcp:// DOCKER_HOST. */
  get socketPath(): string | null {
    return this.#t.target.socketPath;
  }

  /** GET /_ping: the daemon's maximum API version and OS type. */
  async ping(): Promise<{ apiVersion: string; osType: string | null }> {
    const res = await this.#t.callText("GET", "/_ping", { unversioned: true });
    return {
      apiVersion: res?.headers.get("api-version") ?? "",
      osType: res?.headers.get("ostype") ?? null,
    };
  }

  /** GET /version. */
  async version(): Promise<DockerVersion> {
    return (await this.#t.call<DockerVersion>("GET", "/version"))!;
  }

  /** GET /info. */
  async info(): Promise<DockerInfo> {
    return (await this.#t.call<DockerInfo>("GET", "/info"))!;
  }

  /** Inspect an image; null when it is not present locally. */
  imageInspect(ref: string): Promise<ImageInspect | null> {
    return images.imageInspect(this.#t, ref);
  }

  /** List local images, optionally by label. */
  imageList(opts?: { labels?: Record<string, string> }): Promise<ImageSummary[]> {
    return images.imageList(this.#t, opts);
  }

  /** Remove an image (force: even if stopped containers still use it). */
  imageRemove(ref: string, opts?: { force?: boolean }): Promise<void> {
    return images.imageRemove(this.#t, ref, opts);
  }

  /** Pull an image; errors reported inside the progress stream throw (code pull_failed). */
  imagePull(
    ref: string,
    opts?: { onProgress?: (p: images.PullProgress) => void; signal?: AbortSignal },
  ): Promise<void> {
    return images.imagePull(this.#t, ref, opts);
  }

  /** Import a root filesystem tarball as image repo:tag, with Dockerfile-style `changes`. */
  imageImport(
    tar: ReadableStream<Uint8Array> | Uint8Array,
    opts: { repo: string; tag: string; changes?: string[]; signal?: AbortSignal },
  ): Promise<void> {
    return images.imageImport(this.#t, tar, opts);
  }

  /** Create a container (name optional). */
  containerCreate(
    name: string | undefined,
    body: ContainerCreateBody,
  ): Promise<{ id: string; warnings: string[] }> {
    return containers.containerCreate(this.#t, name, body);
  }

  /** Start a container; already running is fine. */
  containerStart(id: string): Promise<void> {
    return containers.containerStart(this.#t, id);
  }

  /** Stop a container (SIGTERM, then SIGKILL after timeoutSeconds); already stopped is fine. */
  containerStop(id: string, opts?: { timeoutSeconds?: number }): Promise<void> {
    return containers.containerStop(this.#t, id, opts);
  }

  /** Restart a container. */
  containerRestart(id: string, opts?: { timeoutSeconds?: number }): Promise<void> {
    return containers.containerRestart(this.#t, id, opts);
  }

  /** Send a signal (default SIGKILL) to a running container. */
  containerKill(id: string, signal?: string): Promise<void> {
    return containers.containerKill(this.#t, id, signal);
  }

  /** Remove a container (force: even if running; volumes: its anonymous volumes too). */
  async containerRemove(id: string, opts?: { force?: boolean; volumes?: boolean }): Promise<void> {
    await containers.containerRemove(this.#t, id, opts);
    this.#baselines.forget(id);
  }

  /** Inspect a container; null when there is none. */
  containerInspect(id: string): Promise<ContainerInspect | null> {
    return containers.containerInspect(this.#t, id);
  }

  /** List containers (running only unless all), optionally by label (`true` = key only). */
  containerList(
    opts?: { all?: boolean; labels?: Record<string, string | true> },
  ): Promise<ContainerSummary[]> {
    return containers.containerList(this.#t, opts);
  }

  /** A container's output, one line per item, stdout and stderr kept apart. */
  containerLogs(id: string, opts: LogOptions = {}): AsyncIterable<LogLine> {
    return containerLogs(this.#t, id, opts);
  }

  /** One stats sample with cpuPercent against this client's previous sample (null the first time). */
  containerStats(id: string): Promise<StatsReading> {
    return monitor.containerStats(this.#t, this.#baselines, id);
  }

  /** Stats about once a second, each with cpuPercent, memoryBytes and memoryLimitBytes. */
  containerStatsStream(
    id: string,
    opts?: { signal?: AbortSignal },
  ): AsyncIterable<StatsReading & { cpuPercent: number }> {
    return monitor.containerStatsStream(this.#t, this.#baselines, id, opts);
  }

  /** Docker's event stream, filtered; throws DockerDaemonDown if the daemon goes away. */
  events(opts: monitor.EventOptions = {}): AsyncIterable<DockerEvent> {
    return monitor.events(this.#t, opts);
  }

  /** Create an exec in a running container (stdout and stderr attached by default). */
  execCreate(id: string, body: containers.ExecCreateBody): Promise<{ id: string }> {
    return containers.execCreate(this.#t, id, body);
  }

  /** Run an exec to completion and return its output. */
  execStart(
    execId: string,
    opts?: { tty?: boolean; signal?: AbortSignal },
  ): Promise<{ stdout: string; stderr: string }> {
    return containers.execStart(this.#t, execId, opts);
  }

  /** Whether an exec is still running, and its exit code once it is not. */
  execInspect(execId: string): Promise<{ running: boolean; exitCode: number | null }> {
    return containers.execInspect(this.#t, execId);
  }

  /** Create a named volume. */
  volumeCreate(body: resources.VolumeCreateBody): Promise<{ name: string }> {
    return resources.volumeCreate(this.#t, body);
  }

  /** Remove a volume. */
  volumeRemove(name: string, opts?: { force?: boolean }): Promise<void> {
    return resources.volumeRemove(this.#t, name, opts);
  }

  /** List volumes, optionally by label. */
  volumeList(
    opts?: { labels?: Record<string, string | true> },
  ): Promise<{ name: string; labels: Record<string, string> }[]> {
    return resources.volumeList(this.#t, opts);
  }

  /** List networks, optionally by label. */
  networkList(
    opts?: { labels?: Record<string, string | true> },
  ): Promise<{ id: string; name: string }[]> {
    return resources.networkList(this.#t, opts);
  }

  /** Remove a network. */
  networkRemove(id: string): Promise<void> {
    return resources.networkRemove(this.#t, id);
  }

  /** Close the HTTP client. Streams still open are cut off. */
  close(): void {
    this.#t.close();
  }

  /** `using docker = await DockerClient.connect()` closes it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }
}
