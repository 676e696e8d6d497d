// Image endpoints: inspect, list, pull (a JSON progress stream) and import from a tarball.

import { DockerError, isDockerError } from "./errors.ts";
import { JsonStreamParser } from "./streams.ts";
import { filtersParam, readChunks, type Transport } from "./transport.ts";
import type { ImageInspect, ImageSummary, ProgressMessage } from "./types.ts";

/** One step of a pull, simplified from Docker's progress messages. */
export interface PullProgress {
  status: string;
  /** The layer id the message is about, when it is about one. */
  id?: string;
  /** Fraction done (0–1) of the layer's download or extraction, when Docker says. */
  progress?: number;
}

const REF = /^[A-Za-z0-9][A-Za-z0-9._\/:@+-]*$/;

/** Image references go into URL paths unescaped (Docker routes `/images/{name:.*}`), so check them. */
export function checkImageRef(ref: string): string {
  if (!REF.test(ref) || ref.includes("..")) {
    throw new DockerError("bad_request", `Invalid image reference ${JSON.stringify(ref)}`, null);
  }
  return ref;
}

/** Split `repo[:tag][@digest]` into the fromImage/tag pair /images/create wants (tag defaults to latest). */
export function splitImageRef(ref: string): { repo: string; tag: string } {
  const at = ref.indexOf("@");
  if (at >= 0) return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(":");
  if (colon > ref.lastIndexOf("/")) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: "latest" };
}

/** GET /images/{ref}/json, or null when there is no such image. */
export async function imageInspect(t: Transport, ref: string): Promise<ImageInspect | null> {
  return await t.call<ImageInspect>("GET", `/images/${checkImageRef(ref)}/json`, {
    nullOn404: true,
  });
}

/** GET /images/json, optionally filtered by labels. */
export async function imageList(
  t: Transport,
  opts: { labels?: Record<string, string> } = {},
): Promise<ImageSummary[]> {
  const label = Object.entries(opts.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  const filters = filtersParam({ label });
  return (await t.call<ImageSummary[]>("GET", "/images/json", { query: { filters } })) ?? [];
}

/** DELETE /images/{ref}: untag and remove an image (force: even if containers use it). */
export async function imageRemove(
  t: Transport,
  ref: string,
  opts: { force?: boolean } = {},
): Promise<void> {
  await t.call("DELETE", `/images/${checkImageRef(ref)}`, { query: { force: opts.force } });
}

/** POST /images/create?fromImage=…: pull and wait for the progress stream to finish. */
export async function imagePull(
  t: Transport,
  ref: string,
  opts: { onProgress?: (p: PullProgress) => void; signal?: AbortSignal } = {},
): Promise<void> {
  const { repo, tag } = splitImageRef(checkImageRef(ref));
  let res: Response;
  try {
    res = await t.open("POST", "/images/create", {
      query: { fromImage: repo, tag },
      signal: opts.signal,
    });
  } catch (err) {
    // Registry trouble (DNS, TLS, auth, timeouts) reaches us as a 500 before streaming starts.
    if (isDockerError(err) && err.code === "server_error") {
      throw new DockerError("pull_failed", err.message, err.status, { cause: err });
    }
    throw err;
  }
  await consumeProgress(res, t, "pull_failed", opts.signal, opts.onProgress);
}

/** POST /images/create?fromSrc=-: create an image from a root filesystem tarball. */
export async function imageImport(
  t: Transport,
  tar: ReadableStream<Uint8Array> | Uint8Array,
  opts: { repo: string; tag: string; changes?: string[]; signal?: AbortSignal },
): Promise<void> {
  checkImageRef(`${opts.repo}:${opts.tag}`);
  const res = await t.open("POST", "/images/create", {
    query: { fromSrc: "-", repo: opts.repo, tag: opts.tag, changes: opts.changes },
    body: tar,
    signal: opts.signal,
  });
  await consumeProgress(res, t, "server_error", opts.signal);
}

/**
 * Read a progress stream to its end. Docker reports failures that happen after the 200 as an
 * `error`/`errorDetail` message inside the stream, so every message is checked.
 */
async function consumeProgress(
  res: Response,
  t: Transport,
  code: "pull_failed" | "server_error",
  signal: AbortSignal | undefined,
  onProgress?: (p: PullProgress) => void,
): Promise<void> {
  const parser = new JsonStreamParser<ProgressMessage>();
  for await (const chunk of readChunks(res, t.target, signal)) {
    for (const msg of parser.push(chunk)) {
      if (msg.errorDetail || msg.error) {
        throw new DockerError(code, msg.errorDetail?.message || msg.error || "unknown error", null);
      }
      onProgress?.(simplify(msg));
    }
  }
  signal?.throwIfAborted();
  if (parser.pending) {
    throw new DockerError(
      code,
      `Docker at ${t.target.label} ended the progress stream mid-message`,
    );
  }
}

function simplify(msg: ProgressMessage): PullProgress {
  const out: PullProgress = { status: msg.status ?? "" };
  if (msg.id) out.id = msg.id;
  const detail = msg.progressDetail;
  if (detail?.total && detail.total > 0 && detail.current !== undefined) {
    out.progress = Math.min(1, Math.max(0, detail.current / detail.total));
  }
  return out;
}
