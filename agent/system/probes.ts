/**
 * What this machine offers (for `hello` capabilities): CPU, memory, OS, disk and GPUs. Linux
 * first; elsewhere the probes fall back to what Deno itself knows and to zeros, never failing,
 * so that a volunteer on macOS or Windows still connects. Parsers are pure and exported for tests.
 */
import type { Capabilities, GpuInfo } from "../../lib/protocol.ts";
import { type RunCommand, runCommand } from "./command.ts";

/** Reads a text file; injected so tests can hand in fixtures. */
export type ReadTextFile = (path: string) => Promise<string>;
/** Hears about a probe that failed and fell back, so it can be logged once with context. */
export type ProbeErrorHandler = (probe: string, error: unknown) => void;

type HostInfo = Pick<Capabilities, "cpu" | "memoryBytes" | "os" | "arch" | "kernel">;

const ignore: ProbeErrorHandler = () => {};

/** CPU, memory, OS, architecture and kernel of this machine. */
export async function probeHost(
  readFile: ReadTextFile = Deno.readTextFile,
  onError: ProbeErrorHandler = ignore,
): Promise<HostInfo> {
  const read = (path: string) => readFile(path).catch(() => "");
  const [cpuinfo, osRelease] = await Promise.all([read("/proc/cpuinfo"), read("/etc/os-release")]);
  const cores = Math.max(1, Math.min(4096, navigator.hardwareConcurrency || 1));
  return {
    cpu: { cores, model: clip(parseCpuModel(cpuinfo) ?? "unknown", 200) },
    memoryBytes: attempt("memory", () => Deno.systemMemoryInfo().total, 0, onError),
    os: clip(parseOsRelease(osRelease) ?? Deno.build.os, 100),
    arch: clip(Deno.build.arch, 50),
    kernel: clip(attempt("kernel", () => Deno.osRelease(), "unknown", onError), 200),
  };
}

/** The CPU model from /proc/cpuinfo ("model name" on x86, "Model"/"Hardware" on ARM boards). */
export function parseCpuModel(cpuinfo: string): string | null {
  for (const key of ["model name", "Model", "Hardware", "Processor", "cpu model"]) {
    const match = cpuinfo.match(new RegExp(`^${key}\\s*:\\s*(.+)$`, "m"));
    if (match && match[1].trim()) return match[1].trim().replace(/\s+/g, " ");
  }
  return null;
}

/** PRETTY_NAME from /etc/os-release, unquoted, or null. */
export function parseOsRelease(text: string): string | null {
  const match = text.match(/^PRETTY_NAME=(.*)$/m);
  if (!match) return null;
  const value = match[1].trim().replace(/^(["'])(.*)\1$/, "$2").replace(/\\(.)/g, "$1");
  return value || null;
}

/** Size and free space of the file system holding `path`; zeros when it cannot be measured. */
export async function probeDisk(
  path: string,
  run: RunCommand = runCommand,
  onError: ProbeErrorHandler = ignore,
): Promise<Capabilities["disk"]> {
  // GNU df first (exact bytes); POSIX `df -Pk` for macOS and BusyBox.
  for (
    const [args, parse] of [[["-B1", "--output=size,avail", path], parseDfBytes], [
      ["-Pk", path],
      parseDfPosix,
    ]] as const
  ) {
    try {
      const output = await run("df", [...args]);
      const parsed = output.success ? parse(output.stdout) : null;
      if (parsed) return { path: clip(path, 500), ...parsed };
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) break;
      onError("disk", error);
    }
  }
  return { path: clip(path, 500), totalBytes: 0, freeBytes: 0 };
}

/** Output of `df -B1 --output=size,avail PATH`: a header, then "SIZE AVAIL". */
export function parseDfBytes(stdout: string): { totalBytes: number; freeBytes: number } | null {
  const last = stdout.trim().split("\n").at(-1) ?? "";
  const match = last.trim().match(/^(\d+)\s+(\d+)$/);
  return match ? { totalBytes: Number(match[1]), freeBytes: Number(match[2]) } : null;
}

/** Output of `df -Pk PATH`: "FS 1024-blocks Used Available Capacity% Mount", in KiB. */
export function parseDfPosix(stdout: string): { totalBytes: number; freeBytes: number } | null {
  const last = stdout.trim().split("\n").at(-1) ?? "";
  // Matched from the numbers, since the file system name and the mount point may hold spaces.
  const match = last.match(/\s(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s/);
  return match ? { totalBytes: Number(match[1]) * 1024, freeBytes: Number(match[3]) * 1024 } : null;
}

/** NVIDIA GPUs from nvidia-smi; none when it is not installed or the driver does not answer. */
export async function probeGpus(
  run: RunCommand = runCommand,
  onError: ProbeErrorHandler = ignore,
): Promise<GpuInfo[]> {
  try {
    const output = await run("nvidia-smi", [
      "--query-gpu=index,name,memory.total",
      "--format=csv,noheader,nounits",
    ]);
    if (!output.success) {
      throw new Error(
        `nvidia-smi exited with ${output.code}: ${output.stderr.trim() || output.stdout.trim()}`,
      );
    }
    return parseNvidiaSmi(output.stdout);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) onError("gpus", error);
    return [];
  }
}

/** Lines of "index, name, memory MiB" from nvidia-smi's CSV output. */
export function parseNvidiaSmi(stdout: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of stdout.split("\n")) {
    const fields = line.split(",").map((field) => field.trim());
    if (fields.length < 3) continue;
    const index = Number(fields[0]);
    // A name may itself hold commas; it is everything between the first and the last field.
    const model = fields.slice(1, -1).join(", ");
    const mib = Number(fields.at(-1));
    if (!Number.isInteger(index) || index < 0 || index > 255) continue;
    gpus.push({
      index,
      model: clip(model, 200),
      memoryBytes: Number.isFinite(mib) && mib > 0 ? Math.round(mib * 1024 * 1024) : 0,
    });
  }
  return gpus.slice(0, 64);
}

function attempt<T>(probe: string, fn: () => T, fallback: T, onError: ProbeErrorHandler): T {
  try {
    return fn();
  } catch (error) {
    onError(probe, error);
    return fallback;
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}
