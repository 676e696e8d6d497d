/**
 * The pure decisions behind "Add this machine" (lib/agents/local_agent.ts): whether it is
 * available and why not, the loopback URL, which deno to start, the agent's command lines, and
 * how the agent's output lines are logged.
 */
import type { LogFields } from "../log.ts";
import { DockerError } from "../../agent/docker/mod.ts";
import { AGENT_PERMISSIONS } from "../../agent/permissions.ts";
/** The config switch: offer "Add this machine" when Docker is reachable, or never. */
export type LocalAgentMode = "auto" | "off";

/** What a look at the local Docker Engine found. */
export type DockerProbe =
  | { kind: "ok" }
  | { kind: "no_socket"; target: string }
  | { kind: "permission_denied"; target: string }
  | { kind: "not_running"; target: string }
  | { kind: "unusable"; detail: string };

/** Whether the local agent can be started, and why not in plain words. */
export interface Availability {
  available: boolean;
  reason: string | null;
}

/** What the agent child process is granted (what `deno task agent` grants). */
export { AGENT_PERMISSIONS };

/** Decide availability from the config, the Docker probe and the deno we may start. */
export function decideAvailability(
  input: { mode: LocalAgentMode; docker: DockerProbe | null; deno: string | null },
): Availability {
  const no = (reason: string): Availability => ({ available: false, reason });
  if (input.mode === "off") {
    return no("Adding this machine is turned off on this server (LATTICE_LOCAL_AGENT=off).");
  }
  if (input.deno === null) {
    return no(
      "This server may not start programs: start it with `deno task start` (which allows " +
        "running deno) or add --allow-run=deno.",
    );
  }
  const docker = input.docker;
  if (docker === null) return no("Docker has not been checked yet.");
  switch (docker.kind) {
    case "ok":
      return { available: true, reason: null };
    case "no_socket":
      return no(
        `Docker is not running here (there is no Docker socket at ${docker.target}). ` +
          "Install Docker or start it, then try again.",
      );
    case "permission_denied":
      return no(
        `Docker is here, but this server may not use it (permission denied on ${docker.target}). ` +
          "Add this user to the docker group (`sudo usermod -aG docker $USER`), log in again " +
          "and restart the server.",
      );
    case "not_running":
      return no(
        `Docker is not running here (nothing answers at ${docker.target}). ` +
          "Start Docker, then try again.",
      );
    case "unusable":
      return no(`Docker cannot be used here: ${docker.detail}`);
  }
}

/** The probe result for an error from connecting to Docker at `target`. */
export function probeFromError(err: unknown, target: string): DockerProbe {
  if (err instanceof DockerError) {
    if (err.code === "permission_denied") return { kind: "permission_denied", target };
    if (err.code === "daemon_down") return { kind: "not_running", target };
    return { kind: "unusable", detail: err.message };
  }
  if (err instanceof Deno.errors.NotFound) return { kind: "no_socket", target };
  if (err instanceof Deno.errors.PermissionDenied) return { kind: "permission_denied", target };
  return { kind: "unusable", detail: err instanceof Error ? err.message : String(err) };
}

/** The URL the server answers itself on: a wildcard listen address becomes loopback. */
export function loopbackUrl(hostname: string, port: number): string {
  let host = hostname.replace(/^\[|\]$/g, "");
  if (host === "" || host === "0.0.0.0") host = "127.0.0.1";
  else if (host === "::") host = "::1";
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * The deno to start: this very executable when the permissions allow it, else `deno` from the
 * PATH (`--allow-run=deno` grants the PATH entry, which may be a symlink to the executable).
 */
export function chooseDeno(execPath: string, canRun: (command: string) => boolean): string | null {
  if (canRun(execPath)) return execPath;
  if (canRun("deno")) return "deno";
  return null;
}

/** The arguments of `deno` for one agent command; the join token travels in the environment. */
export function agentArgs(
  step: { command: "join"; serverUrl: string } | { command: "run" },
  paths: { script: string; stateDir: string },
): string[] {
  // --no-config: a data dir inside a project must not pick up that project's deno.json.
  const args = ["run", "--no-config", ...AGENT_PERMISSIONS, paths.script, step.command];
  if (step.command === "join") args.push("--server", step.serverUrl);
  args.push("--state-dir", paths.stateDir);
  return args;
}

/** How one line the agent printed is logged: its JSON fields kept, under our component. */
export function childLogEntry(
  line: string,
  stream: "stdout" | "stderr",
): { level: "debug" | "info" | "warn" | "error"; msg: string; fields: LogFields } {
  const levels = ["debug", "info", "warn", "error"] as const;
  let parsed: unknown = null;
  if (line.startsWith("{")) {
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = null;
    }
  }
  if (parsed && typeof parsed === "object" && typeof (parsed as LogFields).msg === "string") {
    const { level, msg, time: _time, component: _component, ...rest } = parsed as LogFields;
    const known = levels.find((l) => l === level);
    return { level: known ?? "info", msg: msg as string, fields: { ...rest, stream } };
  }
  // Plain lines are the agent talking to a person ("Connected to …"); its errors start with
  // "lattice-agent:".
  const failed = stream === "stderr" && line.startsWith("lattice-agent:");
  return { level: failed ? "warn" : "info", msg: line, fields: { stream } };
}

/** An absolute version of `path` (the data dir may be relative to the server's cwd). */
export function absolutePath(path: string, cwd: string): string {
  return path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path)
    ? path
    : `${cwd.replace(/\/+$/, "")}/${path.replace(/^\.\//, "")}`;
}
