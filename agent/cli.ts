import { parseArgs } from "node:util";
import { createLogger, createStdoutSink } from "../lib/log.ts";
import { LabelMap, NodeSelf, PROTOCOL_VERSION } from "../lib/protocol.ts";
import { VERSION } from "../lib/version.ts";
import { AgentRunner } from "./runner.ts";
import { DockerClient } from "./docker/mod.ts";
import { LABELS } from "../lib/protocol.ts";
import { loadPolicy } from "./policy.ts";
import { defaultStateDir, loadState } from "./state.ts";
import { deleteStateDir, serviceFile, stopBackgroundAgent } from "./reset.ts";
import { joinControlPlane, type Joined, JoinError } from "./join.ts";
import { signedFetch } from "./signed_fetch.ts";
import { runDoctor } from "./doctor.ts";
import { deviceLogin, DeviceLoginError } from "./device_login.ts";
import {
  installAfterJoin,
  realServiceDeps,
  serviceCommand,
  type ServiceDeps,
} from "./cli_service.ts";
import { KeepAwake } from "./keep_awake.ts";
import { onboardCommand } from "./onboard/command.ts";
import {
  applySettingsFlags,
  describeSchedule,
  FlagError,
  loadSettings,
  nodeLabels,
  type SavedSettings,
  saveSettings,
  SETTINGS_OPTIONS,
  type SettingsFlags,
} from "./settings_flags.ts";

/** Where CLI output goes (tests capture it). */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Ask a yes/no question; true for yes. */
  confirm(question: string): Promise<boolean>;
  env: Record<string, string | undefined>;
  /** Stops a waiting device sign-in (tests; interactively, Ctrl-C does). */
  signal?: AbortSignal;
  /** What `join --service install` runs on (tests pass fakes; default: this machine). */
  serviceDeps?: ServiceDeps;
}

/** A failure the CLI reports as one line and an exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

const USAGE = `lattice-agent ${VERSION}: turn this machine into a Lattice node

Usage:
  lattice-agent join --server URL [--token TOKEN] [--name NAME] [--label key=value]...
                     [--service install] [SHARE]
                     (without --token: shows a code to approve on the dashboard's /device page)
  lattice-agent run [--policy FILE] [SHARE]
  lattice-agent status
  lattice-agent doctor
  lattice-agent reset [--yes]
  lattice-agent service install|start|stop|uninstall|status
  lattice-agent onboard [--server URL] [--port N] [--no-open]
                     (a page in your browser that walks through every step)
  lattice-agent version

What this machine shares (SHARE; saved in the state dir, sent to the control plane):
  --hours "mon-fri 18:00-08:00; sat,sun 00:00-24:00"
                    computation hours: new work starts only inside them ("always" clears them)
  --timezone ZONE   IANA zone of the hours (default: this machine's zone)
  --max-cpu 50%     share of the CPU cores offered
  --max-memory 4GiB memory offered (MiB/GiB/TiB; 4G = 4GiB)
  --max-disk 20GiB  disk offered
  --keep-awake      keep this machine from sleeping during its hours (--no-keep-awake: stop)
  --cluster NAME    group machines into a named cluster (node label lattice.cluster=NAME)
An admin's hours or offer set in the dashboard take precedence over these.

Options for every command:
  --state-dir DIR   where the node's identity and buffer live
                    (LATTICE_AGENT_STATE_DIR; default ~/.lattice-agent, /var/lib/lattice-agent as root)
  DOCKER_HOST       the Docker Engine to use (default unix:///var/run/docker.sock)`;

/** Run the CLI with `args`; returns the process exit code. */
export async function main(args: string[], io: Io): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "join":
        return await join(rest, io);
      case "run":
        return await run(rest, io);
      case "status":
        return await status(rest, io);
      case "doctor":
        return await doctor(rest, io);
      case "reset":
        return await reset(rest, io);
      case "service":
        return await serviceCommand(rest, io);
      case "onboard":
        return await onboardCommand(rest, io);
      case "version":
      case "--version":
        io.out(
          `lattice-agent ${VERSION} (protocol ${PROTOCOL_VERSION}, deno ${Deno.version.deno})`,
        );
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`lattice-agent: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`lattice-agent: ${err.message}`);
      return err.exitCode;
    }
    if (
      err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")
    ) {
      io.err(`lattice-agent: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}

type OptionSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean }>;

function parse(args: string[], options: OptionSpec): Record<string, unknown> {
  const { values } = parseArgs({
    args,
    options: { "state-dir": { type: "string" }, ...options },
    allowPositionals: false,
    strict: true,
  });
  return values as Record<string, unknown>;
}

function stateDirOf(values: Record<string, unknown>, io: Io): string {
  return (values["state-dir"] as string | undefined) ?? defaultStateDir(io.env, Deno.uid());
}

async function requireState(dir: string) {
  const loaded = await loadState(dir);
  if (!loaded) {
    throw new CliError(
      `this machine has not joined a control plane (no state in ${dir}). ` +
        "Run `lattice-agent join --server URL --token TOKEN` first.",
    );
  }
  return loaded;
}

/** The device sign-in: show a code, wait for an admin to approve it; Ctrl-C stops cleanly. */
async function signInWithCode(serverUrl: string, io: Io): Promise<string> {
  const abort = new AbortController();
  const stop = () => abort.abort(new CliError("Stopped: this machine did not join.", 130));
  Deno.addSignalListener("SIGINT", stop);
  try {
    return await deviceLogin(serverUrl, io.out, io.signal ?? abort.signal);
  } catch (err) {
    if (err instanceof DeviceLoginError) throw new CliError(err.message, err.exitCode);
    if (abort.signal.aborted) throw abort.signal.reason;
    if (io.signal?.aborted) throw new CliError("Stopped: this machine did not join.", 130);
    throw err;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
  }
}

async function join(args: string[], io: Io): Promise<number> {
  const values = parse(args, {
    server: { type: "string" },
    token: { type: "string" },
    name: { type: "string" },
    label: { type: "string", multiple: true },
    service: { type: "string" },
    ...SETTINGS_OPTIONS,
  });
  if (values.service !== undefined && values.service !== "install") {
    throw new CliError(`--service: "${values.service}": the only choice is --service install`, 2);
  }
  const server = values.server as string | undefined;
  // Without a token, the device sign-in below obtains one once an admin approves a code.
  let token = (values.token as string | undefined) ?? io.env.LATTICE_JOIN_TOKEN;
  if (!server) {
    throw new CliError(
      "join needs --server URL (and --token TOKEN, or approve the code it shows on the dashboard)",
      2,
    );
  }
  let serverUrl: string;
  try {
    serverUrl = new URL(server).origin;
  } catch {
    throw new CliError(
      `--server must be a URL such as https://lattice.example.com, not "${server}"`,
      2,
    );
  }
  const labels: Record<string, string> = {};
  for (const pair of (values.label as string[] | undefined) ?? []) {
    const eq = pair.indexOf("=");
    if (eq < 1) throw new CliError(`--label must look like key=value, not "${pair}"`, 2);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const parsedLabels = LabelMap.safeParse(labels);
  if (!parsedLabels.success) {
    throw new CliError(`invalid --label: ${parsedLabels.error.issues[0].message}`, 2);
  }
  const settings = settingsFrom(null, values);
  const dir = stateDirOf(values, io);
  const existing = await loadState(dir).catch(() => null);
  if (existing) {
    throw new CliError(
      `already joined as node ${existing.state.nodeId} at ${existing.state.serverUrl}. ` +
        "Run `lattice-agent reset` first to join again.",
    );
  }
  if (!token) token = await signInWithCode(serverUrl, io);
  const name = (values.name as string | undefined) ?? Deno.hostname();
  let joined: Joined;
  try {
    joined = await joinControlPlane({
      serverUrl,
      token,
      name,
      labels: parsedLabels.data,
      settings,
      stateDir: dir,
    });
  } catch (err) {
    if (err instanceof JoinError) throw new CliError(err.message);
    throw err;
  }
  io.out(`Joined ${serverUrl} as node ${joined.nodeId} ("${name}") in pool ${joined.poolName}.`);
  if (settings) describeSettings(settings, io);
  io.out(
    joined.approval === "approved"
      ? "The pool approves new nodes automatically."
      : "An admin must approve this node before it takes work (Approvals in the dashboard).",
  );
  if (values.service === "install") {
    await installAfterJoin(dir, io, io.serviceDeps);
    return 0;
  }
  io.out(`Start it with: lattice-agent run${values["state-dir"] ? ` --state-dir ${dir}` : ""}`);
  return 0;
}

async function run(args: string[], io: Io): Promise<number> {
  const values = parse(args, { policy: { type: "string" }, ...SETTINGS_OPTIONS });
  const dir = stateDirOf(values, io);
  const { state, privateKey } = await requireState(dir);
  const saved = await loadSettings(dir).catch((err) => {
    throw new CliError(err instanceof Error ? err.message : String(err));
  });
  const settings = settingsFrom(saved, values);
  if (settings && settings !== saved) {
    await saveSettings(dir, settings);
    describeSettings(settings, io);
  }
  const policyPath = (values.policy as string | undefined) ?? `${dir}/policy.json`;
  const explicit = values.policy !== undefined;
  const { policy, source } = await loadPolicy(
    explicit ? policyPath : await exists(policyPath) ? policyPath : null,
  ).catch((err) => {
    throw new CliError(`cannot use the local policy: ${err instanceof Error ? err.message : err}`);
  });
  const level = (io.env.LATTICE_AGENT_LOG_LEVEL ?? "info") as "debug" | "info" | "warn" | "error";
  const log = createLogger({
    level: ["debug", "info", "warn", "error"].includes(level) ? level : "info",
    sink: createStdoutSink(),
    fields: { component: "agent", node_id: state.nodeId },
  });
  log.info("agent starting", {
    version: VERSION,
    server: state.serverUrl,
    state_dir: dir,
    policy: source,
  });
  const runner = new AgentRunner({
    stateDir: dir,
    serverUrl: state.serverUrl,
    nodeId: state.nodeId,
    privateKey,
    labels: nodeLabels(state.labels, settings),
    policy,
    settings,
    keepAwake: new KeepAwake({ os: Deno.build.os, pid: Deno.pid }),
    log,
    dockerHost: io.env.DOCKER_HOST,
    backoff: io.env.LATTICE_AGENT_BACKOFF_BASE_MS
      ? { baseMs: Number(io.env.LATTICE_AGENT_BACKOFF_BASE_MS) }
      : undefined,
    say: (line) => io.err(line),
  });
  const stop = () => {
    log.info("stopping; workloads keep running");
    runner.stop();
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  try {
    const outcome = await runner.run();
    if (outcome.kind === "rejected") {
      io.err(
        `lattice-agent: the control plane refused this node (${outcome.rejected.code}): ${outcome.rejected.reason}`,
      );
      return 3;
    }
    log.info("agent stopped");
    return 0;
  } finally {
    Deno.removeSignalListener("SIGTERM", stop);
    Deno.removeSignalListener("SIGINT", stop);
  }
}

/** The saved settings with the flags applied (`saved` itself when no flag was given). */
function settingsFrom(
  saved: SavedSettings | null,
  values: Record<string, unknown>,
): SavedSettings | null {
  const flags: Record<string, unknown> = {};
  for (const key of Object.keys(SETTINGS_OPTIONS) as (keyof SettingsFlags)[]) {
    if (values[key] !== undefined) flags[key] = values[key];
  }
  if (Object.keys(flags).length === 0) return saved;
  try {
    return applySettingsFlags(saved, flags as SettingsFlags);
  } catch (err) {
    if (err instanceof FlagError) throw new CliError(err.message, 2);
    throw err;
  }
}

function describeSettings(settings: SavedSettings, io: Io): void {
  if (settings.schedule !== undefined) io.out(`Hours:  ${describeSchedule(settings.schedule)}`);
  if (settings.cluster !== undefined) io.out(`Cluster: ${settings.cluster}`);
  if (settings.keepAwake !== undefined) {
    io.out(`Keep awake: ${settings.keepAwake ? "yes, during the hours" : "no"}`);
  }
  const offer = settings.offer;
  if (offer) {
    const parts = [
      offer.cpuPercent !== undefined ? `${offer.cpuPercent}% CPU` : null,
      offer.memoryMiB !== undefined ? `${offer.memoryMiB} MiB memory` : null,
      offer.diskGiB !== undefined ? `${offer.diskGiB} GiB disk` : null,
    ].filter((p) => p !== null);
    if (parts.length > 0) io.out(`Offers: ${parts.join(", ")}`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function status(args: string[], io: Io): Promise<number> {
  const values = parse(args, {});
  const dir = stateDirOf(values, io);
  const { state, privateKey } = await requireState(dir);
  io.out(`node:      ${state.nodeId} ("${state.name}")`);
  io.out(`server:    ${state.serverUrl}`);
  io.out(`state dir: ${dir}`);
  try {
    const res = await signedFetch(state.serverUrl, "/api/v1/agents/self", {
      nodeId: state.nodeId,
      privateKey,
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
    const self = NodeSelf.parse(body);
    io.out(`approval:  ${self.approval}${self.approvalReason ? ` (${self.approvalReason})` : ""}`);
    io.out(`status:    ${self.status}`);
    io.out(
      `rank:      ${
        self.rank === null || self.rank === undefined ? "not ranked yet" : `${self.rank} of 1000`
      }`,
    );
  } catch (err) {
    io.out(`approval:  unknown (server: ${err instanceof Error ? err.message : err})`);
  }
  try {
    const docker = await DockerClient.connect({ dockerHost: io.env.DOCKER_HOST });
    const list = await docker.containerList({ all: true, labels: { [LABELS.managed]: "true" } });
    docker.close();
    io.out(
      `docker:    ok, ${list.length} Lattice container(s), ${
        list.filter((c) => c.State === "running").length
      } running`,
    );
  } catch (err) {
    io.out(`docker:    unreachable (${err instanceof Error ? err.message : err})`);
  }
  return 0;
}

async function doctor(args: string[], io: Io): Promise<number> {
  const values = parse(args, {});
  const dir = stateDirOf(values, io);
  const loaded = await loadState(dir).catch((err) => {
    throw new CliError(String(err instanceof Error ? err.message : err));
  });
  const checks = await runDoctor({
    dockerHost: io.env.DOCKER_HOST,
    serverUrl: loaded?.state.serverUrl ?? null,
    identity: loaded ? { nodeId: loaded.state.nodeId, privateKey: loaded.privateKey } : null,
  });
  let failed = 0;
  for (const c of checks) {
    const mark = c.status === "ok" ? "ok  " : c.status === "warn" ? "warn" : "FAIL";
    io.out(`${mark}  ${c.name}: ${c.detail}`);
    if (c.fix && c.status !== "ok") io.out(`      fix: ${c.fix}`);
    if (c.status === "fail") failed++;
  }
  io.out(failed === 0 ? "All checks passed." : `${failed} check(s) failed.`);
  return failed === 0 ? 0 : 1;
}

async function reset(args: string[], io: Io): Promise<number> {
  const values = parse(args, { yes: { type: "boolean" } });
  const dir = stateDirOf(values, io);
  if (!values.yes) {
    const ok = await io.confirm(
      `Stop the agent, remove its background service and every Lattice container, volume and ` +
        `network on this machine, and delete ${dir}?`,
    );
    if (!ok) {
      io.out("Nothing changed.");
      return 1;
    }
  }
  const stopped = await stopBackgroundAgent(dir);
  if (stopped !== null) io.out(`Stopped the agent running in the background (pid ${stopped}).`);
  const deps = io.serviceDeps ?? realServiceDeps();
  const unit = serviceFile(deps.os, io.env, deps.uid, dir);
  if (unit && await exists(unit)) {
    const code = await serviceCommand(["uninstall", "--state-dir", dir], io, deps);
    if (code !== 0) {
      io.err(
        `lattice-agent: could not remove the background service (${unit}); nothing else was ` +
          "changed. Fix the problem above and run reset again.",
      );
      return 1;
    }
  }
  try {
    const docker = await DockerClient.connect({ dockerHost: io.env.DOCKER_HOST });
    try {
      const managed = { [LABELS.managed]: "true" };
      const containers = await docker.containerList({ all: true, labels: managed });
      for (const c of containers) {
        await docker.containerRemove(c.Id, { force: true, volumes: true });
      }
      const volumes = await docker.volumeList({ labels: managed });
      for (const v of volumes) await docker.volumeRemove(v.name, { force: true });
      const networks = await docker.networkList({ labels: managed });
      for (const n of networks) await docker.networkRemove(n.id);
      io.out(
        `Removed ${containers.length} container(s), ${volumes.length} volume(s), ${networks.length} network(s).`,
      );
    } finally {
      docker.close();
    }
  } catch (err) {
    io.err(
      `lattice-agent: could not clean Docker (${err instanceof Error ? err.message : err}); ` +
        "start Docker and run reset again to remove Lattice's containers.",
    );
    return 1;
  }
  const { removedDir, kept } = await deleteStateDir(dir);
  if (removedDir) {
    io.out(`Deleted ${dir}. Join again with \`lattice-agent join\`.`);
  } else {
    io.out(
      `Deleted Lattice's files in ${dir}; kept the dir because it also holds ${
        kept.join(", ")
      }, which Lattice did not write. Join again with \`lattice-agent join\`.`,
    );
  }
  return 0;
}
