import type { Logger } from "../lib/log.ts";
import type { Capabilities } from "../lib/protocol.ts";
import { VERSION } from "../lib/version.ts";
import type { DockerClient } from "./docker/mod.ts";
import { type NodeIdentity, signedFetch } from "./signed_fetch.ts";
import { probeDisk, probeGpus, probeHost } from "./system/probes.ts";

/** Bytes moved each way to estimate bandwidth: enough to time on a LAN, cheap on a phone link. */
const TRANSFER_BYTES = 512 * 1024;

/** Time a download and an upload against the control plane; nulls when it cannot. */
export async function measureBandwidth(
  serverUrl: string,
  identity: NodeIdentity,
  timeoutMs = 1500,
): Promise<Capabilities["network"]> {
  const signal = AbortSignal.timeout(timeoutMs);
  const rate = (bytes: number, ms: number) => Math.round(bytes / Math.max(ms, 1) * 1000);
  let downloadBps: number | null = null;
  let uploadBps: number | null = null;
  try {
    const t0 = performance.now();
    const res = await signedFetch(
      serverUrl,
      `/api/v1/agents/bandwidth?bytes=${TRANSFER_BYTES}`,
      identity,
      {
        signal,
      },
    );
    if (res.ok) {
      const body = await res.arrayBuffer();
      downloadBps = rate(body.byteLength, performance.now() - t0);
    } else await res.body?.cancel();
  } catch {
    // leave null
  }
  try {
    const t0 = performance.now();
    const res = await signedFetch(serverUrl, "/api/v1/agents/bandwidth", identity, {
      method: "POST",
      body: new Uint8Array(TRANSFER_BYTES),
      headers: { "content-type": "application/octet-stream" },
      signal,
    });
    await res.body?.cancel();
    if (res.ok) uploadBps = rate(TRANSFER_BYTES, performance.now() - t0);
  } catch {
    // leave null
  }
  return { downloadBps, uploadBps };
}

/** The Docker part of the capabilities: version, runtimes, and the disk where Docker keeps data. */
export async function dockerCapabilities(
  docker: DockerClient,
): Promise<Pick<Capabilities, "docker" | "disk">> {
  const [info, version] = await Promise.all([docker.info(), docker.version()]);
  return {
    docker: {
      version: version.Version,
      apiVersion: docker.apiVersion,
      runtimes: Object.keys(info.Runtimes ?? {}),
    },
    disk: await probeDisk(info.DockerRootDir ?? "/"),
  };
}

/**
 * What this machine offers, gathered concurrently in well under 2 s: host, disk where Docker
 * keeps its data, Docker, GPUs and a bandwidth estimate.
 */
export async function gatherCapabilities(
  deps: NodeIdentity & { docker: DockerClient | null; serverUrl: string; log: Logger },
): Promise<Capabilities> {
  const t0 = performance.now();
  const dockerInfo = deps.docker
    ? Promise.all([deps.docker.info(), deps.docker.version()]).catch(() => null)
    : Promise.resolve(null);
  const [host, gpus, network, docker] = await Promise.all([
    probeHost(),
    probeGpus(),
    measureBandwidth(deps.serverUrl, deps),
    dockerInfo,
  ]);
  const disk = await probeDisk(docker?.[0].DockerRootDir ?? "/");
  const capabilities: Capabilities = {
    ...host,
    disk,
    docker: docker
      ? {
        version: docker[1].Version,
        apiVersion: deps.docker!.apiVersion,
        runtimes: Object.keys(docker[0].Runtimes ?? {}),
      }
      : null,
    gpus,
    network,
    agentVersion: VERSION,
  };
  deps.log.info("gathered capabilities", { ms: Math.round(performance.now() - t0) });
  return capabilities;
}
