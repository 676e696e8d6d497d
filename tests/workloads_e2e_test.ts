/**
 * Workloads end to end with real parts: a control plane process, two real agents (bundled, with
 * separate state dirs and identities) on the one real Docker Engine, images built locally. The
 * Postgres template is deployed and queried through its connection string; two replicas with
 * anti-affinity land on both nodes; a killed agent's stateless workload moves to the other
 * node and its stale container goes when the agent returns; a missing image fails with
 * Docker's reason.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { DockerClient } from "../agent/docker/mod.ts";
import { LABELS } from "../lib/protocol.ts";
import { ensureBusyboxImage } from "./helpers/images.ts";
import { ensureServiceImage } from "./helpers/service_images.ts";
import { type AgentProcess, runAgent, startAgent } from "./helpers/agent_process.ts";
import { type ServerProcess, signUpAdmin, startServer, waitFor } from "./helpers/server.ts";

const SOCK = Deno.env.get("LATTICE_TEST_DOCKER_SOCK") ?? "/var/run/docker.sock";
const HEARTBEAT_MS = 500;
const GRACE_S = 5;

Deno.test("workloads run on two real agents: postgres, spread replicas, failover, bad image", async (t) => {
  const docker = await DockerClient.connect({ socketPath: SOCK });
  const busybox = await ensureBusyboxImage(docker);
  await ensureServiceImage(docker, "postgres:16");
  const removeManaged = async () => {
    for (
      const c of await docker.containerList({ all: true, labels: { [LABELS.managed]: "true" } })
    ) {
      await docker.containerRemove(c.Id, { force: true, volumes: true });
    }
  };
  await removeManaged();
  const server: ServerProcess = await startServer({
    env: {
      LATTICE_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
      LATTICE_NODE_LOST_GRACE_SECONDS: String(GRACE_S),
    },
  });
  let token = "";
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    });
    const body = res.headers.get("content-type")?.includes("json")
      ? await res.json()
      : await res.text();
    return { status: res.status, body };
  };
  type W = {
    id: string;
    status: string;
    statusReason: string | null;
    allocations: { id: string; nodeId: string; state: string }[];
  };
  const workload = async (id: string): Promise<W> => (await api(`/workloads/${id}`)).body.workload;
  const until = async (id: string, check: (w: W) => boolean, what: string, timeoutMs = 60_000) => {
    let last: W | null = null;
    await waitFor(async () => check(last = await workload(id)), { timeoutMs, what }).catch(
      (err) => {
        throw new Error(`${err.message}; last: ${JSON.stringify(last)}`);
      },
    );
    return last!;
  };
  const create = async (spec: Record<string, unknown>) => {
    const res = await api("/workloads", { method: "POST", body: JSON.stringify(spec) });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.workload as W;
  };
  const agents: { name: string; env: Record<string, string>; nodeId: string; p: AgentProcess }[] =
    [];

  try {
    await t.step("an admin signs up and two agents join and are approved", async () => {
      token = await signUpAdmin(server.url);
      const joinToken = (await api("/join-tokens", {
        method: "POST",
        body: JSON.stringify({ maxUses: 2 }),
      })).body.secret;
      for (const name of ["node-a", "node-b"]) {
        const env = {
          LATTICE_AGENT_STATE_DIR: await Deno.makeTempDir({ prefix: `lattice-${name}-` }),
          DOCKER_HOST: `unix://${SOCK}`,
          LATTICE_AGENT_BACKOFF_BASE_MS: "100",
        };
        const joined = await runAgent(
          ["join", "--server", server.url, "--token", joinToken, "--name", name],
          env,
        );
        assert.equal(joined.code, 0, joined.output);
        const nodeId = /as node ([0-9a-f-]{36})/.exec(joined.output)![1];
        const approved = await api(`/nodes/${nodeId}/approve`, { method: "POST", body: "{}" });
        assert.equal(approved.status, 200);
        const p = await startAgent(["run"], env);
        agents.push({ name, env, nodeId, p });
      }
      for (const a of agents) {
        await waitFor(async () => (await api(`/nodes/${a.nodeId}`)).body.node.status === "online", {
          timeoutMs: 20_000,
          what: `${a.name} online`,
        });
      }
    });

    await t.step(
      "the Postgres template runs and answers a query through its connection string",
      async () => {
        const w = await create({
          name: "shop-db",
          template: "postgres",
          resources: { cpuMillicores: 500, memoryMiB: 256 },
        });
        await until(w.id, (x) => x.status === "running", "postgres running");
        const conn = await api(`/workloads/${w.id}/connection`);
        assert.equal(conn.status, 200, JSON.stringify(conn.body));
        assert.match(conn.body.url, /^postgres:\/\/lattice:[^@]+@127\.0\.0\.1:\d+\/shop_db$/);
        let answer: unknown = null;
        await waitFor(async () => {
          const sql = postgres(conn.body.url, { max: 1, connect_timeout: 2, onnotice: () => {} });
          try {
            const [row] = await sql`SELECT current_user AS u, current_database() AS d, 41 + 1 AS n`;
            answer = row;
            return true;
          } catch {
            return false;
          } finally {
            await sql.end({ timeout: 1 });
          }
        }, { timeoutMs: 30_000, what: "postgres accepting connections" });
        assert.deepEqual(answer, { u: "lattice", d: "shop_db", n: 42 });
      },
    );

    await t.step("two replicas with anti-affinity land on both nodes", async () => {
      const w = await create({
        name: "web",
        image: busybox,
        command: ["httpd", "-f", "-p", "8080", "-h", "/www"],
        ports: [{ container: 8080 }],
        replicas: 2,
        resources: { cpuMillicores: 100, memoryMiB: 32 },
      });
      const running = await until(w.id, (x) => x.status === "running", "web running");
      const nodes = new Set(running.allocations.map((a) => a.nodeId));
      assert.deepEqual([...nodes].sort(), agents.map((a) => a.nodeId).sort());
      for (const a of running.allocations) {
        const [c] = await docker.containerList({
          all: true,
          labels: { [LABELS.allocation]: a.id },
        });
        assert.equal(c?.State, "running", `container of ${a.id}`);
        assert.equal(c.Labels?.[LABELS.node], a.nodeId);
      }
    });

    await t.step(
      "a killed agent's stateless workload moves within grace + 10 s; the stale copy goes when it returns",
      async () => {
        const w = await create({
          name: "solo",
          image: busybox,
          command: ["sleep", "3600"],
          resources: { cpuMillicores: 100, memoryMiB: 16 },
        });
        const first = await until(w.id, (x) => x.status === "running", "solo running");
        const oldAllocation = first.allocations[0];
        const victim = agents.find((a) => a.nodeId === oldAllocation.nodeId)!;
        const survivor = agents.find((a) => a !== victim)!;
        const killedAt = Date.now();
        victim.p.kill("SIGKILL");
        await victim.p.status;
        await until(
          w.id,
          (x) =>
            x.status === "running" &&
            x.allocations.some((a) => a.nodeId === survivor.nodeId && a.state === "running"),
          "solo moved",
          (GRACE_S + 3 * HEARTBEAT_MS / 1000 + 20) * 1000,
        );
        const moved = (Date.now() - killedAt) / 1000;
        // Offline after three missed heartbeats, lost after the grace period, then placed.
        assert.ok(moved <= GRACE_S + 3 * HEARTBEAT_MS / 1000 + 10, `moved after ${moved} s`);
        // The old container still runs in Docker (the agent died, Docker did not).
        const [stale] = await docker.containerList({
          all: true,
          labels: { [LABELS.allocation]: oldAllocation.id },
        });
        assert.equal(stale?.State, "running");
        victim.p = await startAgent(["run"], victim.env);
        await waitFor(async () =>
          (await docker.containerList({
            all: true,
            labels: { [LABELS.allocation]: oldAllocation.id },
          })).length === 0, { timeoutMs: 30_000, what: "stale container removed" });
        const after = await workload(w.id);
        assert.equal(after.allocations.filter((a) => a.state === "running").length, 1);
      },
    );

    await t.step("an image that does not exist fails with Docker's reason", async () => {
      const w = await create({
        name: "ghost",
        image: "lattice-test/does-not-exist:1",
        resources: { cpuMillicores: 100, memoryMiB: 16 },
      });
      const failed = await until(w.id, (x) => x.status === "failed", "ghost failed", 90_000);
      assert.match(
        failed.statusReason ?? "",
        /does-not-exist|pull access denied|no such host|not found|lookup/i,
      );
      const events = (await api(`/workloads/${w.id}/events`)).body.events as { kind: string }[];
      assert.equal(events.filter((e) => e.kind === "deploy_failed").length, 3);
    });
  } finally {
    for (const a of agents) {
      a.p.kill("SIGTERM");
      await a.p.status;
    }
    await server.stop();
    await removeManaged();
    for (const v of (await docker.volumeList({ labels: { [LABELS.managed]: "true" } }))) {
      await docker.volumeRemove(v.name, { force: true }).catch(() => {});
    }
    docker.close();
  }
});
