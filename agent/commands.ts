import type { Logger } from "../lib/log.ts";
import type { Command, CommandError, LogLine, Result } from "../lib/protocol.ts";
import { buildCreateBody } from "./container_body.ts";
import {
  type ContainerCreateBody,
  cpuPercent,
  type DockerClient,
  DockerError,
} from "./docker/mod.ts";
import { findAllocation, inventoryItem } from "./inventory.ts";
import { checkContainer, checkVolume, type LocalPolicy } from "./policy.ts";
import type { AgentEvent } from "../lib/protocol.ts";
import type { Schedule } from "../scheduler/types.ts";
import { hoursRefusal } from "./local_hours.ts";

/** What command handlers need from the agent around them. */
export interface CommandContext {
  nodeId: string;
  policy: LocalPolicy;
  log: Logger;
  /** The Docker client, or null while Docker is unreachable. */
  docker(): DockerClient | null;
  /** Report an event (pull progress) through the buffered channel. */
  event(event: AgentEvent): void;
  /** Send a chunk of a followed log. */
  logs(id: string, lines: LogLine[], done: boolean): void;
  /** Choose a free host port on `hostIp`. */
  freePort?(hostIp: string): number;
  /** The owner's computation hours (null: always); deploy and start wait for them. */
  hours?(): Schedule | null;
  /** The clock the hours are checked against (tests set it). */
  now?(): Date;
}

/** A command failed in a way the server should see: code, message and (for policy) the rule. */
export class CommandFailure extends Error {
  constructor(readonly error: CommandError) {
    super(error.message);
  }
}

/** Pick a free TCP port on an address by letting the kernel choose one. */
export function kernelFreePort(hostIp: string): number {
  const listener = Deno.listen({ hostname: hostIp, port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Runs the server's commands against Docker. Each command id gets exactly one result (a repeat
 * of an id answers the first result again), and deploys of one allocation run one at a time,
 * so a deploy sent twice makes one container.
 */
export class CommandRunner {
  #results = new Map<string, Promise<Result>>();
  #locks = new Map<string, Promise<unknown>>();
  #follows = new Map<string, AbortController>();

  constructor(private readonly ctx: CommandContext) {}

  /** Run a command (or return the result of the earlier run of the same id). */
  run(id: string, command: Command): Promise<Result> {
    const earlier = this.#results.get(id);
    if (earlier) return earlier;
    const result = this.#execute(id, command);
    this.#results.set(id, result);
    if (this.#results.size > 1000) {
      const oldest = this.#results.keys().next().value!;
      this.#results.delete(oldest);
    }
    return result;
  }

  /** Stop a followed log stream. */
  cancel(id: string): void {
    this.#follows.get(id)?.abort();
  }

  /** Stop every followed log stream (shutdown). */
  cancelAll(): void {
    for (const c of this.#follows.values()) c.abort();
  }

  async #execute(id: string, command: Command): Promise<Result> {
    const started = performance.now();
    try {
      const data = await this.#serial(command.allocationId, () => this.#dispatch(id, command));
      this.ctx.log.info("command done", {
        command_id: id,
        action: command.action,
        allocation_id: command.allocationId,
        ms: Math.round(performance.now() - started),
      });
      return { type: "result", id, ok: true, data };
    } catch (err) {
      const error = toCommandError(err);
      this.ctx.log.warn("command failed", {
        command_id: id,
        action: command.action,
        allocation_id: command.allocationId,
        code: error.code,
        rule: error.rule,
        error: error.message,
      });
      return { type: "result", id, ok: false, error };
    }
  }

  async #serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(key) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.#locks.set(key, next);
    try {
      return await next;
    } finally {
      if (this.#locks.get(key) === next) this.#locks.delete(key);
    }
  }

  #docker(): DockerClient {
    const docker = this.ctx.docker();
    if (!docker) {
      throw new CommandFailure({
        code: "docker_unavailable",
        message: "Docker is not reachable on this node right now; the agent retries by itself.",
      });
    }
    return docker;
  }

  async #container(allocationId: string) {
    const c = await findAllocation(this.#docker(), allocationId);
    if (!c || c.Labels?.["dev.lattice.node"] !== this.ctx.nodeId) {
      throw new CommandFailure({
        code: "not_found",
        message: `No container of allocation ${allocationId} on this node.`,
      });
    }
    return c;
  }

  #dispatch(id: string, command: Command): Promise<unknown> {
    const refusal = hoursRefusal(
      command.action,
      this.ctx.hours?.() ?? null,
      this.ctx.now?.() ?? new Date(),
    );
    if (refusal) throw new CommandFailure(refusal);
    switch (command.action) {
      case "deploy":
        return this.#deploy(command);
      case "start":
        return this.#simple(command.allocationId, (d, cid) => d.containerStart(cid));
      case "stop":
        return this.#simple(
          command.allocationId,
          (d, cid) => d.containerStop(cid, { timeoutSeconds: command.timeoutSeconds }),
        );
      case "restart":
        return this.#simple(
          command.allocationId,
          (d, cid) => d.containerRestart(cid, { timeoutSeconds: command.timeoutSeconds }),
        );
      case "remove":
        return this.#remove(command.allocationId, command.volumes);
      case "logs":
        return this.#logs(id, command);
      case "stats":
        return this.#stats(command.allocationId);
    }
  }

  async #simple(
    allocationId: string,
    act: (docker: DockerClient, containerId: string) => Promise<void>,
  ): Promise<unknown> {
    const docker = this.#docker();
    const c = await this.#container(allocationId);
    await act(docker, c.Id);
    const after = await findAllocation(docker, allocationId);
    return {
      containerId: c.Id,
      state: after ? inventoryItem(after)?.state ?? after.State : "removed",
    };
  }

  async #deploy(command: Extract<Command, { action: "deploy" }>): Promise<unknown> {
    const docker = this.#docker();
    const { allocationId, spec } = command;
    // Idempotent by allocation: an existing container is started, never duplicated.
    const existing = await findAllocation(docker, allocationId);
    if (existing) {
      if (existing.Labels?.["dev.lattice.node"] !== this.ctx.nodeId) {
        throw new CommandFailure({
          code: "conflict",
          message: `Allocation ${allocationId} has a container made for another node.`,
        });
      }
      if (existing.State !== "running") await docker.containerStart(existing.Id);
      const item = inventoryItem((await findAllocation(docker, allocationId)) ?? existing);
      return { containerId: existing.Id, created: false, ports: item?.ports ?? [] };
    }
    const info = await docker.info();
    const runtimes = Object.keys(info.Runtimes ?? {});
    const freePort = this.ctx.freePort ?? kernelFreePort;
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const hostPorts = spec.ports.map((p) => freePort(p.hostIp));
      const built = buildCreateBody(spec, {
        nodeId: this.ctx.nodeId,
        allocationId,
        workloadId: command.workloadId ?? null,
        hostPorts,
      });
      const violation = checkContainer(built.body, this.ctx.policy, { dockerRuntimes: runtimes });
      if (violation) {
        throw new CommandFailure({
          code: "policy_refused",
          message: violation.message,
          rule: violation.rule,
        });
      }
      for (const v of built.volumes) {
        const refused = checkVolume(v, this.ctx.policy);
        if (refused) {
          throw new CommandFailure({
            code: "policy_refused",
            message: refused.message,
            rule: refused.rule,
          });
        }
      }
      if (attempt === 0 && !(await docker.imageInspect(spec.image))) {
        await docker.imagePull(spec.image, {
          onProgress: (p) =>
            p.progress === undefined &&
            this.ctx.event({ kind: "pull", image: spec.image, status: p.status.slice(0, 500) }),
        });
      }
      for (const v of built.volumes) await docker.volumeCreate(v);
      try {
        // The body passed the policy check above; Docker's own type is narrower than the policy's view.
        const { id } = await docker.containerCreate(built.name, built.body as ContainerCreateBody);
        try {
          await docker.containerStart(id);
        } catch (err) {
          // A container that cannot start (port taken) is removed so a retry starts clean.
          await docker.containerRemove(id, { force: true }).catch(() => {});
          throw err;
        }
        return {
          containerId: id,
          created: true,
          name: built.name,
          ports: spec.ports.map((p, i) => ({
            container: p.container,
            protocol: p.protocol,
            hostIp: p.hostIp,
            hostPort: hostPorts[i],
          })),
        };
      } catch (err) {
        lastError = err;
        if (err instanceof DockerError && err.code === "port_allocated") continue;
        if (err instanceof DockerError && err.code === "name_conflict") {
          const raced = await findAllocation(docker, allocationId);
          if (raced) {
            return {
              containerId: raced.Id,
              created: false,
              ports: inventoryItem(raced)?.ports ?? [],
            };
          }
        }
        throw err;
      }
    }
    throw lastError;
  }

  async #remove(allocationId: string, volumes: boolean): Promise<unknown> {
    const docker = this.#docker();
    const c = await findAllocation(docker, allocationId);
    if (!c) return { removed: false, reason: "no container" };
    if (c.Labels?.["dev.lattice.node"] !== this.ctx.nodeId) {
      throw new CommandFailure({
        code: "not_found",
        message: `No container of allocation ${allocationId} on this node.`,
      });
    }
    await docker.containerRemove(c.Id, { force: true, volumes });
    return { removed: true, containerId: c.Id };
  }

  async #stats(allocationId: string): Promise<unknown> {
    const docker = this.#docker();
    const c = await this.#container(allocationId);
    let s = await docker.containerStats(c.Id);
    let cpu = s.cpuPercent;
    // Without a baseline, a second sample a moment later gives CPU % over that moment.
    if (cpu === null && c.State === "running") {
      const first = s;
      await new Promise((r) => setTimeout(r, 250));
      s = await docker.containerStats(c.Id);
      cpu = cpuPercent({ ...s, precpu_stats: first.cpu_stats });
    }
    return {
      containerId: c.Id,
      cpuPercent: cpu,
      memoryBytes: s.memoryBytes,
      memoryLimitBytes: s.memoryLimitBytes,
      pids: s.pids_stats?.current ?? null,
    };
  }

  async #logs(id: string, command: Extract<Command, { action: "logs" }>): Promise<unknown> {
    const docker = this.#docker();
    const c = await this.#container(command.allocationId);
    const options = {
      tail: command.tail,
      since: command.since,
      timestamps: command.timestamps,
      follow: command.follow,
    };
    if (!command.follow) {
      const lines: LogLine[] = [];
      for await (const line of docker.containerLogs(c.Id, options)) lines.push(line);
      return { containerId: c.Id, lines };
    }
    const abort = new AbortController();
    this.#follows.set(id, abort);
    // Followed logs stream in chunks; the result is the final chunk, sent by the caller.
    void (async () => {
      let batch: LogLine[] = [];
      let timer: ReturnType<typeof setTimeout> | undefined;
      const flush = () => {
        clearTimeout(timer);
        timer = undefined;
        if (batch.length > 0) this.ctx.logs(id, batch, false);
        batch = [];
      };
      try {
        for await (const line of docker.containerLogs(c.Id, { ...options, signal: abort.signal })) {
          batch.push(line);
          if (batch.length >= 200) flush();
          else timer ??= setTimeout(flush, 100);
        }
      } catch (err) {
        if (!abort.signal.aborted) {
          this.ctx.log.warn("log follow ended", { command_id: id, error: String(err) });
        }
      } finally {
        flush();
        this.#follows.delete(id);
        this.ctx.logs(id, [], true);
      }
    })();
    return FOLLOWING;
  }
}

/** Marker: a followed log answers with chunks, not with a result. */
export const FOLLOWING = Symbol("following");

/** Turn any failure into the protocol's error, keeping Docker's message. */
export function toCommandError(err: unknown): CommandError {
  if (err instanceof CommandFailure) return err.error;
  if (err instanceof DockerError) {
    return { code: err.code, message: err.message.slice(0, 4000) };
  }
  return {
    code: "agent_error",
    message: (err instanceof Error ? err.message : String(err)).slice(0, 4000),
  };
}
