/**
 * A harness for workload tests over real WebSockets with simulated nodes: SimNode answers the
 * scheduler's commands the way an agent would (without Docker), so placement, failure and
 * rescheduling rules run in seconds. The real agent with real Docker runs the same flows in
 * tests/workloads_e2e_test.ts.
 */
import assert from "node:assert/strict";
import { signUp, type TestApp } from "./app.ts";
import { createJoinToken, SimAgent } from "./sim_agent.ts";
import { waitFor } from "./server.ts";
import type { Command, Hello, ServerMessage } from "../../lib/protocol.ts";

/** Short timings so lifecycle rules play out in seconds. */
export const FAST = {
  env: { LATTICE_REGISTRATION: "open" },
  hub: { heartbeatIntervalMs: 200, sweepEveryMs: 50 },
  scheduler: {
    lostGraceMs: 1_000,
    reconcileEveryMs: 300,
    healthyAfterMs: 200,
    retryBaseMs: 50,
    maxDeployFailures: 2,
  },
};

export type Answer = (command: Command) => { ok: true; data: unknown } | {
  ok: false;
  error: { code: string; message: string };
};

/** A simulated node that heartbeats and answers every command with `answer`. */
export class SimNode {
  commands: Command[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  constructor(readonly agent: SimAgent, public answer: Answer) {}

  start(): void {
    const ws = this.agent.socket!;
    const previous = ws.onmessage!;
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data) as ServerMessage;
      if (msg.type === "command") {
        this.commands.push(msg.command);
        const command = msg.command;
        const reply = this.answer(command);
        this.agent.send({ type: "result", id: msg.id, ...reply });
        // Docker's events, as the agent forwards them: the container runs or has stopped.
        if (reply.ok && (command.action === "deploy" || command.action === "start")) {
          this.#containerEvent(command.allocationId, "running", "start");
        } else if (reply.ok && command.action === "stop") {
          this.#containerEvent(command.allocationId, "exited", "stop");
        }
        return;
      }
      previous.call(ws, e);
    };
    this.#timer = setInterval(() => this.agent.heartbeat(), 100);
  }

  #containerEvent(allocationId: string, state: "running" | "exited", action: string): void {
    this.agent.send({
      type: "event",
      seq: ++this.agent.seq,
      at: new Date().toISOString(),
      event: { kind: "container", allocationId, containerId: "c".repeat(64), state, action },
    });
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.agent.close();
  }

  deploys(): Extract<Command, { action: "deploy" }>[] {
    return this.commands.filter((c) => c.action === "deploy") as never;
  }
}

export const okAnswer: Answer = (command) => {
  if (command.action === "deploy") {
    return {
      ok: true,
      data: {
        containerId: "c".repeat(64),
        created: true,
        ports: command.spec.ports.map((p, i) => ({ ...p, hostPort: 40000 + i })),
      },
    };
  }
  return { ok: true, data: {} };
};

export async function setup(app: TestApp) {
  const { token } = await signUp(app);
  const baseUrl = app.listen();
  const joinToken = await createJoinToken(baseUrl, token);
  const api = (path: string, init: RequestInit = {}, bearer = token) =>
    fetch(`${baseUrl}/api/v1${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${bearer}`,
        "content-type": "application/json",
        ...init.headers,
      },
    });
  const nodes: SimNode[] = [];
  /** A node that joins, is approved and says hello (with `hello` overriding its fields). */
  const node = async (name: string, answer: Answer = okAnswer, hello: Partial<Hello> = {}) => {
    const agent = await SimAgent.join(baseUrl, joinToken, name);
    const res = await api(`/nodes/${agent.nodeId}/approve`, { method: "POST", body: "{}" });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal((await agent.handshake(hello)).type, "welcome");
    const n = new SimNode(agent, answer);
    n.start();
    nodes.push(n);
    return n;
  };
  const workload = async (id: string, bearer = token) => {
    const res = await api(`/workloads/${id}`, {}, bearer);
    assert.equal(res.status, 200);
    return (await res.json()).workload;
  };
  const until = async (
    id: string,
    check: (w: Record<string, unknown>) => boolean,
    what: string,
  ) => {
    let last: Record<string, unknown> = {};
    await waitFor(async () => check(last = await workload(id)), { timeoutMs: 15_000, what })
      .catch((err) => {
        throw new Error(`${err.message}; last: ${JSON.stringify(last).slice(0, 1500)}`);
      });
    return last;
  };
  return { baseUrl, api, node, nodes, workload, until, token };
}

export async function withSetup(
  app: TestApp,
  fn: (s: Awaited<ReturnType<typeof setup>>) => Promise<void>,
) {
  const s = await setup(app);
  try {
    await fn(s);
  } finally {
    for (const n of s.nodes) n.stop();
  }
}
