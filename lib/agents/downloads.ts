/**
 * The agent artefacts `/downloads/…` serves, for the one-line installer: a compiled binary per
 * target that a release build (`deno task build:agent`) left in dist/, and always the
 * single-file bundle (`lattice-agent.js`, for `deno run`). Each comes with its SHA-256, computed
 * once per file version (size and modification time) and cached, so `SHA256SUMS` is cheap.
 */
import { z } from "zod";
import { createSHA256 } from "hash-wasm";
import { agentBundle } from "./agent_bundle.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The targets scripts/build_agent.sh compiles, in its order. */
export const AGENT_TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;
export type AgentTarget = (typeof AGENT_TARGETS)[number];

/** The bundle's file name: served always, runs with `deno run` where no binary fits. */
export const BUNDLE_FILE = "lattice-agent.js";

/** A name `/downloads/<file>` accepts: the bundle, a binary, or the checksum list. */
export const DownloadName = z.string().max(100).regex(
  /^lattice-agent(-[a-z0-9_]+(-[a-z0-9_]+)*(\.exe)?|\.js)$|^SHA256SUMS$/,
  "is not a file the server offers: see /downloads/SHA256SUMS",
);

/** The file name a target's binary has in dist/ and under /downloads/. */
export function binaryFile(target: AgentTarget): string {
  return `lattice-agent-${target}${target.includes("windows") ? ".exe" : ""}`;
}

const OS_NAMES: Record<string, "linux" | "darwin" | "windows"> = {
  linux: "linux",
  darwin: "darwin",
  macos: "darwin",
  windows: "windows",
  windows_nt: "windows",
};
const ARCH_NAMES: Record<string, "x86_64" | "aarch64"> = {
  x86_64: "x86_64",
  amd64: "x86_64",
  x64: "x86_64",
  aarch64: "aarch64",
  arm64: "aarch64",
};

/**
 * The build target for an OS and architecture as `uname -s`/`uname -m`, Deno.build or
 * PowerShell name them (Linux/x86_64, Darwin/arm64, windows/AMD64…); null when there is no build
 * (the installer then uses the bundle with Deno). install.sh repeats this table in shell.
 */
export function targetFor(os: string, arch: string): AgentTarget | null {
  const lower = os.toLowerCase();
  const family = OS_NAMES[lower] ??
    (/^(mingw|msys|cygwin)/.test(lower) ? "windows" : undefined);
  const cpu = ARCH_NAMES[arch.toLowerCase()];
  if (!family || !cpu) return null;
  const target = family === "linux"
    ? `${cpu}-unknown-linux-gnu`
    : family === "darwin"
    ? `${cpu}-apple-darwin`
    : `${cpu}-pc-windows-msvc`;
  return (AGENT_TARGETS as readonly string[]).includes(target) ? target as AgentTarget : null;
}

/** One downloadable file. */
export interface Download {
  name: string;
  size: number;
  /** Lower-case hex SHA-256 of the bytes `open()` yields. */
  sha256: string;
  contentType: string;
  /** The bytes: the bundle from memory, a binary streamed from disk. */
  open(): Promise<Uint8Array | ReadableStream<Uint8Array>>;
}

/** `sha256sum`'s format: `<hex>  <name>` per line, in the given order. */
export function sha256sums(downloads: Pick<Download, "name" | "sha256">[]): string {
  return downloads.map((d) => `${d.sha256}  ${d.name}\n`).join("");
}

/** Hex SHA-256 of bytes or a stream, without holding a stream in memory. */
export async function sha256Hex(data: Uint8Array | ReadableStream<Uint8Array>): Promise<string> {
  const hash = await createSHA256();
  hash.init();
  if (data instanceof Uint8Array) hash.update(data);
  else for await (const chunk of data) hash.update(chunk);
  return hash.digest("hex");
}

/** Hashes of binaries by path, valid while the file keeps its size and modification time. */
const binaryHashes = new Map<string, { version: string; sha256: Promise<string> }>();
let bundleHash: { bytes: Uint8Array; sha256: Promise<string> } | null = null;

async function binaryDownload(dir: string, target: AgentTarget): Promise<Download | null> {
  const name = binaryFile(target);
  const path = `${dir}/${name}`;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  if (!info.isFile) return null;
  const version = `${info.size}:${info.mtime?.getTime() ?? 0}`;
  let cached = binaryHashes.get(path);
  if (cached?.version !== version) {
    const sha256 = Deno.open(path).then((f) => sha256Hex(f.readable));
    sha256.catch(() => binaryHashes.delete(path));
    cached = { version, sha256 };
    binaryHashes.set(path, cached);
  }
  return {
    name,
    size: info.size,
    sha256: await cached.sha256,
    contentType: "application/octet-stream",
    open: async () => (await Deno.open(path)).readable,
  };
}

async function bundleDownload(): Promise<Download> {
  const bytes = await agentBundle();
  if (bundleHash?.bytes !== bytes) bundleHash = { bytes, sha256: sha256Hex(bytes) };
  return {
    name: BUNDLE_FILE,
    size: bytes.byteLength,
    sha256: await bundleHash.sha256,
    contentType: "text/javascript; charset=utf-8",
    open: () => Promise.resolve(bytes),
  };
}

/** Every file on offer: the binaries found in `distDir` (default dist/), then the bundle. */
export async function listDownloads(distDir = `${ROOT}dist`): Promise<Download[]> {
  const binaries = await Promise.all(AGENT_TARGETS.map((t) => binaryDownload(distDir, t)));
  return [...binaries.filter((d): d is Download => d !== null), await bundleDownload()];
}

/** The file called `name`, or null when the server does not offer it. */
export async function findDownload(name: string, distDir?: string): Promise<Download | null> {
  return (await listDownloads(distDir)).find((d) => d.name === name) ?? null;
}
