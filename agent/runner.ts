import type { Logger } from "../lib/log.ts";
import {
  type AgentEvent,
  AgentMessage,
  type EventMessage,
  type Heartbeat,
  type Hello,
  type LabelMap,
  LABELS,
  type Metrics,
  PROTOCOL_VERSION,
} from "../lib/protocol.ts";
import { VERSION } from "../lib/version.ts";
import { backoffDelay } from "../lib/backoff.ts";
import { AgentConnection, type RunOutcome } from "./connection.ts";
import { CommandRunner, FOLLOWING } from "./commands.ts";
import { DockerClient, type DockerEvent } from "./docker/mod.ts";
import { isAllocationId, readInventory, toContainerState } from "./inventory.ts";
import { Outbox } from "./outbox.ts";
import type { LocalPolicy } from "./policy.ts";
import { helloSettings, type SavedSettings } from "./settings_flags.ts";
import type { KeepAwake } from "./keep_awake.ts";
import { type AwakeHours, startAwakeHours } from "./awake_hours.ts";
import { dockerCapabilities, gatherCapabilities } from "./capabilities.ts";
import { createMetricsSampler } from "./system/metrics.ts";

/** Heartbeats carry per-container stats for at most this many containers. */
const MAX_SAMPLED_CONTAINERS = 50;

/** Everything `lattice-agent run` needs. */
export interface RunnerOptions {
  stateDir: string;
  serverUrl: string;
  nodeId: string;
  privateKey: CryptoKey;
  labels: LabelMap;
  policy: LocalPolicy;
  /** The owner's hours and offer (`--hours`, `--max-cpu`…): sent in hello, hours enforced. */
  settings?: SavedSettings | null;
  /** Held while inside the hours when `settings.keepAwake` is on (`--keep-awake`). */
  keepAwake?: KeepAwake | null;
  log: Logger;
  dockerHost?: string;
  /** Tests shorten the backoff. */
  backoff?: { baseMs?: number; capMs?: number };
  /** Print human messages (pending approval, refusal) here. */
  say?: (line: string) => void;
}

/**
 * The running agent: one control-plane session, Docker watched for health and events,
 * heartbeats every interval, commands executed, and every record buffered on disk until the
 * server acknowledges it.
 */
export class AgentRunner {
  #docker: DockerClient | null = null;
  #dockerError: string | null = null;
  #outbox!: Outbox;
  #connection!: AgentConnection;
  #commands!: CommandRunner;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #intervalMs = 5000;
  #stop = new AbortController();
  #sampler = createMetricsSampler({ diskPath: "/" });
  #dockerLoop: Promise<void> | null = null;
  #capabilities: Hello["capabilities"] | null = null;
  #dockerUp = Promise.withResolvers<void>();
  #awake: AwakeHours | null = null;

  constructor(private readonly options: RunnerOptions) {}

  /** Run until stopped (SIGTERM) or refused by the server. Containers keep running either way. */
  async run(): Promise<RunOutcome> {
    const { log } = this.options;
    this.#outbox = await Outbox.open(this.options.stateDir);
    this.#commands = new CommandRunner({
      nodeId: this.options.nodeId,
      policy: this.options.policy,
      log,
      docker: () => this.#docker,
      event: (e) => this.#event(e),
      logs: (id, lines, done) => this.#connection.send({ type: "logs", id, lines, done }),
      hours: () => this.options.settings?.schedule ?? null,
    });
    this.#connection = new AgentConnection({
      serverUrl: this.options.serverUrl,
      nodeId: this.options.nodeId,
      privateKey: this.options.privateKey,
      log,
      backoff: this.options.backoff,
    }, {
      hello: () => this.#hello(),
      welcome: (w) => {
        this.#intervalMs = w.heartbeatIntervalMs;
        this.#outbox.ack(w.ackedSeq);
        log.info("connected to the control plane", {
          node_id: w.nodeId,
          heartbeat_ms: w.heartbeatIntervalMs,
          buffered: this.#outbox.size,
        });
        this.options.say?.(`Connected to ${this.options.serverUrl} as node ${w.nodeId}.`);
        this.#flushOutbox();
        this.#startHeartbeats();
      },
      pending: (message) => {
        log.info("waiting for approval", { message });
        this.options.say?.(message);
      },
      ack: (seq) => this.#outbox.ack(seq),
      command: (m) => {
        void this.#commands.run(m.id, m.command).then((result) => {
          if (result.ok && result.data === FOLLOWING) return;
          this.#connection.send(result);
        });
      },
      cancel: (id) => this.#commands.cancel(id),
      disconnected: (reason) => {
        clearInterval(this.#heartbeatTimer);
        this.#heartbeatTimer = undefined;
        log.debug("session ended", { reason });
      },
    });
    // Stopped while the outbox was opening (a SIGTERM at start-up): do not connect at all.
    if (this.#stop.signal.aborted) this.#connection.stop();
    this.#dockerLoop = this.#watchDocker();
    if (this.options.settings?.keepAwake && this.options.keepAwake) {
      this.#awake = startAwakeHours({
        keepAwake: this.options.keepAwake,
        schedule: () => this.options.settings?.schedule ?? null,
        log,
      });
    }
    const outcome = await this.#connection.run();
    await this.close();
    return outcome;
  }

  /** Stop: close the session, stop watching Docker, write the buffer. Workloads keep running. */
  stop(): void {
    this.#stop.abort();
    this.#awake?.stop();
    this.#connection?.stop();
  }

  /** Release everything (after run returns). */
  async close(): Promise<void> {
    this.#stop.abort();
    clearInterval(this.#heartbeatTimer);
    this.#awake?.stop();
    this.#awake = null;
    this.#commands?.cancelAll();
    await this.#dockerLoop?.catch(() => {});
    await this.#outbox?.close();
    this.#docker?.close();
    this.#docker = null;
  }

  async #hello(): Promise<Hello> {
    // Docker usually answers within milliseconds of start; give it a moment so the first hello
    // reports it, but never hold the session back for long.
    if (!this.#docker) await Promise.race([this.#dockerUp.promise, delay(2000, this.#stop.signal)]);
    // Host, GPUs and bandwidth change rarely: measured once. Docker is asked on every hello.
    this.#capabilities ??= await gatherCapabilities({
      docker: null,
      serverUrl: this.options.serverUrl,
      nodeId: this.options.nodeId,
      privateKey: this.options.privateKey,
      log: this.options.log,
    });
    let capabilities = this.#capabilities;
    let inventory: Hello["inventory"] = [];
    const docker = this.#docker;
    if (docker) {
      const [dockerPart, items] = await Promise.all([
        dockerCapabilities(docker).catch(() => null),
        readInventory(docker, this.options.nodeId).catch(() => []),
      ]);
      inventory = items;
      if (dockerPart) capabilities = { ...capabilities, ...dockerPart };
    }
    return {
      type: "hello",
      protocol: PROTOCOL_VERSION,
      nodeId: this.options.nodeId,
      agentVersion: VERSION,
      capabilities,
      labels: this.options.labels,
      inventory,
      ...(this.options.settings ? { settings: helloSettings(this.options.settings) } : {}),
    };
  }

  #flushOutbox(): void {
    const drop = this.#outbox.takeDropReport();
    if (drop) {
      this.options.log.warn("the offline buffer was full; oldest records were dropped", drop);
      this.#event({ kind: "dropped", count: drop.count, fromSeq: drop.fromSeq, toSeq: drop.toSeq });
    }
    for (const record of this.#outbox.pending()) {
      if (!this.#connection.send(record)) return;
    }
  }

  #append(record: Heartbeat | EventMessage): void {
    // The server closes a session on any invalid message: never buffer or send one.
    const checked = AgentMessage.safeParse(record);
    if (!checked.success) {
      this.options.log.error("dropped a record that does not match the protocol", {
        type: record.type,
        issue: checked.error.issues[0]?.message,
        path: checked.error.issues[0]?.path.join("."),
      });
      return;
    }
    this.#outbox.append(record);
    this.#connection.send(record);
  }

  #event(event: AgentEvent): void {
    this.#append({ type: "event", seq: this.#outbox.next(), at: new Date().toISOString(), event });
  }

  #startHeartbeats(): void {
    clearInterval(this.#heartbeatTimer);
    void this.#heartbeat();
    this.#heartbeatTimer = setInterval(() => void this.#heartbeat(), this.#intervalMs);
  }

  async #heartbeat(): Promise<void> {
    try {
      const metrics = await this.#metrics();
      this.#append({
        type: "heartbeat",
        seq: this.#outbox.next(),
        at: new Date().toISOString(),
        metrics,
      });
    } catch (err) {
      this.options.log.warn("heartbeat failed", { error: String(err) });
    }
  }

  async #metrics(): Promise<Metrics> {
    const host = await this.#sampler.sample();
    let docker: Metrics["docker"] = {
      healthy: false,
      error: this.#dockerError ?? "Docker is not connected",
      containers: 0,
      running: 0,
    };
    const containers: Metrics["containers"] = [];
    if (this.#docker) {
      try {
        const list = await this.#docker.containerList({
          all: true,
          labels: { [LABELS.managed]: "true", [LABELS.node]: this.options.nodeId },
        });
        const running = list.filter((c) => c.State === "running");
        docker = { healthy: true, containers: list.length, running: running.length };
        // One-shot samples; the client keeps the previous one per container, so CPU % is over
        // the heartbeat interval, as `docker stats` would show it.
        const sampled = await Promise.all(
          running.slice(0, MAX_SAMPLED_CONTAINERS).map(async (c) => {
            const allocationId = c.Labels?.[LABELS.allocation];
            if (!isAllocationId(allocationId)) return null;
            try {
              const s = await this.#docker!.containerStats(c.Id);
              return {
                allocationId,
                cpuPercent: s.cpuPercent ?? 0,
                memoryBytes: s.memoryBytes,
                memoryLimitBytes: s.memoryLimitBytes,
              };
            } catch {
              return null; // the container stopped between the list and the sample
            }
          }),
        );
        for (const s of sampled) if (s) containers.push(s);
      } catch (err) {
        docker = { healthy: false, error: String(err).slice(0, 2000), containers: 0, running: 0 };
      }
    }
    return { ...host, docker, containers };
  }

  /** Keep a Docker client while Docker is up; report health changes and container events. */
  async #watchDocker(): Promise<void> {
    const { log } = this.options;
    let attempt = 0;
    let reportedHealthy: boolean | null = null;
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        const docker = this.#docker ??
          await DockerClient.connect({ dockerHost: this.options.dockerHost });
        this.#docker = docker;
        await docker.ping();
        this.#dockerUp.resolve();
        if (reportedHealthy !== true) {
          reportedHealthy = true;
          this.#dockerError = null;
          log.info("Docker is reachable", { api_version: docker.apiVersion });
          this.#event({ kind: "docker", healthy: true });
          // Anything may have changed while Docker was away: send a fresh inventory.
          const items = await readInventory(docker, this.options.nodeId);
          this.#connection.send({ type: "inventory", items });
        }
        attempt = 0;
        for await (
          const e of docker.events({
            labels: { [LABELS.managed]: "true" },
            type: ["container"],
            signal,
          })
        ) {
          this.#containerEvent(e);
        }
        if (!signal.aborted) throw new Error("Docker's event stream ended");
      } catch (err) {
        if (signal.aborted) break;
        const message = err instanceof Error ? err.message : String(err);
        this.#dockerError = message;
        this.#docker?.close();
        this.#docker = null;
        if (reportedHealthy !== false) {
          reportedHealthy = false;
          log.warn("Docker is not reachable; workloads cannot be managed until it returns", {
            error: message,
          });
          this.#event({ kind: "docker", healthy: false, error: message.slice(0, 2000) });
          void this.#heartbeat();
        }
        const delay = backoffDelay(attempt++, { baseMs: 250, capMs: 5000 });
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          signal.addEventListener("abort", () => {
            clearTimeout(t);
            resolve();
          }, { once: true });
        });
      }
    }
  }

  #containerEvent(e: DockerEvent): void {
    const labels = e.Actor?.Attributes ?? {};
    const allocationId = labels[LABELS.allocation];
    if (!isAllocationId(allocationId) || labels[LABELS.node] !== this.options.nodeId) return;
    const action = (e.Action ?? e.status ?? "").split(":")[0];
    const state = STATE_OF_ACTION[action];
    if (!state) return;
    const exit = labels.exitCode;
    const containerId = e.Actor?.ID ?? e.id ?? "";
    if (!/^[0-9a-f]{12,64}$/.test(containerId)) return;
    this.#event({
      kind: "container",
      allocationId,
      containerId,
      state: toContainerState(state),
      exitCode: exit !== undefined ? Number(exit) : null,
      action,
    });
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

/** Docker event actions that change a container's state, and the state they lead to. */
const STATE_OF_ACTION: Record<string, string> = {
  create: "created",
  start: "running",
  restart: "running",
  unpause: "running",
  pause: "paused",
  die: "exited",
  stop: "exited",
  kill: "exited",
  oom: "exited",
  destroy: "removed",
};
