import assert from "node:assert/strict";
import type { Capabilities } from "../protocol.ts";
import type { CapacityRow } from "../../db/overview.ts";
import {
  buildOverview,
  capacityByPool,
  describeNodeEvent,
  nextSteps,
  type OverviewInput,
} from "./summary.ts";

const CAPS: Capabilities = {
  cpu: { cores: 4, model: "x" },
  memoryBytes: 8 * 1024 ** 3,
  disk: { path: "/", totalBytes: 100 * 1024 ** 3, freeBytes: 50 * 1024 ** 3 },
  os: "linux",
  arch: "x86_64",
  kernel: "6",
  docker: { version: "24", apiVersion: "1.43", runtimes: ["runc"] },
  gpus: [{ index: 0, model: "T4", memoryBytes: 16 * 1024 ** 3 }],
  network: { downloadBps: null, uploadBps: null },
  agentVersion: "0.1.0",
};

const row = (poolId: string, used: number, offer: CapacityRow["offer"] = null): CapacityRow => ({
  poolId,
  capabilities: CAPS,
  offer,
  allocated: { cpuMillicores: used, memoryMiB: 1024, diskGiB: 1, gpus: 0 },
});

const NOW = new Date("2025-01-01T12:00:00Z");
const input = (over: Partial<OverviewInput> = {}): OverviewInput => ({
  admin: true,
  nodeCounts: [],
  capacity: [],
  workloadCounts: [],
  events: [],
  offlineNodes: [],
  troubledWorkloads: [],
  undeliveredJobs: 0,
  now: NOW,
  ...over,
});

Deno.test("buildOverview() counts approved nodes, sums capacity with offers and counts statuses", () => {
  const o = buildOverview(input({
    nodeCounts: [
      { approval: "approved", status: "online", n: 2 },
      { approval: "approved", status: "offline", n: 1 },
      { approval: "pending", status: "unknown", n: 3 },
      { approval: "rejected", status: "offline", n: 5 },
    ],
    capacity: [row("p1", 500), row("p1", 1000, { cpuPercent: 50 })],
    workloadCounts: [{ status: "running", n: 4 }, { status: "failed", n: 1 }],
  }));
  assert.deepEqual(o.nodes, { total: 3, online: 2, pending: 3 });
  assert.deepEqual(o.capacity.cpuMillicores, { total: 6000, used: 1500 });
  assert.deepEqual(o.capacity.memoryMiB, { total: 16384, used: 2048 });
  assert.deepEqual(o.capacity.gpus, { total: 2, used: 0 });
  assert.equal(o.workloads.total, 5);
  assert.equal(o.workloads.byStatus.running, 4);
  assert.equal(o.workloads.byStatus.pending, 0);
  assert.deepEqual(Object.keys(o.workloads.byStatus)[0], "running");
});

Deno.test("buildOverview() lists events newest first, workload and node events together", () => {
  const at = (s: number) => new Date(NOW.getTime() - s * 1000);
  const o = buildOverview(input({
    events: [
      {
        source: "workload",
        at: at(30),
        kind: "created",
        subject: "db",
        subjectId: "w1",
        message: "created by a",
        data: {},
      },
      {
        source: "node",
        at: at(5),
        kind: "container",
        subject: "n1",
        subjectId: "n-1",
        message: "",
        data: { state: "running", action: "start" },
      },
    ],
  }));
  assert.deepEqual(o.events.map((e) => e.subject), ["n1", "db"]);
  assert.equal(o.events[0].message, "container running (start)");
  assert.equal(o.events[0].href, "/nodes/n-1");
  assert.equal(o.events[1].href, "/workloads/w1");
});

Deno.test("alerts: users see their failed workloads only; admins also offline nodes and undelivered jobs", () => {
  const trouble = {
    offlineNodes: [{ id: "n1", name: "box", state: "offline", reason: null, since: NOW }],
    troubledWorkloads: [{ id: "w1", name: "db", state: "lost", reason: null, since: NOW }],
    undeliveredJobs: 2,
  };
  const user = buildOverview(input({ ...trouble, admin: false }));
  assert.deepEqual(user.alerts.map((a) => a.kind), ["workload_lost"]);
  assert.equal(user.scope, "own");
  const admin = buildOverview(input(trouble));
  assert.deepEqual(admin.alerts.map((a) => a.kind), [
    "workload_lost",
    "node_offline",
    "undelivered_jobs",
  ]);
  assert.equal(admin.alerts[2].title, "2 scheduler jobs could not be delivered");
});

Deno.test("nextSteps() follows the state: join, then approve, then deploy", () => {
  const ids = (s: Parameters<typeof nextSteps>[0]) => nextSteps(s).map((x) => x.id);
  const base = { admin: true, approved: 0, online: 0, pending: 0, workloads: 0 };
  assert.deepEqual(ids(base), ["join", "deploy"]);
  assert.deepEqual(ids({ ...base, pending: 2 }), ["approve", "deploy"]);
  assert.deepEqual(ids({ ...base, approved: 1, online: 1 }), ["deploy"]);
  assert.deepEqual(ids({ ...base, approved: 1, online: 1, workloads: 3 }), []);
  assert.deepEqual(ids({ ...base, admin: false }), ["wait-for-nodes", "deploy"]);
  assert.deepEqual(ids({ ...base, admin: false, online: 1, pending: 4, workloads: 1 }), []);
});

Deno.test("capacityByPool() groups capacity by pool", () => {
  const byPool = capacityByPool([row("a", 100), row("a", 200), row("b", 0)]);
  assert.deepEqual(byPool.get("a")?.cpuMillicores, { total: 8000, used: 300 });
  assert.deepEqual(byPool.get("b")?.cpuMillicores, { total: 4000, used: 0 });
});

Deno.test("describeNodeEvent() words each kind of node event", () => {
  assert.equal(
    describeNodeEvent("pull", { image: "redis:7", status: "done" }),
    "pulling redis:7: done",
  );
  assert.equal(describeNodeEvent("docker", { healthy: true }), "Docker is healthy");
  assert.equal(
    describeNodeEvent("docker", { healthy: false, error: "socket gone" }),
    "Docker is unhealthy: socket gone",
  );
  assert.equal(
    describeNodeEvent("dropped", { count: 3 }),
    "3 buffered records were dropped while offline",
  );
  assert.equal(describeNodeEvent("error", { message: "boom" }), "boom");
  assert.equal(describeNodeEvent("other", {}), "other");
});
