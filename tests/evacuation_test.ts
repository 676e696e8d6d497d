/**
 * Moving work off leaving nodes, over real WebSockets with simulated nodes (tests/helpers/
 * workload_sim.ts): a drained node, and a node whose computation hours end within the lead
 * time. The successor starts before the old replica is removed.
 */
import assert from "node:assert/strict";
import { appTest, type TestApp } from "./helpers/app.ts";
import { type Answer, FAST, okAnswer, withSetup } from "./helpers/workload_sim.ts";
import type { Command } from "../lib/protocol.ts";

type Api = (path: string, init?: RequestInit) => Promise<Response>;

/** Change a node's settings the way an admin does. */
async function patchNode(api: Api, nodeId: string, body: Record<string, unknown>) {
  const res = await api(`/nodes/${nodeId}`, { method: "PATCH", body: JSON.stringify(body) });
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
}

/** Records every command of every node in arrival order. */
function recorder() {
  const log: { node: string; command: Command }[] = [];
  const answer = (node: string): Answer => (command) => {
    log.push({ node, command });
    return okAnswer(command);
  };
  return { log, answer };
}

async function deployOne(
  api: Api,
  until: (id: string, check: (w: Record<string, unknown>) => boolean, what: string) => Promise<
    Record<string, unknown>
  >,
  name: string,
) {
  const res = await api("/workloads", {
    method: "POST",
    body: JSON.stringify({ name, image: "busybox:1", command: ["sleep", "3600"] }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const { workload } = await res.json();
  await until(workload.id, (w) => w.status === "running", "running");
  return workload.id as string;
}

type Alloc = { id: string; nodeId: string; state: string };
const allocs = (w: Record<string, unknown>) => w.allocations as Alloc[];

/** A drained node hands its replica to another node: successor first, then removal. */
async function movesOff(app: TestApp, leave: (api: Api, nodeId: string) => Promise<void>) {
  await withSetup(app, async ({ api, node, until }) => {
    const { log, answer } = recorder();
    const alpha = await node("alpha", answer("alpha"));
    const id = await deployOne(api, until, "mover");
    const before = allocs(await until(id, () => true, "read"));
    assert.equal(before[0].nodeId, alpha.agent.nodeId);
    const beta = await node("beta", answer("beta"));

    await leave(api, alpha.agent.nodeId);
    const moved = await until(
      id,
      (w) =>
        w.status === "running" && w.statusReason === null &&
        allocs(w).length === 1 && allocs(w)[0].nodeId === beta.agent.nodeId,
      "the replica runs on beta only",
    );
    assert.equal(allocs(moved)[0].state, "running");
    const deployAt = log.findIndex((e) => e.node === "beta" && e.command.action === "deploy");
    const removeAt = log.findIndex((e) =>
      e.node === "alpha" && e.command.action === "remove" &&
      e.command.allocationId === before[0].id
    );
    assert.ok(deployAt >= 0 && removeAt >= 0, JSON.stringify(log.map((e) => e.command.action)));
    assert.ok(deployAt < removeAt, "the successor is deployed before the old replica goes");
  });
}

appTest("draining a node moves its stateless replicas to another node", async (app) => {
  await movesOff(app, (api, nodeId) => patchNode(api, nodeId, { drained: true }));
}, FAST);

appTest("a node whose hours end within the lead evacuates when its owner asked", async (app) => {
  await movesOff(app, (api, nodeId) => {
    // A window from midnight to five minutes from now (UTC): it ends inside the 15-minute lead.
    const now = new Date();
    const soon = new Date(now.getTime() + 5 * 60_000);
    let end = `${String(soon.getUTCHours()).padStart(2, "0")}:${
      String(soon.getUTCMinutes()).padStart(2, "0")
    }`;
    if (end === "00:00") end = "23:59";
    return patchNode(api, nodeId, {
      evacuateOutsideHours: true,
      schedule: { timezone: "UTC", windows: [{ day: now.getUTCDay(), start: "00:00", end }] },
    });
  });
}, FAST);

appTest("with nowhere to go a drained node keeps its replica running and says why", async (app) => {
  await withSetup(app, async ({ api, node, until }) => {
    const alpha = await node("alpha");
    const id = await deployOne(api, until, "stayer");
    await patchNode(api, alpha.agent.nodeId, { drained: true });
    const stuck = await until(
      id,
      (w) => /no other node fits yet/.test(String(w.statusReason)),
      "reason names the move",
    );
    assert.equal(stuck.status, "running");
    assert.match(String(stuck.statusReason), /moving 1 replica: the node is drained/);
    assert.equal(allocs(stuck)[0].nodeId, alpha.agent.nodeId);
    assert.equal(alpha.commands.some((c) => c.action === "remove"), false);

    await patchNode(api, alpha.agent.nodeId, { drained: false });
    await until(id, (w) => w.status === "running" && w.statusReason === null, "settled again");
  });
}, FAST);
