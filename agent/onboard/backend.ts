/**
 * What the onboarding page's API does: the system check, sign-in, join, settings, the service
 * or a detached agent, and the live status. Progress is derived from the state dir (joined?
 * settings? service or pid?), so a reload or a second `onboard` resumes where it was.
 */
import type { z } from "zod";
import { LABELS, NodeSelf } from "../../lib/protocol.ts";
import { DockerClient, DockerError } from "../docker/mod.ts";
import { deviceLogin, DeviceLoginError, type ShownCode } from "../device_login.ts";
import { joinControlPlane, JoinError } from "../join.ts";
import { keepAwakeCommand } from "../keep_awake.ts";
import { loadState } from "../state.ts";
import { signedFetch } from "../signed_fetch.ts";
import { probeDisk, probeGpus, probeHost } from "../system/probes.ts";
import { runCommand } from "../system/command.ts";
import {
  explainUserManagerFailure,
  realServiceDeps,
  serviceCommand,
  type ServiceDeps,
} from "../cli_service.ts";
import { serviceFile } from "../reset.ts";
import {
  loadSettings,
  machineTimezone,
  type SavedSettings,
  saveSettings,
} from "../settings_flags.ts";
import {
  type DockerProblem,
  dockerProblemFix,
  type DockerSetup,
  dockerSetupFor,
  type OsRelease,
  parseOsRelease,
  realStepRunner,
  runInstallSteps,
  type StepRunner,
} from "./docker_install.ts";
import { gridToSchedule, HOURS_PRESETS, scheduleToGrid } from "./hours_grid.ts";
import { isAlive, LOG_FILE, runningPid, startDetached, stopDetached } from "./background.ts";
import { lastProblems } from "./log_tips.ts";
import type {
  BackgroundRequest,
  DockerInstallRequest,
  HoursRequest,
  KeepAwakeRequest,
  MachineRequest,
  ServiceRequest,
  TokenSignInRequest,
} from "./schemas.ts";

/** A refusal the page shows as it is: HTTP status, code and plain message. */
export class OnboardError extends Error {
  constructor(readonly status: 400 | 404 | 409 | 422, readonly code: string, message: string) {
    super(message);
    this.name = "OnboardError";
  }
}

/** What the backend runs on; tests replace parts. */
export interface BackendOptions {
  stateDir: string;
  /** From `--server`; the page pre-fills it. */
  serverUrl: string | null;
  env: Record<string, string | undefined>;
  os?: string;
  stepRunner?: StepRunner;
  serviceDeps?: () => ServiceDeps;
}

const MIN_API = [1, 41];
const GIB = 1024 ** 3;

interface SignIn {
  status: "none" | "waiting" | "ready" | "failed";
  method: "device" | "token" | null;
  serverUrl: string | null;
  userCode: string | null;
  verificationUriComplete: string | null;
  message: string | null;
  token: string | null;
  abort: AbortController | null;
}

interface InstallRun {
  running: boolean;
  lines: { step: number; stream: "stdout" | "stderr"; line: string }[];
  result: { ok: boolean; failedStep?: number; code?: number } | null;
}

/** The onboarding page's server-side state and actions. */
export class OnboardBackend {
  readonly os: string;
  #signIn: SignIn = emptySignIn();
  #install: InstallRun = { running: false, lines: [], result: null };
  #poolName: string | null = null;
  #systemOk: boolean | null = null;
  #release: OsRelease | null | undefined;

  constructor(readonly options: BackendOptions) {
    this.os = options.os ?? Deno.build.os;
  }

  get stateDir(): string {
    return this.options.stateDir;
  }

  async #joined() {
    return await loadState(this.stateDir).catch(() => null);
  }

  async #settings(): Promise<SavedSettings | null> {
    return await loadSettings(this.stateDir).catch(() => null);
  }

  async #osRelease(): Promise<OsRelease | null> {
    if (this.#release !== undefined) return this.#release;
    const text = this.os === "linux"
      ? await Deno.readTextFile("/etc/os-release").catch(() => null)
      : null;
    this.#release = text ? parseOsRelease(text) : null;
    return this.#release;
  }

  #user(): string {
    return this.options.env.USER ?? this.options.env.USERNAME ?? "$USER";
  }

  /** Everything the page needs to draw itself, and which steps are done. */
  async state() {
    const [loaded, settings, pid, host, disk] = await Promise.all([
      this.#joined(),
      this.#settings(),
      runningPid(this.stateDir),
      probeHost(),
      probeDisk(this.stateDir.replace(/\/[^/]*$/, "") || "/"),
    ]);
    const serviceFile = await this.#serviceFileExists();
    const awake = keepAwakeCommand(this.os, 0);
    const joined = loaded
      ? {
        nodeId: loaded.state.nodeId,
        name: loaded.state.name,
        serverUrl: loaded.state.serverUrl,
        labels: loaded.state.labels,
        poolName: this.#poolName,
      }
      : null;
    return {
      stateDir: this.stateDir,
      os: this.os,
      hostname: Deno.hostname(),
      serverUrl: joined?.serverUrl ?? this.#signIn.serverUrl ?? this.options.serverUrl,
      serverUrlFixed: joined !== null || this.options.serverUrl !== null,
      joined,
      settings: settings ?? {},
      machine: { cpuCores: host.cpu.cores, memoryBytes: host.memoryBytes, disk },
      timezone: settings?.schedule?.timezone ?? machineTimezone(),
      grid: scheduleToGrid(settings?.schedule),
      presets: HOURS_PRESETS,
      keepAwakeTool: awake
        ? (awake.command === "powershell.exe"
          ? "SetThreadExecutionState (through PowerShell)"
          : `${awake.command} ${awake.args[0]}`)
        : null,
      background: { pid, serviceFile },
      progress: {
        system: this.#systemOk,
        signin: joined !== null || this.#signIn.status === "ready",
        machine: joined !== null && settings?.offer !== undefined,
        hours: settings !== null && "schedule" in settings,
        awake: settings?.keepAwake !== undefined,
        background: pid !== null || serviceFile,
      },
    };
  }

  async #serviceFileExists(): Promise<boolean> {
    const file = serviceFile(this.os, this.options.env, Deno.uid() ?? 0, this.stateDir);
    return file !== null && await Deno.stat(file).then(() => true, () => false);
  }

  /** Step 1: the machine and Docker, each problem with its fix. */
  async systemCheck() {
    const [host, gpus, release] = await Promise.all([
      probeHost(),
      probeGpus(),
      this.#osRelease(),
    ]);
    const docker = {
      installed: false,
      running: false,
      reachable: false,
      permitted: false,
      version: null as string | null,
      apiVersion: null as string | null,
      problem: null as DockerProblem | null,
      fix: null as string | null,
      detail: null as string | null,
      setup: null as DockerSetup | null,
    };
    let diskPath = "/";
    let client: DockerClient | null = null;
    try {
      client = await DockerClient.connect({
        dockerHost: this.options.env.DOCKER_HOST,
        timeoutMs: 3000,
      });
      Object.assign(docker, { installed: true, running: true, reachable: true, permitted: true });
      docker.apiVersion = client.apiVersion;
      const [info, version] = await Promise.all([client.info(), client.version()]);
      docker.version = version.Version;
      diskPath = info.DockerRootDir ?? "/";
      const [major, minor] = client.apiVersion.split(".").map(Number);
      if (major < MIN_API[0] || (major === MIN_API[0] && minor < MIN_API[1])) {
        docker.problem = "too_old";
      }
    } catch (err) {
      docker.detail = err instanceof Error ? err.message : String(err);
      const code = err instanceof DockerError ? err.code : "";
      if (code === "permission_denied") {
        Object.assign(docker, { installed: true, running: true, reachable: true });
        docker.problem = "permission";
      } else if (code === "api_too_old") {
        Object.assign(docker, { installed: true, running: true, reachable: true, permitted: true });
        docker.problem = "too_old";
      } else {
        docker.installed = await this.#dockerInstalled();
        docker.problem = docker.installed ? "stopped" : "missing";
      }
    } finally {
      client?.close();
    }
    if (docker.problem) {
      docker.fix = dockerProblemFix(this.os, release, docker.problem, this.#user());
      if (docker.problem === "missing") {
        docker.setup = dockerSetupFor(this.os, release, this.#user());
      }
    }
    const disk = await probeDisk(diskPath);
    this.#systemOk = docker.problem === null;
    return {
      os: this.os,
      osName: release?.prettyName ?? host.os,
      arch: host.arch,
      cpu: host.cpu,
      memoryBytes: host.memoryBytes,
      disk,
      diskLow: disk.totalBytes > 0 && disk.freeBytes < 5 * GIB,
      gpus,
      docker,
      ready: docker.problem === null,
    };
  }

  async #dockerInstalled(): Promise<boolean> {
    try {
      const out = await runCommand("docker", ["--version"]);
      if (out.success) return true;
    } catch {
      // not on the PATH
    }
    for (const path of ["/var/run/docker.sock", "/usr/bin/dockerd", "/usr/bin/docker"]) {
      if (await Deno.stat(path).then(() => true, () => false)) return true;
    }
    return false;
  }

  /** Step 1: run the install commands, with consent (the schema demands it). */
  async startDockerInstall(_body: z.infer<typeof DockerInstallRequest>) {
    if (this.#install.running) {
      throw new OnboardError(409, "install_running", "The install is already running.");
    }
    const setup = dockerSetupFor(this.os, await this.#osRelease(), this.#user());
    if (setup.kind !== "auto") {
      throw new OnboardError(
        409,
        "install_manual",
        "Lattice cannot install Docker on this system itself: follow the instructions shown.",
      );
    }
    const run: InstallRun = { running: true, lines: [], result: null };
    this.#install = run;
    runInstallSteps(
      setup.steps,
      this.options.stepRunner ?? realStepRunner,
      (step, stream, line) => {
        run.lines.push({ step, stream, line });
        if (run.lines.length > 2000) run.lines.splice(0, run.lines.length - 2000);
      },
    ).then((result) => {
      run.result = result;
    }, (err) => {
      run.result = { ok: false };
      run.lines.push({ step: -1, stream: "stderr", line: String(err) });
    }).finally(() => {
      run.running = false;
    });
    return { started: true, steps: setup.steps };
  }

  /** Step 1: the install's progress and output so far. */
  installProgress() {
    const { running, lines, result } = this.#install;
    return { running, lines, result };
  }

  /** Step 2: start a device-code sign-in; answers once the code is known. */
  async startDeviceSignIn(serverUrl: string) {
    await this.#requireNotJoined();
    const origin = new URL(serverUrl).origin;
    this.#signIn.abort?.abort();
    const abort = new AbortController();
    const signIn: SignIn = {
      ...emptySignIn(),
      status: "waiting",
      method: "device",
      serverUrl: origin,
      abort,
    };
    this.#signIn = signIn;
    let shown: () => void = () => {};
    const codeShown = new Promise<void>((resolve) => (shown = resolve));
    const onCode = (code: ShownCode) => {
      signIn.userCode = code.userCode;
      signIn.verificationUriComplete = code.verificationUriComplete;
      shown();
    };
    const done = deviceLogin(origin, () => {}, abort.signal, onCode).then((token) => {
      signIn.token = token;
      signIn.status = "ready";
      signIn.message = "Approved: this machine may join.";
    }, (err) => {
      if (abort.signal.aborted) return;
      signIn.status = "failed";
      signIn.message = err instanceof DeviceLoginError || err instanceof Error
        ? err.message
        : String(err);
    });
    await Promise.race([codeShown, done]);
    if (signIn.status === "failed") {
      throw new OnboardError(409, "sign_in_failed", signIn.message ?? "The sign-in failed.");
    }
    return this.signInStatus();
  }

  /** Step 2: sign in with a pasted join token (used when the machine joins in step 3). */
  async tokenSignIn(body: z.infer<typeof TokenSignInRequest>) {
    await this.#requireNotJoined();
    this.#signIn.abort?.abort();
    this.#signIn = {
      ...emptySignIn(),
      status: "ready",
      method: "token",
      serverUrl: new URL(body.serverUrl).origin,
      token: body.token,
      message: "Token saved: this machine joins in the next step.",
    };
    return this.signInStatus();
  }

  /** Step 2: where the sign-in is (never the token itself). */
  async signInStatus() {
    const joined = await this.#joined();
    const s = this.#signIn;
    return {
      status: joined ? "joined" : s.status,
      method: s.method,
      serverUrl: joined?.state.serverUrl ?? s.serverUrl,
      userCode: s.userCode,
      verificationUriComplete: s.verificationUriComplete,
      message: s.message,
    };
  }

  async #requireNotJoined() {
    const joined = await this.#joined();
    if (joined) {
      throw new OnboardError(
        409,
        "already_joined",
        `This machine already joined ${joined.state.serverUrl}. To join elsewhere, run ` +
          "`lattice-agent reset` first.",
      );
    }
  }

  async #requireJoined() {
    const joined = await this.#joined();
    if (!joined) {
      throw new OnboardError(
        409,
        "not_joined",
        "This machine has not joined yet: finish “This machine” (step 3) first.",
      );
    }
    return joined;
  }

  /** Step 3: join (first time) and save the share; afterwards, update the share. */
  async saveMachine(body: MachineRequest) {
    const saved = await this.#settings();
    const next: SavedSettings = { ...saved };
    next.offer = {
      cpuPercent: body.offer.cpuPercent,
      ...(body.offer.memoryMiB !== null ? { memoryMiB: body.offer.memoryMiB } : {}),
      ...(body.offer.diskGiB !== null ? { diskGiB: body.offer.diskGiB } : {}),
    };
    if (body.cluster) next.cluster = body.cluster;
    else delete next.cluster;
    const joined = await this.#joined();
    if (joined) {
      await saveSettings(this.stateDir, next);
      const restarted = await this.#restartDetached();
      const renamed = body.name !== joined.state.name ||
        JSON.stringify(body.labels) !== JSON.stringify(joined.state.labels);
      return {
        joined: false,
        poolName: this.#poolName,
        note: (renamed
          ? "Saved the share. The name and labels are fixed once a machine has joined: an admin " +
            "can change the labels in the dashboard. "
          : "Saved. ") + restartNote(restarted),
      };
    }
    const s = this.#signIn;
    if (s.status !== "ready" || !s.token || !s.serverUrl) {
      throw new OnboardError(
        409,
        "sign_in_first",
        "Sign in first (step 2): approve the code on the dashboard or paste a join token.",
      );
    }
    try {
      const result = await joinControlPlane({
        serverUrl: s.serverUrl,
        token: s.token,
        name: body.name,
        labels: body.labels,
        settings: next,
        stateDir: this.stateDir,
      });
      this.#poolName = result.poolName;
      this.#signIn = { ...emptySignIn(), serverUrl: s.serverUrl };
      return {
        joined: true,
        nodeId: result.nodeId,
        poolName: result.poolName,
        approval: result.approval,
        note: `Joined as “${result.name}” in pool ${result.poolName}. ` +
          (result.approval === "approved"
            ? "The pool approves new machines automatically."
            : "An admin must approve this machine before it takes work."),
      };
    } catch (err) {
      if (err instanceof JoinError) {
        // A used or expired token cannot be tried again: sign in once more.
        if (err.code === "refused") this.#signIn = { ...emptySignIn(), serverUrl: s.serverUrl };
        throw new OnboardError(err.code === "invalid_input" ? 422 : 409, err.code, err.message);
      }
      throw err;
    }
  }

  /** Step 4: the weekly hours. */
  async saveHours(body: z.infer<typeof HoursRequest>) {
    await this.#requireJoined();
    const next: SavedSettings = { ...await this.#settings() };
    next.schedule = gridToSchedule(body.grid, body.timezone);
    await saveSettings(this.stateDir, next);
    const restarted = await this.#restartDetached();
    return {
      schedule: next.schedule,
      note:
        (next.schedule === null
          ? "Saved: this machine takes work at any hour. "
          : `Saved: ${next.schedule.windows.length} window(s) a week, ${body.timezone}. `) +
        restartNote(restarted),
    };
  }

  /** Step 5: keep awake during the hours. */
  async saveKeepAwake(body: z.infer<typeof KeepAwakeRequest>) {
    await this.#requireJoined();
    const next: SavedSettings = { ...await this.#settings(), keepAwake: body.enabled };
    await saveSettings(this.stateDir, next);
    const restarted = await this.#restartDetached();
    return {
      keepAwake: body.enabled,
      note:
        (body.enabled
          ? "Saved: this machine stays awake during its hours. "
          : "Saved: this machine may sleep as usual. ") + restartNote(restarted),
    };
  }

  /** Step 6: whether the user-level service can be used here, and why not. */
  async serviceAvailability(): Promise<{ available: boolean; reason: string | null }> {
    if (this.os === "darwin" || this.os === "windows") return { available: true, reason: null };
    if (this.os !== "linux") {
      return {
        available: false,
        reason: `There is no background service for ${this.os}; use “Start now”.`,
      };
    }
    const deps = (this.options.serviceDeps ?? realServiceDeps)();
    try {
      const out = await deps.run(["systemctl", "--user", "show-environment"], this.options.env);
      return out.success
        ? { available: true, reason: null }
        : { available: false, reason: explainUserManagerFailure(out.stderr || out.stdout) };
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        return { available: false, reason: explainUserManagerFailure(null) };
      }
      throw err;
    }
  }

  /** Step 6: install/start/stop/uninstall/status of the service, with its output. */
  async service(body: z.infer<typeof ServiceRequest>) {
    await this.#requireJoined();
    const lines: string[] = [];
    const io = {
      out: (line: string) => lines.push(line),
      err: (line: string) => lines.push(line),
      env: this.options.env,
    };
    const code = await serviceCommand(
      [body.action, "--state-dir", this.stateDir],
      io,
      (this.options.serviceDeps ?? realServiceDeps)(),
    );
    return { ok: code === 0, code, output: lines };
  }

  /** Step 6: start or stop a detached `lattice-agent run` (agent.pid, agent.log). */
  async background(body: z.infer<typeof BackgroundRequest>) {
    await this.#requireJoined();
    if (body.action === "stop") {
      const stopped = await stopDetached(this.stateDir);
      return {
        running: false,
        pid: null,
        note: stopped
          ? "Stopped the agent. Running workloads keep running."
          : "It was not running.",
      };
    }
    const started = await this.#startDetached();
    return {
      running: true,
      pid: started.pid,
      note: started.alreadyRunning
        ? `The agent is already running (pid ${started.pid}).`
        : `Started the agent (pid ${started.pid}); it keeps running after you close this page. ` +
          `Its log: ${this.stateDir}/${LOG_FILE}.`,
    };
  }

  async #startDetached() {
    const deps = (this.options.serviceDeps ?? realServiceDeps)();
    return await startDetached(this.stateDir, [
      ...deps.agentCommand,
      "run",
      "--state-dir",
      this.stateDir,
    ]);
  }

  /**
   * Settings are read when the agent starts: restart a detached one, or the installed service,
   * so it picks them up.
   */
  async #restartDetached(): Promise<"restarted" | "service-restarted" | "service" | "none"> {
    const pid = await runningPid(this.stateDir);
    if (pid !== null) {
      await stopDetached(this.stateDir);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && isAlive(pid)) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await this.#startDetached();
      return "restarted";
    }
    if (!await this.#serviceFileExists()) return "none";
    const quiet = { out: () => {}, err: () => {}, env: this.options.env };
    const deps = (this.options.serviceDeps ?? realServiceDeps)();
    const args = ["--state-dir", this.stateDir];
    try {
      const stopped = await serviceCommand(["stop", ...args], quiet, deps);
      const started = stopped === 0 && await serviceCommand(["start", ...args], quiet, deps);
      return started === 0 ? "service-restarted" : "service";
    } catch {
      return "service";
    }
  }

  /** Step 7: connected? approved? workloads? the last problems with tips. */
  async status() {
    const loaded = await this.#joined();
    const pid = await runningPid(this.stateDir);
    const result = {
      joined: loaded !== null,
      nodeId: loaded?.state.nodeId ?? null,
      name: loaded?.state.name ?? null,
      approval: null as NodeSelf["approval"] | null,
      approvalReason: null as string | null,
      status: null as NodeSelf["status"] | null,
      rank: null as number | null,
      serverError: null as string | null,
      approvalsUrl: loaded ? new URL("/approvals", loaded.state.serverUrl).href : null,
      nodeUrl: loaded
        ? new URL(`/nodes/${loaded.state.nodeId}`, loaded.state.serverUrl).href
        : null,
      agentRunning: pid !== null,
      workloads: null as number | null,
      dockerError: null as string | null,
      problems: [] as ReturnType<typeof lastProblems>,
    };
    if (loaded) {
      try {
        const res = await signedFetch(loaded.state.serverUrl, "/api/v1/agents/self", {
          nodeId: loaded.state.nodeId,
          privateKey: loaded.privateKey,
        }, { signal: AbortSignal.timeout(5000) });
        const body = await res.json().catch(() => null);
        if (!res.ok) throw new Error(body?.error?.message ?? `the server answered ${res.status}`);
        const self = NodeSelf.parse(body);
        result.approval = self.approval;
        result.approvalReason = self.approvalReason;
        result.status = self.status;
        result.rank = self.rank ?? null;
      } catch (err) {
        result.serverError = err instanceof Error ? err.message : String(err);
      }
    }
    try {
      const docker = await DockerClient.connect({
        dockerHost: this.options.env.DOCKER_HOST,
        timeoutMs: 3000,
      });
      try {
        const list = await docker.containerList({ labels: { [LABELS.managed]: "true" } });
        result.workloads = list.filter((c) => c.State === "running").length;
      } finally {
        docker.close();
      }
    } catch (err) {
      result.dockerError = err instanceof Error ? err.message : String(err);
    }
    result.problems = lastProblems(await readTail(`${this.stateDir}/${LOG_FILE}`));
    return result;
  }
}

function emptySignIn(): SignIn {
  return {
    status: "none",
    method: null,
    serverUrl: null,
    userCode: null,
    verificationUriComplete: null,
    message: null,
    token: null,
    abort: null,
  };
}

function restartNote(restarted: "restarted" | "service-restarted" | "service" | "none"): string {
  if (restarted === "restarted") return "The running agent was restarted to use it.";
  if (restarted === "service-restarted") {
    return "The background service was restarted to use it.";
  }
  if (restarted === "service") {
    return "The background service uses it after its next start (Stop, then Start in step 6).";
  }
  return "";
}

/** The last 64 KiB of a file, or "" when there is none. */
async function readTail(path: string, bytes = 64 * 1024): Promise<string> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return "";
  }
  try {
    const size = (await file.stat()).size;
    const start = Math.max(0, size - bytes);
    await file.seek(start, Deno.SeekMode.Start);
    const buf = new Uint8Array(size - start);
    let read = 0;
    while (read < buf.length) {
      const n = await file.read(buf.subarray(read));
      if (n === null) break;
      read += n;
    }
    return new TextDecoder().decode(buf.subarray(0, read));
  } finally {
    file.close();
  }
}
