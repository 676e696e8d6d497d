// PATCH /api/v1/nodes/{id}: labels, drain, computation hours, offer and pool pinning.
import assert from "node:assert/strict";
import type { NodeChange } from "../lib/nodes/changes.ts";
import { appTest, errorOf, json, signUp, type TestApp, USER } from "./helpers/app.ts";
import { createJoinToken, SIM_CAPABILITIES, SimAgent } from "./helpers/sim_agent.ts";
import { waitFor } from "./helpers/server.ts";

async function adminWithNode(app: TestApp) {
  const { token } = await signUp(app);
  const auth = { authorization: `Bearer ${token}` };
  const call = (path: string, init: RequestInit = {}) =>
    app.request(`/api/v1${path}`, { ...init, headers: { ...auth, ...init.headers } });
  const baseUrl = app.listen();
  const agent = await SimAgent.join(baseUrl, await createJoinToken(baseUrl, token), "box");
  const node = async () => (await (await call(`/nodes/${agent.nodeId}`)).json()).node;
  const patch = (body: unknown) => call(`/nodes/${agent.nodeId}`, json(body, { method: "PATCH" }));
  return { token, call, agent, node, patch, baseUrl };
}

appTest("PATCH changes each node setting, audits it and publishes the change", async (app) => {
  const { agent, node, patch } = await adminWithNode(app);
  const fresh = await node();
  assert.equal(fresh.drained, false);
  assert.equal(fresh.schedule, null);
  assert.equal(fresh.evacuateOutsideHours, false);
  assert.equal(fresh.offer, null);
  assert.equal(fresh.labelsPinned, false);
  assert.equal(fresh.poolPinned, false);

  const changes: NodeChange[] = [];
  const unsubscribe = app.plane.ctx.nodeChanges.subscribe((c) => changes.push(c));
  try {
    const schedule = {
      timezone: "Europe/Paris",
      windows: [{ day: 1, start: "09:00", end: "17:00" }, { day: 5, start: "22:00", end: "06:00" }],
    };
    const cases: [Record<string, unknown>, (n: Record<string, unknown>) => void][] = [
      [{ drained: true }, (n) => assert.equal(n.drained, true)],
      [{ schedule }, (n) => assert.deepEqual(n.schedule, schedule)],
      [{ evacuateOutsideHours: true }, (n) => assert.equal(n.evacuateOutsideHours, true)],
      [
        { offer: { cpuPercent: 50, memoryMiB: 2048, diskGiB: 0 } },
        (n) => assert.deepEqual(n.offer, { cpuPercent: 50, memoryMiB: 2048, diskGiB: 0 }),
      ],
      [{ labels: { zone: "a", gpu: "none" } }, (n) => {
        assert.deepEqual(n.labels, { zone: "a", gpu: "none" });
        assert.equal(n.labelsPinned, true);
      }],
      [{ poolPinned: true }, (n) => assert.equal(n.poolPinned, true)],
      [{ schedule: null, offer: null }, (n) => {
        assert.equal(n.schedule, null);
        assert.equal(n.offer, null);
      }],
      [{ drained: false, evacuateOutsideHours: false, poolPinned: false }, (n) => {
        assert.equal(n.drained, false);
        assert.equal(n.evacuateOutsideHours, false);
        assert.equal(n.poolPinned, false);
      }],
    ];
    for (const [body, check] of cases) {
      const res = await patch(body);
      assert.equal(res.status, 200, `${JSON.stringify(body)}: ${await res.clone().text()}`);
      check((await res.json()).node);
      check(await node());
    }
    // Fields not named stay: the labels set earlier survived every later PATCH.
    assert.deepEqual((await node()).labels, { zone: "a", gpu: "none" });
    assert.ok(
      changes.filter((c) => c.kind === "updated" && c.nodeId === agent.nodeId).length >=
        cases.length,
    );
  } finally {
    unsubscribe();
  }
  const audit = await app.db.query(
    `SELECT details FROM audit_log WHERE action = 'node.update' AND target_id = $1 ORDER BY id`,
    [agent.nodeId],
  );
  assert.equal(audit.length, 8);
  assert.deepEqual((audit[0].details as Record<string, unknown>).fields, ["drained"]);
});

appTest("bad node settings are refused with the right status and change nothing", async (app) => {
  const { call, agent, node, patch } = await adminWithNode(app);
  const before = await node();
  const window = { day: 1, start: "09:00", end: "17:00" };
  const bad: [unknown, string | null][] = [
    [{ schedule: { timezone: "Mars/Olympus_Mons", windows: [window] } }, "schedule.timezone"],
    [{ schedule: { timezone: "UTC", windows: [{ day: 7, start: "09:00", end: "17:00" }] } }, null],
    [{ schedule: { timezone: "UTC", windows: [{ day: 1, start: "9am", end: "17:00" }] } }, null],
    [{ offer: { cpuPercent: 0 } }, "offer.cpuPercent"],
    [{ offer: { cpuPercent: 101 } }, "offer.cpuPercent"],
    [{ offer: { memoryMiB: -1 } }, "offer.memoryMiB"],
    [{ offer: { cores: 2 } }, null],
    [{ labels: { "bad key!": "x" } }, null],
    [{ drained: "yes" }, "drained"],
    [{ colour: "blue" }, null],
    [{}, null],
  ];
  for (const [body, path] of bad) {
    const res = await patch(body);
    assert.equal(res.status, 422, JSON.stringify(body));
    const error = await errorOf(res);
    assert.equal(error.code, "validation_failed");
    if (path) assert.match(JSON.stringify(error.details), new RegExp(path.replace(".", "\\.")));
  }
  const unknown = await call(
    `/nodes/${crypto.randomUUID()}`,
    json({ drained: true }, {
      method: "PATCH",
    }),
  );
  assert.equal(unknown.status, 404);
  const malformed = await call("/nodes/not-a-uuid", json({ drained: true }, { method: "PATCH" }));
  assert.equal(malformed.status, 422);

  const user = await signUp(app, USER);
  const notAdmin = await app.request(
    `/api/v1/nodes/${agent.nodeId}`,
    json({ drained: true }, {
      method: "PATCH",
      headers: { authorization: `Bearer ${user.token}` },
    }),
  );
  assert.equal(notAdmin.status, 403);
  const anonymous = await app.request(
    `/api/v1/nodes/${agent.nodeId}`,
    json({ drained: true }, { method: "PATCH" }),
  );
  assert.equal(anonymous.status, 401);

  const after = await node();
  assert.deepEqual({ ...after, updatedAt: undefined }, { ...before, updatedAt: undefined });
  const [{ n }] = await app.db.query(
    `SELECT count(*)::int AS n FROM audit_log WHERE action = 'node.update'`,
  );
  assert.equal(n, 0);
}, { env: { LATTICE_REGISTRATION: "open" } });

appTest("labels an admin set survive the agent's next hello; unpinned ones do not", async (app) => {
  const { call, agent, node, patch, baseUrl } = await adminWithNode(app);
  assert.equal((await call(`/nodes/${agent.nodeId}/approve`, { method: "POST" })).status, 200);
  assert.equal((await agent.handshake({ labels: { zone: "from-agent" } })).type, "welcome");
  assert.deepEqual((await node()).labels, { zone: "from-agent" }, "the hello sets labels");

  assert.equal((await patch({ labels: { zone: "from-admin" } })).status, 200);
  agent.close();
  await waitFor(async () => (await node()).status === "offline", {
    timeoutMs: 5_000,
    what: "the node to go offline",
  });

  const again = new SimAgent(baseUrl, agent.keys, agent.name);
  again.nodeId = agent.nodeId;
  try {
    const answer = await again.handshake({
      labels: { zone: "from-agent" },
      capabilities: { ...SIM_CAPABILITIES, cpu: { cores: 8, model: "Bigger CPU" } },
    });
    assert.equal(answer.type, "welcome");
    const n = await node();
    assert.equal(n.status, "online");
    assert.equal(n.capabilities.cpu.cores, 8, "the rest of the hello was recorded");
    assert.deepEqual(n.labels, { zone: "from-admin" });
    assert.equal(n.labelsPinned, true);
  } finally {
    again.close();
  }
});
