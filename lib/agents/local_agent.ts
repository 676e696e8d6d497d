/**
 * "Add this machine": the control plane starts one agent on its own host, joined to itself, so
 * one person can try the whole platform on one computer. The agent is the bundle the join page
 * serves (`agentBundle()`), written to `<data dir>/local-agent/lattice-agent.js` and run with
 * `deno run`: the same file works from a source tree and from a deployed server, and every
 * (re)start runs the agent that matches this server's version. The same dir is the agent's
 * state dir, so a restarted server finds `state.json` there and starts the agent again.
 *
 * The decisions (is it available, which command line, which deno, what a log line means) are pure
 * functions in local_agent_rules.ts; this supervisor holds the child process and restarts it.
 */
import { backoffDelay } from "../backoff.ts";
import { ConflictError, ForbiddenError } from "../errors.ts";
import type { Principal, RequestMeta } from "../auth/principal.ts";
import type { Logger } from "../log.ts";
import type { LocalAgentStatus } from "../api/local_agent_schemas.ts";
import { AgentState } from "../../agent/state.ts";
import { DockerClient, resolveDockerTarget } from "../../agent/docker/mod.ts";
import type { Node } from "../../db/nodes.ts";
import {
  agentArgs,
  type Availability,
  childLogEntry,
  chooseDeno,
  decideAvailability,
  type DockerProbe,
  type LocalAgentMode,
  probeFromError,
} from "./local_agent_rules.ts";

/** Look at the Docker Engine this machine's agent would use (DOCKER_HOST or the default). */
export async function probeDocker(): Promise<DockerProbe> {
  let target = "DOCKER_HOST";
  try {
    const resolved = resolveDockerTarget();
    target = resolved.label;
    if (resolved.socketPath) await Deno.stat(resolved.socketPath);
  } catch (err) {
    return probeFromError(err, target);
  }
  let client: DockerClient | null = null;
  try {
    client = await DockerClient.connect({ timeoutMs: 3000 });
    return { kind: "ok" };
  } catch (err) {
    return probeFromError(err, target);
  } finally {
    client?.close();
  }
}

/** What the supervisor needs; the defaults are the real machine. */
export interface LocalAgentDeps {
  mode: LocalAgentMode;
  /** The control plane's data dir; the agent lives in `<dataDir>/local-agent`. */
  dataDir: string;
  /** Where the agent reaches this server (its loopback URL). */
  serverUrl: string;
  log: Logger;
  /** Token creation and approval, as the admin who clicked (the node service). */
  nodes: () => {
    createJoinToken(
      principal: Principal,
      input: { poolId?: string; description?: string; expiresInHours?: number; maxUses?: number },
      meta: RequestMeta,
    ): Promise<{ secret: string }>;
    decideNode(
      principal: Principal,
      id: string,
      decision: { action: "approve" },
      meta: RequestMeta,
    ): Promise<unknown>;
  };
  /** The node record, for the status (null when missing). */
  getNode: (id: string) => Promise<Node | null>;
  bundle: () => Promise<Uint8Array>;
  probeDocker?: () => Promise<DockerProbe>;
  /** The deno to start, or null when this process may not start programs. */
  deno?: () => string | null;
  restart?: { baseMs?: number; capMs?: number };
}

/** The agent exits with 3 when the control plane refuses the node: restarting will not help. */
const EXIT_REFUSED = 3;
/** A child that ran this long is considered healthy: its next failure restarts quickly again. */
const HEALTHY_AFTER_MS = 60_000;
const STOP_GRACE_MS = 15_000;
const STOPPED_MARK = ".stopped-by-server";

/** Supervises the one local agent process: join, approve, run, restart, stop. */
export class LocalAgent {
  readonly dir: string;
  #state: LocalAgentStatus["state"] = "none";
  #nodeId: string | null = null;
  #lastError: string | null = null;
  #child: Deno.ChildProcess | null = null;
  #children = new Set<Deno.ChildProcess>();
  #job: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  #closed = false;
  #log: Logger;

  constructor(private readonly deps: LocalAgentDeps) {
    this.dir = `${deps.dataDir.replace(/\/+$/, "")}/local-agent`;
    this.#log = deps.log.child({ component: "local-agent" });
  }

  /** Whether "Add this machine" can work here, and why not. */
  async availability(): Promise<Availability> {
    const { mode } = this.deps;
    if (mode === "off") return decideAvailability({ mode, docker: null, deno: null });
    const deno = this.#deno();
    const docker = deno === null ? null : await (this.deps.probeDocker ?? probeDocker)();
    return decideAvailability({ mode, docker, deno });
  }

  /** The status the API and the dashboard show. */
  async status(): Promise<LocalAgentStatus> {
    const [availability, node] = await Promise.all([
      this.availability(),
      this.#nodeId ? this.deps.getNode(this.#nodeId) : null,
    ]);
    return {
      ...availability,
      state: this.#state,
      nodeId: this.#nodeId,
      node: node ? { name: node.name, approval: node.approval, status: node.status } : null,
      lastError: this.#lastError,
      pid: this.#child?.pid ?? null,
    };
  }

  /**
   * Join this machine (a single-use token, then approval as the admin who clicked) and start
   * its agent. While it is starting or running, nothing new happens.
   */
  async add(
    principal: Principal,
    input: { poolId?: string },
    meta: RequestMeta,
  ): Promise<LocalAgentStatus> {
    if (principal.role !== "admin") throw new ForbiddenError("Only admins can add this machine");
    if (this.#closed) throw new ConflictError("Cannot add this machine: the server is stopping");
    if (this.#busy()) return await this.status();
    const availability = await this.availability();
    if (!availability.available) {
      throw new ConflictError(`Cannot add this machine: ${availability.reason}`, {
        reason: availability.reason,
      });
    }
    // Checked again after the await: two clicks at once start one agent.
    if (!this.#busy()) {
      this.#begin(() => this.#joinThenRun(principal, input, meta));
    }
    return await this.status();
  }

  /** At server start: run the agent again when it joined before and was not stopped. */
  async resume(): Promise<void> {
    if (this.deps.mode === "off") return;
    const nodeId = await this.#joinedNodeId();
    if (!nodeId) return;
    this.#nodeId = nodeId;
    if (await exists(`${this.dir}/${STOPPED_MARK}`)) {
      this.#state = "stopped";
      return;
    }
    this.#log.info("starting the local agent again", { node_id: nodeId });
    this.#begin(async () => {
      await this.#writeBundle();
      this.#startRun();
    });
  }

  /** Stop the agent (it stays joined; its workloads keep running) until added again. */
  async remove(): Promise<LocalAgentStatus> {
    await this.#job?.catch(() => {});
    await Deno.writeTextFile(`${this.dir}/${STOPPED_MARK}`, new Date().toISOString() + "\n")
      .catch((err) => {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      });
    await this.#stopChildren();
    if (this.#state !== "none") this.#state = "stopped";
    return await this.status();
  }

  /** On server shutdown: SIGTERM the agent and wait for it (workloads keep running). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#stopChildren();
    await this.#job?.catch(() => {});
    if (this.#state === "running" || this.#state === "starting") this.#state = "stopped";
  }

  #busy(): boolean {
    return this.#state === "starting" || this.#state === "running";
  }

  #deno(): string | null {
    return (this.deps.deno ?? (() =>
      chooseDeno(
        Deno.execPath(),
        (command) => Deno.permissions.querySync({ name: "run", command }).state === "granted",
      )))();
  }

  #begin(job: () => Promise<void>): void {
    this.#state = "starting";
    this.#lastError = null;
    this.#job = job().catch((err) => {
      this.#state = "failed";
      this.#lastError = err instanceof Error ? err.message : String(err);
      this.#log.error("the local agent did not start", { error: this.#lastError });
    }).finally(() => {
      this.#job = null;
    });
  }

  async #joinThenRun(principal: Principal, input: { poolId?: string }, meta: RequestMeta) {
    await Deno.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.#writeBundle();
    let nodeId = await this.#joinedNodeId();
    if (!nodeId) {
      const { secret } = await this.deps.nodes().createJoinToken(principal, {
        poolId: input.poolId,
        description: "This machine (Add this machine)",
        expiresInHours: 1,
        maxUses: 1,
      }, meta);
      const out = await this.#spawnJoin(secret);
      if (out.code !== 0) {
        throw new Error(`Joining failed: ${lastLine(out.text) ?? `exit code ${out.code}`}`);
      }
      nodeId = await this.#joinedNodeId();
      if (!nodeId) throw new Error(`Joining did not leave a node identity in ${this.dir}`);
      this.#log.info("this machine joined", { node_id: nodeId });
    }
    this.#nodeId = nodeId;
    // The admin clicked: that is the approval (approving an approved node changes nothing).
    await this.deps.nodes().decideNode(principal, nodeId, { action: "approve" }, meta);
    await Deno.remove(`${this.dir}/${STOPPED_MARK}`).catch(() => {});
    this.#startRun();
  }

  async #spawnJoin(token: string): Promise<{ code: number; text: string }> {
    const deno = this.#deno();
    if (!deno) throw new Error("This server may not start programs (--allow-run)");
    const child = new Deno.Command(deno, {
      args: agentArgs({ command: "join", serverUrl: this.deps.serverUrl }, this.#paths()),
      cwd: this.dir,
      // The token in the environment, not the arguments: other users can read the process list.
      env: { LATTICE_JOIN_TOKEN: token, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#children.add(child);
    try {
      const [stdout, stderr] = await Promise.all([
        this.#pump(child.stdout, "stdout"),
        this.#pump(child.stderr, "stderr"),
      ]);
      const status = await child.status;
      return { code: status.code, text: `${stdout}\n${stderr}` };
    } finally {
      this.#children.delete(child);
    }
  }

  #startRun(): void {
    if (this.#closed) return;
    const deno = this.#deno();
    if (!deno) throw new Error("This server may not start programs (--allow-run)");
    const child = new Deno.Command(deno, {
      args: agentArgs({ command: "run" }, this.#paths()),
      cwd: this.dir,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const startedAt = Date.now();
    this.#child = child;
    this.#children.add(child);
    this.#state = "running";
    this.#log.info("local agent started", { pid: child.pid, node_id: this.#nodeId });
    const output = Promise.all([
      this.#pump(child.stdout, "stdout"),
      this.#pump(child.stderr, "stderr"),
    ]);
    void child.status.then(async (status) => {
      const [, stderr] = await output;
      this.#children.delete(child);
      this.#exited(child, status.code, stderr, Date.now() - startedAt);
    });
  }

  #exited(child: Deno.ChildProcess, code: number, stderr: string, ranMs: number): void {
    if (this.#child !== child) return;
    this.#child = null;
    if (this.#closed || this.#state === "stopped") {
      this.#log.info("local agent stopped", { pid: child.pid, code });
      this.#state = "stopped";
      return;
    }
    const why = lastLine(stderr);
    this.#lastError = `The agent exited with code ${code}${why ? `: ${why}` : ""}`;
    if (code === EXIT_REFUSED) {
      this.#state = "failed";
      this.#log.error("local agent refused by the control plane", { code, error: why });
      return;
    }
    this.#attempt = ranMs >= HEALTHY_AFTER_MS ? 0 : this.#attempt + 1;
    const delay = Math.round(backoffDelay(this.#attempt, {
      baseMs: this.deps.restart?.baseMs ?? 1000,
      capMs: this.deps.restart?.capMs ?? 60_000,
    }));
    this.#state = "starting";
    this.#log.warn("local agent exited; restarting", { code, delay_ms: delay, error: why });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      try {
        this.#startRun();
      } catch (err) {
        this.#state = "failed";
        this.#lastError = err instanceof Error ? err.message : String(err);
      }
    }, delay);
  }

  async #stopChildren(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#child) this.#state = "stopped";
    await Promise.all([...this.#children].map(async (child) => {
      try {
        child.kill("SIGTERM");
      } catch {
        // It has exited already.
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const graceful = await Promise.race([
        child.status.then(() => true),
        new Promise<false>((r) => timer = setTimeout(() => r(false), STOP_GRACE_MS)),
      ]);
      clearTimeout(timer);
      if (!graceful) {
        this.#log.warn("local agent did not stop in time; killing it", { pid: child.pid });
        try {
          child.kill("SIGKILL");
        } catch {
          // Gone in the meantime.
        }
        await child.status;
      }
    }));
  }

  /** Log each line the child prints; returns its stderr (or stdout) text. */
  async #pump(stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr"): Promise<string> {
    let text = "";
    let pending = "";
    const decoder = new TextDecoder();
    const emit = (line: string) => {
      if (line.trim() === "") return;
      const entry = childLogEntry(line, name);
      this.#log[entry.level](entry.msg, entry.fields);
      // Keep the tail only: a long-running agent prints for days.
      text = (text + line + "\n").slice(-4000);
    };
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      lines.forEach(emit);
    }
    emit(pending + decoder.decode());
    return text;
  }

  #paths() {
    return { script: `${this.dir}/lattice-agent.js`, stateDir: this.dir };
  }

  async #writeBundle(): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = this.#paths().script;
    const temp = `${path}.tmp-${crypto.randomUUID()}`;
    await Deno.writeFile(temp, await this.deps.bundle(), { mode: 0o600 });
    await Deno.rename(temp, path);
  }

  async #joinedNodeId(): Promise<string | null> {
    let text: string;
    try {
      text = await Deno.readTextFile(`${this.dir}/state.json`);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
    return AgentState.parse(JSON.parse(text)).nodeId;
  }
}

function lastLine(text: string): string | null {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  return lines.at(-1)?.replace(/^lattice-agent: /, "") ?? null;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
