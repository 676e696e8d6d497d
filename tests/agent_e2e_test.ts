/**
 * The real agent, bundled into one file, against a real control plane process and the real
 * Docker Engine: join, approval, deploys reached over 127.0.0.1, logs, lifecycle, a killed
 * agent, Docker going away, a server restart with buffered events, revocation and reset.
 */
import assert from "node:assert/strict";
import { DockerClient } from "../agent/docker/mod.ts";
import { LABELS } from "../lib/protocol.ts";
import { ensureBusyboxImage } from "./helpers/images.ts";
import { type AgentProcess, runAgent, startAgent } from "./helpers/agent_process.ts";
import {
  freePort,
  type ServerProcess,
  signUpAdmin,
  startServer,
  waitFor,
} from "./helpers/server.ts";
import { startDockerd, stopDockerd } from "./helpers/dockerd.ts";

const HEARTBEAT_MS = 500;
const SOCK = Deno.env.get("LATTICE_TEST_DOCKER_SOCK") ?? "/var/run/docker.sock";

Deno.test("the bundled agent joins, runs workloads on real Docker and survives failures", async (t) => {
  const docker = await DockerClient.connect({ socketPath: SOCK });
  const image = await ensureBusyboxImage(docker);
  const port = freePort();
  const serverEnv = { LATTICE_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) };
  let server: ServerProcess = await startServer({ port, env: serverEnv });
  const stateDir = await Deno.makeTempDir({ prefix: "lattice-agent-state-" });
  const agentEnv = {
    LATTICE_AGENT_STATE_DIR: stateDir,
    DOCKER_HOST: `unix://${SOCK}`,
    LATTICE_AGENT_BACKOFF_BASE_MS: "100",
  };
  let agent: AgentProcess | null = null;
  let nodeId = "";
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
  const command = (body: Record<string, unknown>) =>
    api(`/nodes/${nodeId}/commands`, { method: "POST", body: JSON.stringify(body) });
  const node = async () => (await api(`/nodes/${nodeId}`)).body;
  const managedContainers = (allocationId?: string) =>
    docker.containerList({
      all: true,
      labels: allocationId
        ? { [LABELS.managed]: "true", [LABELS.allocation]: allocationId }
        : { [LABELS.managed]: "true" },
    });
  const allocationId = crypto.randomUUID();
  // A test machine: containers left by an earlier, interrupted run would skew the counts.
  for (const c of await managedContainers()) await docker.containerRemove(c.Id, { force: true });

  try {
    await t.step("an admin makes a join token", async () => {
      token = await signUpAdmin(server.url);
    });

    let joinToken = "";
    await t.step("join registers the node as pending and keeps its key private", async () => {
      const created = await api("/join-tokens", {
        method: "POST",
        body: JSON.stringify({ maxUses: 1 }),
      });
      assert.equal(created.status, 201);
      joinToken = created.body.secret;
      const joined = await runAgent(
        [
          "join",
          "--server",
          server.url,
          "--token",
          joinToken,
          "--name",
          "e2e-node",
          "--label",
          "zone=lab",
        ],
        agentEnv,
      );
      assert.equal(joined.code, 0, joined.output);
      nodeId = /as node ([0-9a-f-]{36})/.exec(joined.output)![1];
      assert.equal((await Deno.stat(`${stateDir}/node.key`)).mode! & 0o777, 0o600);
      const n = await node();
      assert.equal(n.node.approval, "pending");
      assert.deepEqual(n.node.labels, { zone: "lab" });

      const again = await runAgent(
        [
          "join",
          "--server",
          server.url,
          "--token",
          joinToken,
          "--state-dir",
          await Deno.makeTempDir(),
        ],
        agentEnv,
      );
      assert.equal(again.code, 1);
      assert.match(again.output, /used 1 of 1 times/);
    });

    await t.step(
      "a pending node waits; approval brings it online with its capabilities",
      async () => {
        agent = await startAgent(["run"], agentEnv);
        await agent.waitForOutput(/Waiting for an admin to approve/);
        const approved = await api(`/nodes/${nodeId}/approve`, { method: "POST", body: "{}" });
        assert.equal(approved.status, 200);
        await agent.waitForOutput(/Connected to/);
        await waitFor(async () => (await node()).node.status === "online", { timeoutMs: 10_000 });
        const caps = (await node()).node.capabilities;
        assert.ok(caps.cpu.cores >= 1);
        assert.ok(caps.memoryBytes > 0);
        assert.match(caps.docker.version, /^\d+\.\d+/);
        assert.ok(caps.docker.runtimes.includes("runc"));
        assert.ok(caps.disk.totalBytes > 0);
        assert.ok(caps.network.downloadBps > 0, JSON.stringify(caps.network));
        const gathered = /"msg":"gathered capabilities".*"ms":(\d+)/.exec(agent.output());
        assert.ok(gathered && Number(gathered[1]) < 2000, `capabilities took ${gathered?.[1]} ms`);
        await waitFor(async () => (await node()).node.lastMetrics?.docker?.healthy === true, {
          timeoutMs: 10_000,
        });
      },
    );

    let hostPort = 0;
    let containerId = "";
    await t.step(
      "a deploy runs a busybox httpd reachable on 127.0.0.1, once per allocation",
      async () => {
        const spec = {
          image,
          command: [
            "sh",
            "-c",
            "mkdir -p /www && echo hello-lattice > /www/index.html && echo started && echo warn >&2 && exec httpd -f -p 8080 -h /www",
          ],
          ports: [{ container: 8080 }],
          resources: { cpus: 0.5, memoryBytes: 64 * 1024 * 1024 },
        };
        const res = await command({ action: "deploy", allocationId, spec });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.data.created, true);
        containerId = res.body.data.containerId;
        hostPort = res.body.data.ports[0].hostPort;
        assert.equal(res.body.data.ports[0].hostIp, "127.0.0.1");
        await waitFor(async () => {
          try {
            const page = await fetch(`http://127.0.0.1:${hostPort}/`);
            return (await page.text()).trim() === "hello-lattice";
          } catch {
            return false;
          }
        }, { timeoutMs: 10_000, what: "httpd" });
        const inspect = await docker.containerInspect(containerId);
        assert.equal(inspect!.HostConfig.Memory, 64 * 1024 * 1024);
        assert.equal(inspect!.HostConfig.NanoCpus, 500_000_000);
        assert.ok((inspect!.HostConfig.PidsLimit ?? 0) > 0);

        const again = await command({ action: "deploy", allocationId, spec });
        assert.equal(again.status, 200);
        assert.equal(again.body.data.created, false);
        assert.equal(again.body.data.containerId, containerId);
        assert.equal((await managedContainers(allocationId)).length, 1);
      },
    );

    await t.step("logs come back demultiplexed, and follow streams new lines", async () => {
      const res = await command({ action: "logs", allocationId, tail: 10 });
      assert.equal(res.status, 200);
      // stdout and stderr are separate pipes: their relative order is not defined.
      const lines = [...res.body.data.lines].sort((a, b) => a.text.localeCompare(b.text));
      assert.deepEqual(lines, [
        { stream: "stdout", text: "started" },
        { stream: "stderr", text: "warn" },
      ]);
      const follow = await fetch(`${server.url}/api/v1/nodes/${nodeId}/commands`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ action: "logs", allocationId, follow: true, tail: 0 }),
      });
      assert.equal(follow.headers.get("content-type"), "application/x-ndjson");
      const reader = follow.body!.pipeThrough(new TextDecoderStream()).getReader();
      // httpd logs nothing per request; a fetch of a missing page makes no line either, so
      // exec a line into the container's PID 1 output through the Docker API.
      const exec = await docker.execCreate(containerId, {
        Cmd: ["sh", "-c", "echo followed-line > /proc/1/fd/1"],
        AttachStdout: true,
        AttachStderr: true,
      });
      await docker.execStart(exec.id);
      let text = "";
      const deadline = Date.now() + 10_000;
      while (!text.includes("followed-line") && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      await reader.cancel();
      assert.match(text, /{"stream":"stdout","text":"followed-line"}/);
    });

    await t.step(
      "the local policy refuses what would reach the host, naming the rule",
      async () => {
        const base = { image, resources: { cpus: 0.1, memoryBytes: 16 * 1024 * 1024 } };
        for (
          const [extra, rule] of [
            [{ privileged: true }, "no-privileged"],
            [{ binds: ["/:/host"] }, "no-host-mounts"],
            [{ binds: ["/var/run/docker.sock:/var/run/docker.sock"] }, "no-docker-socket"],
            [{ networkMode: "host" }, "no-host-namespace"],
            [{ ports: [{ container: 80, hostIp: "0.0.0.0" }] }, "localhost-ports"],
          ] as const
        ) {
          const res = await command({
            action: "deploy",
            allocationId: crypto.randomUUID(),
            spec: { ...base, ...extra },
          });
          assert.equal(res.status, 422, JSON.stringify(res.body));
          assert.equal(res.body.error.code, "policy_refused");
          assert.equal(res.body.error.details.rule, rule);
        }
        assert.equal((await managedContainers()).length, 1);
      },
    );

    await t.step("stop, start and stats act on the allocation's container", async () => {
      const stopped = await command({ action: "stop", allocationId, timeoutSeconds: 1 });
      assert.equal(stopped.body.data.state, "exited");
      const started = await command({ action: "start", allocationId });
      assert.equal(started.body.data.state, "running");
      const stats = await command({ action: "stats", allocationId });
      assert.equal(stats.status, 200);
      assert.ok(
        Number.isFinite(stats.body.data.cpuPercent) && stats.body.data.cpuPercent >= 0,
        JSON.stringify(stats.body),
      );
      assert.ok(stats.body.data.memoryBytes > 0);
      assert.equal(stats.body.data.memoryLimitBytes, 64 * 1024 * 1024);
      const missing = await command({ action: "stop", allocationId: crypto.randomUUID() });
      assert.equal(missing.status, 404);
    });

    await t.step(
      "kill -9 of the agent: offline within 3 heartbeats, then back with no duplicate",
      async () => {
        const t0 = Date.now();
        agent!.kill("SIGKILL");
        await agent!.status;
        await waitFor(async () => (await node()).node.status === "offline", {
          timeoutMs: 3 * HEARTBEAT_MS + 2000,
        });
        assert.ok(Date.now() - t0 <= 3 * HEARTBEAT_MS + 2000);
        // The workload kept running without its agent.
        assert.equal((await docker.containerInspect(containerId))!.State.Running, true);
        agent = await startAgent(["run"], agentEnv);
        await waitFor(async () => (await node()).node.status === "online", { timeoutMs: 15_000 });
        const detail = await node();
        const record = detail.containers.find((c: { allocationId: string }) =>
          c.allocationId === allocationId
        );
        assert.equal(record.state, "running");
        assert.equal(record.containerId, containerId);
        assert.equal((await managedContainers(allocationId)).length, 1);
      },
    );

    await t.step(
      "Docker stopping is reported unhealthy, and its return healthy, in one session",
      async () => {
        await stopDockerd();
        try {
          await waitFor(async () => (await node()).node.dockerHealthy === false, {
            timeoutMs: 15_000,
          });
          assert.equal((await node()).node.status, "online");
          const refused = await command({ action: "stats", allocationId });
          assert.equal(refused.status, 503);
          assert.equal(refused.body.error.code, "docker_unavailable");
          // doctor says what is wrong and the command that fixes it.
          const doctor = await runAgent(["doctor"], agentEnv);
          assert.equal(doctor.code, 1, doctor.output);
          assert.match(doctor.output, /FAIL +Docker socket/);
          assert.match(doctor.output, /fix: start Docker \(`sudo systemctl start docker`/);
        } finally {
          await startDockerd();
        }
        await waitFor(async () => (await node()).node.dockerHealthy === true, {
          timeoutMs: 30_000,
        });
        // unless-stopped containers come back with the daemon.
        await waitFor(
          async () => (await docker.containerInspect(containerId))?.State.Running === true,
          {
            timeoutMs: 30_000,
          },
        );
        const events = (await api(`/nodes/${nodeId}/events?limit=1000`)).body.events;
        const health = events.filter((e: { kind: string }) => e.kind === "docker").map((
          e: { data: { healthy: boolean } },
        ) => e.data.healthy);
        assert.deepEqual(health.slice(-2), [false, true]);
      },
    );

    await t.step(
      "a server restart: the agent reconnects and buffered events arrive in order",
      async () => {
        const before = (await api(`/nodes/${nodeId}/events?limit=1000`)).body.events;
        const lastSeq = before.at(-1).seq;
        assert.equal(await server.stop(), 0);
        // While the server is down, the container stops and starts: events the agent must buffer.
        await docker.containerStop(containerId, { timeoutSeconds: 1 });
        await docker.containerStart(containerId);
        await agent!.waitForOutput(/reconnecting/);
        server = await startServer({ port, env: serverEnv, dataDir: server.dataDir });
        await waitFor(async () => (await node()).node.status === "online", { timeoutMs: 30_000 });
        await waitFor(async () => {
          const events =
            (await api(`/nodes/${nodeId}/events?after=${lastSeq}&limit=1000`)).body.events;
          return events.some((e: { data: { action?: string } }) => e.data.action === "start");
        }, { timeoutMs: 15_000, what: "buffered events" });
        const after =
          (await api(`/nodes/${nodeId}/events?after=${lastSeq}&limit=1000`)).body.events;
        const actions = after.filter((e: { kind: string }) => e.kind === "container").map((
          e: { data: { action: string } },
        ) => e.data.action);
        const dieAt = actions.indexOf("die");
        const startAt = actions.lastIndexOf("start");
        assert.ok(dieAt >= 0 && startAt > dieAt, `order: ${actions.join(",")}`);
        const seqs = after.map((e: { seq: number }) => e.seq);
        assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
        const ats = after.map((e: { at: string }) => Date.parse(e.at));
        assert.deepEqual(ats, [...ats].sort((a, b) => a - b));
        // Recorded while the server was down, received after it came back.
        const down = after.find((e: { data: { action?: string } }) => e.data.action === "die");
        assert.ok(Date.parse(down.receivedAt) - Date.parse(down.at) > 0);
      },
    );

    await t.step("SIGTERM stops the agent cleanly and leaves workloads running", async () => {
      agent!.kill("SIGTERM");
      assert.equal(await agent!.status, 0);
      assert.match(agent!.output(), /workloads keep running/);
      assert.equal((await docker.containerInspect(containerId))!.State.Running, true);
    });

    await t.step("doctor and status report on a healthy, approved node", async () => {
      const doctor = await runAgent(["doctor"], agentEnv);
      assert.equal(doctor.code, 0, doctor.output);
      assert.match(doctor.output, /ok +Node approved: approved/);
      const status = await runAgent(["status"], agentEnv);
      assert.match(status.output, /approval: +approved/);
      assert.match(status.output, /docker: +ok, 1 Lattice container/);
    });

    await t.step("a revoked node is refused with the reason and the agent exits", async () => {
      const revoked = await api(`/nodes/${nodeId}/revoke`, {
        method: "POST",
        body: JSON.stringify({ reason: "decommissioned" }),
      });
      assert.equal(revoked.status, 200);
      const refused = await runAgent(["run"], agentEnv);
      assert.equal(refused.code, 3, refused.output);
      assert.match(refused.output, /revoked: .*decommissioned/);
    });

    await t.step("reset removes Lattice's containers, volumes and the node's state", async () => {
      const managed = { [LABELS.managed]: "true" };
      // A volume a stateful workload would have left behind.
      await docker.volumeCreate({ Name: `lattice-e2e-reset-${Date.now()}`, Labels: managed });
      assert.ok((await docker.volumeList({ labels: managed })).length >= 1);
      const reset = await runAgent(["reset", "--yes"], agentEnv);
      assert.equal(reset.code, 0, reset.output);
      assert.equal((await managedContainers()).length, 0);
      assert.equal((await docker.volumeList({ labels: managed })).length, 0, "no Lattice volume");
      assert.equal((await docker.networkList({ labels: managed })).length, 0, "no Lattice network");
      await assert.rejects(() => Deno.stat(stateDir), Deno.errors.NotFound);
    });
  } finally {
    const last = agent as AgentProcess | null;
    last?.kill("SIGKILL");
    await last?.status;
    for (const c of await managedContainers().catch(() => [])) {
      await docker.containerRemove(c.Id, { force: true }).catch(() => {});
    }
    await server.stop();
    docker.close();
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
});
