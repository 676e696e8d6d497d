import { NodeSelf } from "../lib/protocol.ts";
import { DockerClient, DockerError } from "./docker/mod.ts";
import { type NodeIdentity, signedFetch } from "./signed_fetch.ts";
import { probeDisk } from "./system/probes.ts";

/** One doctor check: what was checked, what was found, and the fix when it is not ok. */
export interface Check {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  fix?: string;
}

const GIB = 1024 ** 3;
const MIN_API = [1, 41];

/** The fix for a Docker connection failure, by error code. */
export function dockerFix(err: unknown): string {
  const code = err instanceof DockerError ? err.code : "";
  if (code === "permission_denied") {
    return "add this user to the docker group (`sudo usermod -aG docker $USER`, then log in again) or run the agent as root";
  }
  if (code === "api_too_old") return "upgrade Docker Engine to 20.10 or newer";
  return "start Docker (`sudo systemctl start docker`, or Docker Desktop) or point DOCKER_HOST at it";
}

/** Run every check; checks that depend on a failed one say so instead of failing twice. */
export async function runDoctor(
  opts: { dockerHost?: string; serverUrl: string | null; identity: NodeIdentity | null },
): Promise<Check[]> {
  const checks: Check[] = [];
  let docker: DockerClient | null = null;
  try {
    docker = await DockerClient.connect({ dockerHost: opts.dockerHost, timeoutMs: 3000 });
    checks.push({
      name: "Docker socket",
      status: "ok",
      detail: `reachable at ${docker.socketPath ?? opts.dockerHost}`,
    });
    const [major, minor] = docker.apiVersion.split(".").map(Number);
    const apiOk = major > MIN_API[0] || (major === MIN_API[0] && minor >= MIN_API[1]);
    checks.push({
      name: "Docker API version",
      status: apiOk ? "ok" : "fail",
      detail: `${docker.apiVersion} (minimum 1.41)`,
      fix: "upgrade Docker Engine to 20.10 or newer",
    });
    const info = await docker.info();
    const disk = await probeDisk(info.DockerRootDir ?? "/var/lib/docker");
    const free = disk.freeBytes / GIB;
    checks.push({
      name: "Free disk",
      status: free >= 5 ? "ok" : free >= 1 ? "warn" : "fail",
      detail: `${free.toFixed(1)} GiB free of ${
        (disk.totalBytes / GIB).toFixed(1)
      } GiB at ${disk.path}`,
      fix: "free space where Docker keeps its data (`docker system prune` removes unused images)",
    });
  } catch (err) {
    checks.push({
      name: "Docker socket",
      status: "fail",
      detail: err instanceof Error ? err.message : String(err),
      fix: dockerFix(err),
    });
  } finally {
    docker?.close();
  }

  if (!opts.serverUrl || !opts.identity) {
    checks.push({
      name: "Joined",
      status: "fail",
      detail: "this machine has not joined a control plane",
      fix: "run `lattice-agent join --server URL --token TOKEN`",
    });
    return checks;
  }
  let reachable = false;
  try {
    const t0 = Date.now();
    const res = await fetch(new URL("/healthz", opts.serverUrl), {
      signal: AbortSignal.timeout(5000),
    });
    await res.body?.cancel();
    const t1 = Date.now();
    reachable = res.ok;
    checks.push({
      name: "Control plane",
      status: res.ok ? "ok" : "fail",
      detail: `${opts.serverUrl} answered ${res.status} in ${t1 - t0} ms`,
      fix: "check that the control plane is running and reachable from this machine",
    });
    const date = res.headers.get("date");
    if (date) {
      // Date has one-second resolution; compare against the middle of the round trip.
      const skew = Date.parse(date) + 500 - (t0 + t1) / 2;
      checks.push({
        name: "Clock skew",
        status: Math.abs(skew) < 30_000 ? "ok" : Math.abs(skew) < 300_000 ? "warn" : "fail",
        detail: `${Math.round(skew / 1000)} s against the server`,
        fix: "enable time synchronisation (NTP), e.g. `sudo timedatectl set-ntp true`",
      });
    }
  } catch (err) {
    checks.push({
      name: "Control plane",
      status: "fail",
      detail: `cannot reach ${opts.serverUrl}: ${err instanceof Error ? err.message : err}`,
      fix: "check the URL, DNS and firewall; the agent only needs outbound HTTPS to the server",
    });
  }
  if (reachable) {
    try {
      const res = await signedFetch(opts.serverUrl, "/api/v1/agents/self", opts.identity, {
        signal: AbortSignal.timeout(5000),
      });
      const body = await res.json().catch(() => null);
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      const self = NodeSelf.parse(body);
      checks.push({
        name: "Node approved",
        status: self.approval === "approved" ? "ok" : self.approval === "pending" ? "warn" : "fail",
        detail: `${self.approval}${
          self.approvalReason ? `: ${self.approvalReason}` : ""
        } (status ${self.status})`,
        fix: self.approval === "pending"
          ? "ask an admin to approve the node (Approvals in the dashboard)"
          : "run `lattice-agent reset` and join again with a new token",
      });
    } catch (err) {
      checks.push({
        name: "Node approved",
        status: "fail",
        detail: err instanceof Error ? err.message : String(err),
        fix: "run `lattice-agent reset` and join again with a new token",
      });
    }
  }
  return checks;
}
