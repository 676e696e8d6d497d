import assert from "node:assert/strict";
import type { Allocation, Workload } from "../../db/workloads.ts";
import { WorkloadSpec } from "../workloads/spec.ts";
import { decide, type DecideOptions } from "./decide.ts";

const NOW = Date.parse("2026-11-22T12:00:00Z");

function workload(
  over: Omit<Partial<Workload>, "spec"> & { spec?: Record<string, unknown> } = {},
): Workload {
  const { spec, ...rest } = over;
  return {
    id: "w1",
    ownerId: "u1",
    ownerEmail: "u@example.com",
    name: "web",
    spec: WorkloadSpec.parse({ name: "web", image: "nginx:1", ...spec }),
    generation: 1,
    desired: "running",
    status: "scheduled",
    statusReason: null,
    unplaced: null,
    credentialsSealed: null,
    deployFailures: 0,
    canRollBack: false,
    createdAt: new Date(NOW - 60_000),
    updatedAt: new Date(NOW - 60_000),
    ...rest,
  };
}

let n = 0;
function alloc(over: Partial<Allocation> = {}): Allocation {
  return {
    id: `a${++n}`,
    workloadId: "w1",
    nodeId: "n1",
    nodeName: "node-1",
    slot: 0,
    generation: 1,
    desired: "running",
    state: "running",
    reason: null,
    resources: { cpuMillicores: 100, memoryMiB: 64, diskGiB: 1, gpus: 0 },
    stateful: false,
    ports: [],
    attempts: 0,
    containerState: "running",
    containerExitCode: null,
    createdAt: new Date(NOW - 30_000),
    updatedAt: new Date(NOW - 30_000),
    ...over,
  };
}

const opts = (over: Partial<DecideOptions> = {}): DecideOptions => ({
  now: NOW,
  healthyAfterMs: 5_000,
  maxDeployFailures: 3,
  nodeOnline: () => true,
  busy: () => false,
  leaving: () => null,
  ...over,
});

Deno.test("an unplaced workload asks for one placement per replica", () => {
  const d = decide(workload({ spec: { replicas: 3 } }), [], opts());
  assert.deepEqual(d.place.map((p) => p.slot), [0, 1, 2]);
  assert.ok(d.place.every((p) => p.pinnedNodeId === null));
});

Deno.test("a workload whose replicas all run is running and asks for nothing", () => {
  const d = decide(workload({ spec: { replicas: 2 } }), [alloc(), alloc({ slot: 1 })], opts());
  assert.equal(d.status, "running");
  assert.equal(d.reason, null);
  assert.deepEqual([d.place, d.remove, d.giveUp, d.deploy], [[], [], [], []]);
});

Deno.test("a pending allocation is deployed unless a command is on its way or its node is away", () => {
  const a = alloc({ state: "pending", containerState: null });
  assert.deepEqual(decide(workload(), [a], opts()).deploy, [a.id]);
  assert.deepEqual(decide(workload(), [a], opts({ busy: () => true })).deploy, []);
  assert.deepEqual(decide(workload(), [a], opts({ nodeOnline: () => false })).deploy, []);
});

Deno.test("scaling down gives up the extra slots and removes their containers", () => {
  const extra = alloc({ slot: 1 });
  const d = decide(workload(), [alloc(), extra], opts());
  assert.deepEqual(d.giveUp, [{ id: extra.id, reason: "scaled down to 1" }]);
  assert.deepEqual(d.remove, [extra.id]);
});

Deno.test("a lost stateless allocation is replaced anywhere; its container is forgotten", () => {
  const lost = alloc({ state: "lost", desired: "removed", nodeId: "gone" });
  const d = decide(
    workload(),
    [lost],
    opts({ nodeOnline: (id) => id !== "gone" }),
  );
  assert.deepEqual(d.place, [{ slot: 0, pinnedNodeId: null, replaces: [] }]);
  assert.deepEqual(d.forget, [lost.id]);
  assert.deepEqual(d.remove, []);
});

Deno.test("a lost stateful allocation is never placed twice: the workload is lost", () => {
  const lost = alloc({ state: "lost", stateful: true, reason: "node node-1 offline" });
  const d = decide(workload({ spec: { template: "postgres", image: undefined } }), [lost], opts());
  assert.equal(d.status, "lost");
  assert.match(d.reason!, /node-1.*data needs recovery/);
  assert.deepEqual(d.place, []);
});

Deno.test("a failed stateful allocation is placed again on the node holding its data", () => {
  const failed = alloc({ state: "failed", stateful: true, nodeId: "n7" });
  const d = decide(
    workload({ spec: { template: "postgres", image: undefined } }),
    [failed],
    opts(),
  );
  assert.deepEqual(d.place, [{ slot: 0, pinnedNodeId: "n7", replaces: [] }]);
});

Deno.test("a new generation starts beside the old and replaces it once healthy", () => {
  const old = alloc({ generation: 1 });
  const w = workload({ generation: 2 });
  const start = decide(w, [old], opts());
  assert.deepEqual(start.place, [{ slot: 0, pinnedNodeId: null, replaces: [] }]);
  assert.equal(start.status, "scheduled");
  assert.match(start.reason!, /updating to generation 2/);

  const young = alloc({ generation: 2, updatedAt: new Date(NOW - 1_000) });
  const waiting = decide(w, [old, young], opts());
  assert.deepEqual(waiting.giveUp, [], "not healthy for long enough yet");
  const proven = alloc({ generation: 2, updatedAt: new Date(NOW - 6_000) });
  const done = decide(w, [old, proven], opts());
  assert.deepEqual(done.giveUp.map((g) => g.id), [old.id]);
  assert.deepEqual(done.remove, [old.id]);
});

Deno.test("a stateful update recreates the container on the same node", () => {
  const old = alloc({ generation: 1, stateful: true, nodeId: "n3" });
  const w = workload({ generation: 2, spec: { template: "postgres", image: undefined } });
  const d = decide(w, [old], opts());
  assert.deepEqual(d.place, [{ slot: 0, pinnedNodeId: "n3", replaces: [old.id] }]);
  assert.deepEqual(d.remove, [old.id]);
});

Deno.test("too many failed deploys: rolled back when possible, else failed with the reason", () => {
  const reason = "deploy failed on node n1: pull access denied";
  const failing = workload({ deployFailures: 3, statusReason: reason });
  const failed = decide(failing, [], opts());
  assert.equal(failed.status, "failed");
  assert.equal(failed.reason, reason);
  assert.deepEqual(failed.place, []);
  const rolled = decide({ ...failing, canRollBack: true }, [], opts());
  assert.equal(rolled.rollBack, true);
  assert.deepEqual(rolled.place, []);
});

Deno.test("stopping stops live containers; a stopped workload with none is stopped", () => {
  const a = alloc();
  const stopping = decide(workload({ desired: "stopped" }), [a], opts());
  assert.deepEqual(stopping.stop, [a.id]);
  assert.equal(stopping.status, "scheduled");
  const stopped = decide(
    workload({ desired: "stopped" }),
    [alloc({ state: "stopped" })],
    opts(),
  );
  assert.equal(stopped.status, "stopped");
  assert.deepEqual(stopped.stop, []);
});

Deno.test("a deleted workload removes everything, and is purged once nothing is left", () => {
  const a = alloc();
  const deleting = decide(workload({ desired: "deleted" }), [a], opts());
  assert.deepEqual(deleting.remove, [a.id]);
  assert.equal(deleting.purge, false);
  assert.equal(decide(workload({ desired: "deleted" }), [], opts()).purge, true);
});

Deno.test("a replica on a leaving node gets a successor first, and leaves once it is healthy", () => {
  const leaving = (id: string) => id === "n1" ? "the node is drained" : null;
  const old = alloc({ nodeId: "n1" });
  const first = decide(workload(), [old], opts({ leaving }));
  assert.deepEqual(first.place, [{ slot: 0, pinnedNodeId: null, replaces: [] }]);
  assert.deepEqual(first.giveUp, []);
  assert.equal(first.status, "running");
  assert.match(first.reason ?? "", /moving 1 replica: the node is drained/);

  // The successor is placed but not yet healthy: nothing more to do, the old one keeps serving.
  const young = alloc({ nodeId: "n2", updatedAt: new Date(NOW - 1_000) });
  const second = decide(workload(), [old, young], opts({ leaving }));
  assert.deepEqual([second.place, second.giveUp, second.remove], [[], [], []]);

  // Healthy: the old replica is given up and removed from the leaving node.
  const healthy = alloc({ nodeId: "n2", updatedAt: new Date(NOW - 10_000) });
  const third = decide(workload(), [old, healthy], opts({ leaving }));
  assert.deepEqual(third.giveUp.map((g) => g.id), [old.id]);
  assert.match(third.giveUp[0].reason, /moved to another node: the node is drained/);
  assert.deepEqual(third.remove, [old.id]);
});

Deno.test("a stateful replica stays with its data on a leaving node", () => {
  const a = alloc({ nodeId: "n1", stateful: true });
  const d = decide(
    workload({ spec: { template: "postgres", image: undefined } }),
    [a],
    opts({ leaving: () => "the node is drained" }),
  );
  assert.deepEqual([d.place, d.giveUp, d.moving], [[], [], []]);
});

Deno.test("no successor is placed once deploys have failed out", () => {
  const a = alloc({ nodeId: "n1" });
  const d = decide(
    workload({ deployFailures: 3 }),
    [a],
    opts({ leaving: () => "the node is drained" }),
  );
  assert.deepEqual(d.place, []);
  assert.deepEqual(d.giveUp, []);
});
