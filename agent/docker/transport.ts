// HTTP to the Docker Engine: where it lives (DOCKER_HOST), one request helper with a timeout,
// and an incremental body reader for streaming endpoints. Everything else builds on these.

import { DockerError, errorFromFetchFailure, errorFromResponse } from "./errors.ts";

/** Where Docker listens and how to name it in messages. */
export interface DockerTarget {
  /** The unix socket, or null for tcp:// hosts. */
  socketPath: string | null;
  /** Base URL requests go to: `http://docker` for sockets (the host is ignored there). */
  baseUrl: string;
  /** What to call it in error messages: the socket path or the DOCKER_HOST value. */
  label: string;
}

/** The default socket on Linux. */
export const DEFAULT_SOCKET = "/var/run/docker.sock";

/** Work out where Docker is: explicit socket, then `dockerHost`, then $DOCKER_HOST, then default. */
export function resolveDockerTarget(
  opts: { socketPath?: string; dockerHost?: string } = {},
  envDockerHost: string | undefined = readDockerHostEnv(),
): DockerTarget {
  if (opts.socketPath) return unixTarget(opts.socketPath);
  const host = opts.dockerHost || envDockerHost;
  if (!host) return unixTarget(DEFAULT_SOCKET);
  if (host.startsWith("unix://")) return unixTarget(host.slice("unix://".length));
  if (host.startsWith("/")) return unixTarget(host);
  const tcp = /^(?:tcp|http):\/\/([^/:]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(host);
  if (tcp) {
    return { socketPath: null, baseUrl: `http://${tcp[1]}:${tcp[2] ?? "2375"}`, label: host };
  }
  throw new DockerError(
    "unsupported_host",
    `Cannot use DOCKER_HOST=${host}: only unix:///path/to/docker.sock and tcp://host:port ` +
      "(plain HTTP) are supported. Point DOCKER_HOST at a local socket or unset it.",
  );
}

function unixTarget(path: string): DockerTarget {
  return { socketPath: path, baseUrl: "http://docker", label: path };
}

function readDockerHostEnv(): string | undefined {
  try {
    return Deno.env.get("DOCKER_HOST");
  } catch (err) {
    // Without --allow-env we cannot see DOCKER_HOST; the default socket is the right guess.
    if (err instanceof Deno.errors.NotCapable) return undefined;
    throw err;
  }
}

/** Query parameters; arrays repeat the key, undefined is left out, booleans become 1/0. */
export type Query = Record<string, string | number | boolean | string[] | undefined>;

/** Options of one request. */
export interface RequestOptions {
  query?: Query;
  /** A JSON body (serialised) or raw bytes/stream (sent as application/x-tar). */
  json?: unknown;
  body?: Uint8Array | ReadableStream<Uint8Array>;
  /** Statuses besides 2xx that are not errors (e.g. 304 "already started"). */
  accept?: number[];
  /** Send without the /v1.xx prefix (only /_ping during negotiation). */
  unversioned?: boolean;
  signal?: AbortSignal;
}

/** Options of a request whose whole answer is read within a timeout. */
export interface CallOptions extends RequestOptions {
  nullOn404?: boolean;
  timeoutMs?: number;
}

/** A Docker HTTP connection: a Deno HttpClient over the socket, or plain fetch for tcp. */
export class Transport {
  readonly target: DockerTarget;
  readonly timeoutMs: number;
  apiVersion = "";
  readonly #client: Deno.HttpClient | null;

  constructor(target: DockerTarget, timeoutMs: number) {
    this.target = target;
    this.timeoutMs = timeoutMs;
    this.#client = target.socketPath === null
      ? null
      : Deno.createHttpClient({ proxy: { transport: "unix", path: target.socketPath } });
  }

  /**
   * Send a request and read the whole answer within the timeout. Returns the parsed JSON (or
   * null for an empty body); 404 becomes null when `nullOn404` is set.
   */
  async call<T>(method: string, path: string, opts: CallOptions = {}): Promise<T | null> {
    const res = await this.callText(method, path, opts);
    if (res === null || res.text.trim() === "") return null;
    try {
      return JSON.parse(res.text) as T;
    } catch {
      throw new DockerError(
        "server_error",
        `Docker at ${this.target.label} sent invalid JSON for ${method} ${path}: ` +
          JSON.stringify(res.text.slice(0, 200)),
        res.status,
      );
    }
  }

  /** Like `call`, but returns the status, headers and body text without parsing. */
  async callText(
    method: string,
    path: string,
    opts: CallOptions = {},
  ): Promise<{ status: number; headers: Headers; text: string } | null> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const timer = new AbortController();
    const handle = setTimeout(() => timer.abort(), timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timer.signal]) : timer.signal;
    try {
      const accept = opts.nullOn404 ? [...(opts.accept ?? []), 404] : opts.accept;
      const res = await this.open(method, path, { ...opts, accept, signal });
      if (res.status === 404 && opts.nullOn404) {
        await res.body?.cancel();
        return null;
      }
      let text: string;
      try {
        text = await res.text();
      } catch (err) {
        if (signal.aborted) throw err;
        throw errorFromFetchFailure(err, this.target.label);
      }
      return { status: res.status, headers: res.headers, text };
    } catch (err) {
      if (timer.signal.aborted && !opts.signal?.aborted) {
        throw new DockerError(
          "timeout",
          `Docker at ${this.target.label} did not answer ${method} ${path} within ` +
            `${timeoutMs} ms. It may be overloaded or hung: check \`docker info\` and its logs.`,
          null,
          { cause: err },
        );
      }
      throw err;
    } finally {
      clearTimeout(handle);
    }
  }

  /** Send a request and return the response with its body unread (the caller must consume or cancel it). */
  async open(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = this.#url(path, opts);
    const headers: Record<string, string> = {};
    let body: BodyInit | undefined;
    if (opts.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.body !== undefined) {
      headers["content-type"] = "application/x-tar";
      body = opts.body as BodyInit;
    }
    let res: Response;
    try {
      const init: Record<string, unknown> = { method, headers, body, signal: opts.signal };
      if (this.#client) init.client = this.#client;
      res = await fetch(url, init as RequestInit);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      if (err instanceof Deno.errors.NotCapable) throw err;
      throw errorFromFetchFailure(err, this.target.label);
    }
    if (res.ok || opts.accept?.includes(res.status)) return res;
    throw await errorFromResponse(res, `${method} ${path}`);
  }

  /**
   * Open a streaming response; null when the caller's signal aborted before it arrived, so
   * iterables can end quietly on abort whenever it happens.
   */
  async openStream(method: string, path: string, opts: RequestOptions): Promise<Response | null> {
    if (opts.signal?.aborted) return null;
    try {
      return await this.open(method, path, opts);
    } catch (err) {
      if (opts.signal?.aborted) return null;
      throw err;
    }
  }

  /** Close the HTTP client (and its pooled connections). */
  close(): void {
    this.#client?.close();
  }

  #url(path: string, opts: RequestOptions): string {
    const prefix = opts.unversioned ? "" : `/v${this.apiVersion}`;
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(opts.query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) { for (const v of value) params.append(key, v); }
      else if (typeof value === "boolean") params.append(key, value ? "1" : "0");
      else params.append(key, String(value));
    }
    const qs = params.toString();
    return `${this.target.baseUrl}${prefix}${path}${qs ? `?${qs}` : ""}`;
  }
}

/**
 * Read a response body chunk by chunk. Ends quietly when `signal` aborts; a broken connection
 * becomes a DockerError (daemon_down). The body is cancelled whenever the consumer stops early.
 */
export async function* readChunks(
  res: Response,
  target: DockerTarget,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array, void, undefined> {
  if (!res.body) return;
  const reader = res.body.getReader();
  const onAbort = () => reader.cancel().catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    while (!signal?.aborted) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (err) {
        if (signal?.aborted) return;
        throw errorFromFetchFailure(err, target.label);
      }
      if (step.done) return;
      yield step.value;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** Turn a label map into Docker's `label` filter values: `k=v`, or `k` for `true`. */
export function labelFilter(labels: Record<string, string | true> | undefined): string[] {
  return Object.entries(labels ?? {}).map(([k, v]) => (v === true ? k : `${k}=${v}`));
}

/** Encode Docker's `filters` query parameter, or undefined when there is nothing to filter. */
export function filtersParam(filters: Record<string, string[] | undefined>): string | undefined {
  const present = Object.fromEntries(
    Object.entries(filters).filter(([, v]) => v !== undefined && v.length > 0),
  );
  return Object.keys(present).length === 0 ? undefined : JSON.stringify(present);
}
