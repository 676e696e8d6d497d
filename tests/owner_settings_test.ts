// The owner's hours and offer (`lattice-agent join --hours … --max-cpu …`, issue 6): the agent's
// hello stores them on the node until an admin sets either, which pins them.
import assert from "node:assert/strict";
import type { NodeChange } from "../lib/nodes/changes.ts";
import { appTest, json, signUp, type TestApp } from "./helpers/app.ts";
import { createJoinToken, SimAgent } from "./helpers/sim_agent.ts";
import { waitFor } from "./helpers/server.ts";

const ownerSchedule = {
  timezone: "Europe/Paris",
  windows: [{ day: 1, start: "18:00", end: "08:00" }, { day: 6, start: "00:00", end: "24:00" }],
};
const ownerOffer = { cpuPercent: 50, memoryMiB: 4096 };

async function approvedNode(app: TestApp) {
  const { token } = await signUp(app);
  const auth = { authorization: `Bearer ${token}` };
  const call = (path: string, init: RequestInit = {}) =>
    app.request(`/api/v1${path}`, { ...init, headers: { ...auth, ...init.headers } });
  const baseUrl = app.listen();
  const agent = await SimAgent.join(baseUrl, await createJoinToken(baseUrl, token), "laptop");
  assert.equal((await call(`/nodes/${agent.nodeId}/approve`, { method: "POST" })).status, 200);
  const node = async () => (await (await call(`/nodes/${agent.nodeId}`)).json()).node;
  /** Close the session, wait until the node is offline, and say hello again. */
  let current = agent;
  const reconnect = async (settings?: Record<string, unknown>) => {
    current.close();
    await waitFor(async () => (await node()).status === "offline", {
      timeoutMs: 5_000,
      what: "the node to go offline",
    });
    const again = new SimAgent(baseUrl, agent.keys, agent.name);
    again.nodeId = agent.nodeId;
    const answer = await again.handshake(settings ? { settings } : {});
    assert.equal(answer.type, "welcome");
    current = again;
    return again;
  };
  return { call, agent, node, reconnect };
}

appTest(
  "a hello with settings stores the owner's hours and offer; an admin's PATCH pins them",
  async (app) => {
    const { call, agent, node, reconnect } = await approvedNode(app);
    const changes: NodeChange[] = [];
    const unsubscribe = app.plane.ctx.nodeChanges.subscribe((c) => changes.push(c));
    const sessions: SimAgent[] = [];
    try {
      const answer = await agent.handshake({
        settings: { schedule: ownerSchedule, offer: ownerOffer },
      });
      assert.equal(answer.type, "welcome");
      let n = await node();
      assert.deepEqual(n.schedule, ownerSchedule, "the owner's hours are stored");
      assert.deepEqual(n.offer, ownerOffer, "the owner's offer is stored");
      assert.ok(
        changes.some((c) => c.kind === "updated" && c.nodeId === agent.nodeId),
        "the scheduler hears about the new settings",
      );

      // An agent that sends no settings (an older one) leaves them alone.
      sessions.push(await reconnect());
      n = await node();
      assert.deepEqual(n.schedule, ownerSchedule);
      assert.deepEqual(n.offer, ownerOffer);

      // The owner changes only the offer: the hours stay.
      sessions.push(await reconnect({ offer: { cpuPercent: 25 } }));
      n = await node();
      assert.deepEqual(n.schedule, ownerSchedule);
      assert.deepEqual(n.offer, { cpuPercent: 25 });

      // An admin sets the offer: both the hours and the offer are now the admin's.
      const adminOffer = { cpuPercent: 10, memoryMiB: 1024, diskGiB: 5 };
      const patched = await call(
        `/nodes/${agent.nodeId}`,
        json({ offer: adminOffer }, { method: "PATCH" }),
      );
      assert.equal(patched.status, 200);

      changes.length = 0;
      sessions.push(
        await reconnect({ schedule: null, offer: { cpuPercent: 100, memoryMiB: 65536 } }),
      );
      n = await node();
      assert.deepEqual(n.offer, adminOffer, "the admin's offer wins over the next hello");
      assert.deepEqual(n.schedule, ownerSchedule, "pinned hours are not cleared by the hello");
      assert.ok(
        !changes.some((c) => c.kind === "updated" && c.nodeId === agent.nodeId),
        "an ignored hello publishes no settings change",
      );
      const [{ pinned }] = await app.db.query(
        `SELECT settings_pinned AS pinned FROM nodes WHERE id = $1`,
        [agent.nodeId],
      );
      assert.equal(pinned, true);
      assert.equal(n.settingsPinned, true, "the API shows the pin");

      // The admin hands the settings back: the owner's next hello applies again.
      const unpinned = await call(
        `/nodes/${agent.nodeId}`,
        json({ settingsPinned: false }, { method: "PATCH" }),
      );
      assert.equal(unpinned.status, 200);
      assert.equal((await unpinned.json()).node.settingsPinned, false);
      sessions.push(await reconnect({ schedule: null, offer: { cpuPercent: 75 } }));
      n = await node();
      assert.equal(n.schedule, null, "the owner cleared the hours");
      assert.deepEqual(n.offer, { cpuPercent: 75 });
    } finally {
      unsubscribe();
      for (const s of sessions) s.close();
      agent.close();
    }
  },
);

appTest("a hello with invalid settings is a protocol violation", async (app) => {
  const { agent, node } = await approvedNode(app);
  try {
    await agent.open();
    agent.send({
      ...agent.hello(),
      settings: { offer: { cpuPercent: 500 } },
    });
    const closed = await agent.next("close");
    assert.notEqual(closed.code, 1000);
    assert.equal((await node()).offer, null);
  } finally {
    agent.close();
  }
});
