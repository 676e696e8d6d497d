// Container lifecycle endpoints and exec. Logs, stats and events live in their own modules.

import { DockerError } from "./errors.ts";
import { FrameDemuxer } from "./streams.ts";
import { filtersParam, labelFilter, readChunks, type Transport } from "./transport.ts";
import type {
  ContainerCreateBody,
  ContainerInspect,
  ContainerSummary,
  ExecInspect,
} from "./types.ts";

/** Container ids and names are path segments. */
export function containerPath(id: string, rest = ""): string {
  return `/containers/${encodeURIComponent(id)}${rest}`;
}

/** POST /containers/create: returns the new id and Docker's warnings. */
export async function containerCreate(
  t: Transport,
  name: string | undefined,
  body: ContainerCreateBody,
): Promise<{ id: string; warnings: string[] }> {
  const res = await t.call<{ Id: string; Warnings: string[] | null }>(
    "POST",
    "/containers/create",
    {
      query: { name },
      json: body,
    },
  );
  if (!res?.Id) throw new DockerError("server_error", "Docker created a container but sent no Id");
  return { id: res.Id, warnings: res.Warnings ?? [] };
}

/** POST /containers/{id}/start; already running (304) is fine. */
export async function containerStart(t: Transport, id: string): Promise<void> {
  await t.call("POST", containerPath(id, "/start"), { accept: [304] });
}

/** The request must outlive Docker's own grace period before SIGKILL, or we would time out first. */
function graceTimeoutMs(t: Transport, timeoutSeconds: number | undefined): number {
  return Math.max(t.timeoutMs, ((timeoutSeconds ?? 10) + 10) * 1000);
}

/** POST /containers/{id}/stop; already stopped (304) is fine. */
export async function containerStop(
  t: Transport,
  id: string,
  opts: { timeoutSeconds?: number } = {},
): Promise<void> {
  await t.call("POST", containerPath(id, "/stop"), {
    query: { t: opts.timeoutSeconds },
    accept: [304],
    timeoutMs: graceTimeoutMs(t, opts.timeoutSeconds),
  });
}

/** POST /containers/{id}/restart. */
export async function containerRestart(
  t: Transport,
  id: string,
  opts: { timeoutSeconds?: number } = {},
): Promise<void> {
  await t.call("POST", containerPath(id, "/restart"), {
    query: { t: opts.timeoutSeconds },
    timeoutMs: graceTimeoutMs(t, opts.timeoutSeconds),
  });
}

/** POST /containers/{id}/kill (409 conflict when it is not running). */
export async function containerKill(t: Transport, id: string, signal?: string): Promise<void> {
  await t.call("POST", containerPath(id, "/kill"), { query: { signal } });
}

/** DELETE /containers/{id}. */
export async function containerRemove(
  t: Transport,
  id: string,
  opts: { force?: boolean; volumes?: boolean } = {},
): Promise<void> {
  await t.call("DELETE", containerPath(id), { query: { force: opts.force, v: opts.volumes } });
}

/** GET /containers/{id}/json, or null when there is no such container. */
export function containerInspect(t: Transport, id: string): Promise<ContainerInspect | null> {
  return t.call<ContainerInspect>("GET", containerPath(id, "/json"), { nullOn404: true });
}

/** GET /containers/json with an optional label filter. */
export async function containerList(
  t: Transport,
  opts: { all?: boolean; labels?: Record<string, string | true> } = {},
): Promise<ContainerSummary[]> {
  const filters = filtersParam({ label: labelFilter(opts.labels) });
  const query = { all: opts.all, filters };
  return (await t.call<ContainerSummary[]>("GET", "/containers/json", { query })) ?? [];
}

/** Body of POST /containers/{id}/exec (output is attached unless switched off). */
export interface ExecCreateBody {
  Cmd: string[];
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Env?: string[];
  Tty?: boolean;
  User?: string;
  WorkingDir?: string;
}

/** POST /containers/{id}/exec. */
export async function execCreate(
  t: Transport,
  id: string,
  body: ExecCreateBody,
): Promise<{ id: string }> {
  const json = { AttachStdout: true, AttachStderr: true, ...body };
  const res = await t.call<{ Id: string }>("POST", containerPath(id, "/exec"), { json });
  if (!res?.Id) throw new DockerError("server_error", "Docker created an exec but sent no Id");
  return { id: res.Id };
}

/** GET /exec/{id}/json in Docker's shape. */
export async function execInspectRaw(t: Transport, execId: string): Promise<ExecInspect> {
  const res = await t.call<ExecInspect>("GET", `/exec/${encodeURIComponent(execId)}/json`);
  if (!res) throw new DockerError("server_error", "Docker sent an empty exec inspect answer");
  return res;
}

/**
 * POST /exec/{id}/start and collect the output until the process ends. Docker hijacks the
 * connection and streams frames (or raw bytes with a TTY) until the process exits.
 */
export async function execStart(
  t: Transport,
  execId: string,
  opts: { tty?: boolean; signal?: AbortSignal } = {},
): Promise<{ stdout: string; stderr: string }> {
  const tty = opts.tty ?? (await execInspectRaw(t, execId)).ProcessConfig.tty;
  const res = await t.open("POST", `/exec/${encodeURIComponent(execId)}/start`, {
    json: { Detach: false, Tty: tty },
    signal: opts.signal,
  });
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const out = { stdout: "", stderr: "" };
  const demux = new FrameDemuxer();
  for await (const chunk of readChunks(res, t.target, opts.signal)) {
    if (tty) out.stdout += decoders.stdout.decode(chunk, { stream: true });
    else {
      for (const f of demux.push(chunk)) {
        out[f.stream] += decoders[f.stream].decode(f.bytes, { stream: true });
      }
    }
  }
  opts.signal?.throwIfAborted();
  out.stdout += decoders.stdout.decode();
  out.stderr += decoders.stderr.decode();
  return out;
}

/** GET /exec/{id}/json, simplified. */
export async function execInspect(
  t: Transport,
  execId: string,
): Promise<{ running: boolean; exitCode: number | null }> {
  const res = await execInspectRaw(t, execId);
  return { running: res.Running, exitCode: res.Running ? null : res.ExitCode };
}
