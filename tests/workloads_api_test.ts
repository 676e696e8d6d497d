/**
 * Workloads through the API and the scheduler, over real WebSockets, on both databases. The
 * nodes here are SimAgents (a simulation of the agent protocol that answers commands as a
 * node would) so that placement, failure and rescheduling rules run in seconds; the real
 * agent with real Docker runs the same flow in workloads_e2e_test.ts.
 */
import assert from "node:assert/strict";
import { appTest, errorOf, json, signUp, USER } from "./helpers/app.ts";
import { FAST, okAnswer, SimNode, withSetup } from "./helpers/workload_sim.ts";
import { SimAgent } from "./helpers/sim_agent.ts";
import { waitFor } from "./helpers/server.ts";

appTest("a workload is stored, placed, deployed and reported running", async (app) => {
  await withSetup(app, async ({ api, node, until }) => {
    const a = await node("alpha");
    const res = await api("/workloads", {
      method: "POST",
      body: JSON.stringify({ name: "cache", template: "redis" }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { workload } = await res.json();
    assert.equal(workload.spec.image, "redis:7");
    assert.equal(JSON.stringify(workload).includes("requirepass"), false, "no secrets in DTO");
    const running = await until(workload.id, (w) => w.status === "running", "running");
    const allocations = running.allocations as { nodeId: string; state: string }[];
    assert.equal(allocations.length, 1);
    assert.equal(allocations[0].nodeId, a.agent.nodeId);
    const deploy = a.deploys()[0];
    assert.equal(deploy.workloadId, workload.id);
    // The password reaches the node only inside the deploy command.
    assert.equal(deploy.spec.command?.[1], "--requirepass");
    const stored = await app.db.query(
      `SELECT credentials_sealed FROM workloads WHERE id = $1`,
      [workload.id],
    );
    assert.match(stored[0].credentials_sealed as string, /^v1\./);
    assert.equal((stored[0].credentials_sealed as string).includes(deploy.spec.command![2]), false);

    const conn = await (await api(`/workloads/${workload.id}/connection`)).json();
    assert.equal(conn.port, 40000);
    assert.equal(conn.password, deploy.spec.command![2]);
    assert.equal(conn.url, `redis://:${conn.password}@127.0.0.1:40000/0`);
    const audit = await app.db.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'workload.connection.read'`,
    );
    assert.equal(audit[0].n, 1);

    const events = await (await api(`/workloads/${workload.id}/events`)).json();
    const kinds = events.events.map((e: { kind: string }) => e.kind);
    for (const k of ["created", "placed", "deployed"]) assert.ok(kinds.includes(k), kinds);
  });
}, FAST);

appTest(
  "replicas with anti-affinity spread over nodes; stop, start and delete act on them",
  async (app) => {
    await withSetup(app, async ({ api, node, until }) => {
      const a = await node("alpha");
      const b = await node("beta");
      const res = await api("/workloads", {
        method: "POST",
        body: JSON.stringify({ name: "web", image: "nginx:1", replicas: 2 }),
      });
      const { workload } = await res.json();
      const w = await until(workload.id, (w) => w.status === "running", "running");
      const nodeIds = (w.allocations as { nodeId: string }[]).map((x) => x.nodeId).sort();
      assert.deepEqual(nodeIds, [a.agent.nodeId, b.agent.nodeId].sort());

      assert.equal((await api(`/workloads/${workload.id}/stop`, { method: "POST" })).status, 202);
      await until(workload.id, (w) => w.status === "stopped", "stopped");
      assert.equal(a.commands.filter((c) => c.action === "stop").length, 1);
      assert.equal((await api(`/workloads/${workload.id}/start`, { method: "POST" })).status, 202);
      await until(workload.id, (w) => w.status === "running", "running again");
      assert.equal(b.commands.filter((c) => c.action === "start").length, 1);

      assert.equal((await api(`/workloads/${workload.id}`, { method: "DELETE" })).status, 202);
      assert.equal((await api(`/workloads/${workload.id}`)).status, 404);
      await waitFor(
        async () =>
          (await app.db.query(`SELECT 1 FROM workloads WHERE id = $1`, [workload.id])).length === 0,
        {
          what: "workload purged",
        },
      );
      for (const n of [a, b]) {
        const removes = n.commands.filter((c) => c.action === "remove");
        assert.equal(removes.length, 1);
        assert.equal((removes[0] as { volumes: boolean }).volumes, true);
      }
    });
  },
  FAST,
);

appTest(
  "when nothing fits the workload says why, and is placed once capacity appears",
  async (app) => {
    await withSetup(app, async ({ api, node, until }) => {
      const res = await api("/workloads", {
        method: "POST",
        body: JSON.stringify({
          name: "big",
          image: "busybox:1",
          resources: { cpuMillicores: 1000, memoryMiB: 64 * 1024 },
        }),
      });
      const { workload } = await res.json();
      const waiting = await until(
        workload.id,
        (w) => w.status === "pending" && !!w.unplaced,
        "why",
      );
      assert.match(waiting.statusReason as string, /waiting for capacity: there are no nodes/);
      await node("small");
      const still = await until(
        workload.id,
        (w) => (w.unplaced as Record<string, number> | null)?.memory === 1,
        "memory reason",
      );
      assert.match(still.statusReason as string, /1 node lacks 64 GiB of memory/);
    });
  },
  FAST,
);

appTest(
  "a lost node's stateless workload moves; the stale copy is removed when it returns",
  async (app) => {
    await withSetup(app, async ({ api, node, until }) => {
      const a = await node("alpha");
      const res = await api("/workloads", {
        method: "POST",
        body: JSON.stringify({ name: "web", image: "nginx:1" }),
      });
      const { workload } = await res.json();
      await until(workload.id, (w) => w.status === "running", "running on alpha");
      const b = await node("beta");
      const oldAllocation = a.deploys()[0].allocationId;
      a.stop();
      const moved = await until(
        workload.id,
        (w) =>
          w.status === "running" &&
          (w.allocations as { nodeId: string }[]).some((x) => x.nodeId === b.agent.nodeId),
        "moved to beta",
      );
      assert.equal((moved.allocations as unknown[]).length, 1);
      // alpha returns, still running the old container: it is told to remove it.
      const back = new SimAgent(a.agent.baseUrl, a.agent.keys, "alpha");
      back.nodeId = a.agent.nodeId;
      assert.equal(
        (await back.handshake({}, [{
          allocationId: oldAllocation,
          workloadId: workload.id,
          containerId: "d".repeat(64),
          name: "lattice-web",
          image: "nginx:1",
          state: "running",
          exitCode: null,
          ports: [],
          startedAt: null,
        }])).type,
        "welcome",
      );
      const returned = new SimNode(back, okAnswer);
      returned.start();
      try {
        // The command may come before the responder is installed: look at both.
        const removeCommand = () =>
          returned.commands.find((c) => c.action === "remove") ??
            back.received.flatMap((m) => m.type === "command" ? [m.command] : [])
              .find((c) => c.action === "remove");
        await waitFor(() => removeCommand() !== undefined, { what: "stale container removed" });
        const remove = removeCommand()!;
        assert.equal(remove.allocationId, oldAllocation);
      } finally {
        returned.stop();
      }
    });
  },
  FAST,
);

appTest("a deploy that keeps failing ends failed with the node's reason", async (app) => {
  await withSetup(app, async ({ api, node, until }) => {
    const a = await node("alpha", (command) =>
      command.action === "deploy"
        ? {
          ok: false,
          error: { code: "no_such_image", message: "pull access denied for nope/nothing" },
        }
        : { ok: true, data: {} });
    const res = await api("/workloads", {
      method: "POST",
      body: JSON.stringify({ name: "broken", image: "nope/nothing:1" }),
    });
    const { workload } = await res.json();
    const failed = await until(workload.id, (w) => w.status === "failed", "failed");
    assert.match(failed.statusReason as string, /pull access denied for nope\/nothing/);
    assert.equal(a.deploys().length, 2, "bounded retries");
  });
}, FAST);

appTest(
  "Idempotency-Key: one workload per key, even concurrently; another body is a 409",
  async (app) => {
    await withSetup(app, async ({ api }) => {
      const body = JSON.stringify({ name: "once", image: "busybox:1" });
      const headers = { "idempotency-key": "key-1" };
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => api("/workloads", { method: "POST", body, headers })),
      );
      const ids = new Set<string>();
      for (const res of answers) {
        assert.equal(res.status, 201);
        ids.add((await res.json()).workload.id);
      }
      assert.equal(ids.size, 1);
      const count = await app.db.query(`SELECT count(*)::int AS n FROM workloads`);
      assert.equal(count[0].n, 1);
      const other = await api("/workloads", {
        method: "POST",
        body: JSON.stringify({ name: "twice", image: "busybox:1" }),
        headers,
      });
      assert.equal(other.status, 409);
      assert.equal((await errorOf(other)).code, "idempotency_key_reused");
      const bad = await api("/workloads", {
        method: "POST",
        body,
        headers: { "idempotency-key": "a b" },
      });
      assert.equal(bad.status, 422);
      await bad.body?.cancel();
    });
  },
  FAST,
);

appTest("bad workload input is a 4xx with field details and stores nothing", async (app) => {
  await withSetup(app, async ({ api }) => {
    const cases: [unknown, string][] = [
      [{ name: "neg", image: "a:1", resources: { cpuMillicores: -5, memoryMiB: 64 } }, "resources"],
      [
        { name: "huge", image: "a:1", resources: { cpuMillicores: 1e12, memoryMiB: 64 } },
        "resources",
      ],
      [{ name: "tpl", template: "oracle" }, "template"],
      [{ name: "zero", image: "a:1", replicas: 0 }, "replicas"],
      [{ name: "many", image: "a:1", replicas: 10_000 }, "replicas"],
      [{ name: "has spaces", image: "a:1" }, "name"],
      [
        { name: "op", image: "a:1", constraints: [{ label: "x", operator: "~=", value: "y" }] },
        "constraints",
      ],
      [{ name: "env", image: "a:1", env: { BIG: "x".repeat(900_000) } }, "env"],
    ];
    for (const [body, field] of cases) {
      const res = await api("/workloads", { method: "POST", body: JSON.stringify(body) });
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} for ${field}`);
      const err = await errorOf(res);
      assert.equal(err.code, "validation_failed", JSON.stringify(err));
      const paths = (err.details as { path: string }[]).map((d) => d.path);
      assert.ok(paths.some((p) => p.startsWith(field)), `${field}: ${paths}`);
    }
    const tooBig = await api("/workloads", {
      method: "POST",
      body: JSON.stringify({ name: "big", image: "a:1", env: { BIG: "x".repeat(10 * 2 ** 20) } }),
    });
    assert.equal(tooBig.status, 413);
    await tooBig.body?.cancel();
    const count = await app.db.query(`SELECT count(*)::int AS n FROM workloads`);
    assert.equal(count[0].n, 0);
    for (const path of ["/workloads/not-a-uuid", `/workloads/${crypto.randomUUID()}`]) {
      const res = await api(path);
      assert.ok(res.status === 404 || res.status === 422, `${path}: ${res.status}`);
      await errorOf(res);
    }
  });
}, FAST);

appTest("users see only their own workloads; admins see all", async (app) => {
  await withSetup(app, async ({ api }) => {
    const user = await signUp(app, USER);
    const mine = await (await api("/workloads", json({ name: "mine", image: "a:1" }), user.token))
      .json();
    const admins = await (await api("/workloads", json({ name: "admins", image: "a:1" }))).json();
    const userList = await (await api("/workloads", {}, user.token)).json();
    assert.deepEqual(userList.workloads.map((w: { name: string }) => w.name), ["mine"]);
    const adminList = await (await api("/workloads")).json();
    assert.equal(adminList.workloads.length, 2);
    for (
      const path of [
        `/workloads/${admins.workload.id}`,
        `/workloads/${admins.workload.id}/connection`,
        `/workloads/${admins.workload.id}/events`,
      ]
    ) {
      const res = await api(path, {}, user.token);
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
    const stop = await api(`/workloads/${admins.workload.id}/stop`, { method: "POST" }, user.token);
    assert.equal(stop.status, 404);
    await stop.body?.cancel();
    assert.equal((await api(`/workloads/${mine.workload.id}`)).status, 200);
  });
}, FAST);
