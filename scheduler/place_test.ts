import assert from "node:assert/strict";
import { withAllocation } from "./apply.ts";
import { ClusterView } from "./cluster_view.ts";
import { createFilterContext, explainRejection, firstRejection } from "./filters.ts";
import { placeNaive, planNaive } from "./naive.ts";
import { createPlanner, defaultSampleSize, place, planPlacements } from "./place.ts";
import { mulberry32, type Random } from "./random.ts";
import { scoreNode } from "./scorers.ts";
import { simulatedCluster, simulatedRequests } from "./simulate.ts";
import { type Reasons, summariseReasons } from "./summary.ts";
import { node, nodes, request } from "./testing.ts";
import { type NodeView, Placement, type PlacementRequest, type Schedule } from "./types.ts";

const NOW = new Date("2026-11-18T10:00:00Z"); // Wednesday
const options = { now: NOW, seed: 1 };
const resources = (cpu: number, memory: number, disk: number, gpus: number) => ({
  cpuMillicores: cpu,
  memoryMiB: memory,
  diskGiB: disk,
  gpus,
});
const nightsOnly: Schedule = {
  timezone: "Europe/Paris",
  windows: [{ day: 3, start: "22:00", end: "06:00" }],
};

function nodeId(placement: Placement): string {
  assert.ok(placement.ok, placement.ok ? "" : placement.summary);
  return placement.nodeId;
}

// ------------------------------------------------------------------ picking

Deno.test("place() picks the best-scoring node", () => {
  const cluster = nodes(6, (i) => ({ rank: [100, 900, 300, 800, 50, 600][i] }));
  assert.equal(nodeId(place(cluster, request(), options)), "n-1");
  assert.equal(nodeId(placeNaive(cluster, request(), options)), "n-1");
});

Deno.test("place() picks the same node for the same seed and breaks ties by seed", () => {
  const twins = nodes(8);
  const picks = new Set<string>();
  for (let seed = 0; seed < 40; seed++) {
    const first = nodeId(place(twins, request(), { now: NOW, seed }));
    assert.equal(nodeId(place(twins, request(), { now: NOW, seed })), first);
    // Without sampling, the same tie-break as the naive planner (sampling draws differently).
    const exhaustive = nodeId(place(twins, request(), { now: NOW, seed, sampling: false }));
    assert.equal(nodeId(placeNaive(twins, request(), { now: NOW, seed })), exhaustive);
    picks.add(first);
  }
  assert.ok(picks.size >= 4, `ties always broke towards ${[...picks]}`);
});

Deno.test("place() breaks ties differently for different replicas of a workload", () => {
  const twins = nodes(8);
  const picks = new Set(
    [0, 1, 2, 3, 4, 5].map((allocationIndex) =>
      nodeId(place(twins, request({ allocationIndex }), options))
    ),
  );
  assert.ok(picks.size > 1);
});

Deno.test("place() follows the strategy: binpack fills busy nodes, spread empties", () => {
  const cluster = nodes(3, (i) => ({ allocated: resources(i * 1000, i * 2048, i * 20, 0) }));
  assert.equal(nodeId(place(cluster, request({ strategy: "binpack" }), options)), "n-2");
  assert.equal(nodeId(place(cluster, request({ strategy: "spread" }), options)), "n-0");
});

Deno.test("place() finds the only node beside a hard-affinity workload in a big cluster", () => {
  const cluster = nodes(600, (i) => ({
    workloadsPlaced: i === 421 ? [{ workloadId: "db-1", labels: { app: "db" } }] : [],
  }));
  const req = request({
    affinity: [{ workloadLabel: { key: "app", value: "db" }, type: "affinity", hard: true }],
  });
  assert.equal(nodeId(place(cluster, req, options)), "n-421");
});

Deno.test("place() searches every node beside a hard-affinity workload until one fits", () => {
  const cluster = nodes(300, (i) => ({
    workloadsPlaced: i % 50 === 3 ? [{ workloadId: `db-${i}`, labels: { app: "db" } }] : [],
    // Every node beside a db is full but one.
    allocated: i % 50 === 3 && i !== 253 ? resources(4000, 0, 0, 0) : resources(0, 0, 0, 0),
  }));
  const req = request({
    affinity: [{ workloadLabel: { key: "app", value: "db" }, type: "affinity", hard: true }],
  });
  for (let seed = 0; seed < 10; seed++) {
    assert.equal(nodeId(place(cluster, req, { now: NOW, seed })), "n-253");
  }
});

Deno.test("place() samples the node holding the workload's volume among many", () => {
  const cluster = nodes(2000, (i) => ({ volumesHeld: i === 1234 ? ["w-1/data"] : [] }));
  assert.equal(nodeId(place(cluster, request({ volumes: ["w-1/data"] }), options)), "n-1234");
});

Deno.test("place() samples rare preferred nodes among many", () => {
  const cluster = nodes(2000, (i) => ({
    labels: { disk: i % 500 === 7 ? "nvme" : "hdd" },
  }));
  const req = request({ nodePreferences: [{ label: "disk", value: "nvme", weight: 100 }] });
  for (let seed = 0; seed < 10; seed++) {
    const picked = nodeId(place(cluster, req, { now: NOW, seed }));
    assert.ok(["n-7", "n-507", "n-1007", "n-1507"].includes(picked), picked);
  }
});

Deno.test("defaultSampleSize() grows with log2 of the cluster", () => {
  assert.deepEqual([1, 2, 1000, 10_000].map(defaultSampleSize), [1, 6, 24, 32]);
});

// ------------------------------------------------------------------ failures and reasons

Deno.test("place() counts each rejected node under its first failing filter", () => {
  const gpu = resources(4000, 8192, 100, 1);
  const base = { capacity: gpu, agentVersion: "1.2.0" };
  const outside = (id: string, extra: Partial<NodeView>) => node({ id, ...base, ...extra });
  const cluster = [
    outside("pool", { poolId: "pool-z" }),
    outside("approved", { approved: false }),
    outside("offline-1", { online: false }),
    outside("offline-2", { online: false, approved: true }),
    outside("hours", { schedule: nightsOnly }),
    outside("labels", { labels: { region: "us-east" } }),
    outside("version", { agentVersion: "1.1.0" }),
    outside("runtime", { runtimes: ["runsc"] }),
    outside("cpu", { allocated: resources(3800, 0, 0, 0) }),
    outside("memory-1", { allocated: resources(0, 6000, 0, 0) }),
    outside("memory-2", { allocated: resources(0, 7000, 0, 0) }),
    outside("memory-3", { allocated: resources(0, 8192, 0, 0) }),
    outside("disk", { allocated: resources(0, 0, 99, 0) }),
    outside("gpus", { capacity: resources(4000, 8192, 100, 0) }),
    outside("self", { workloadsPlaced: [{ workloadId: "w-1", labels: { app: "web" } }] }),
    outside("noisy", { workloadsPlaced: [{ workloadId: "x", labels: { app: "noisy" } }] }),
    // Fails several filters: only the first (pool) counts.
    outside("many", { poolId: "pool-z", online: false, approved: false }),
  ];
  const req = request({
    poolId: "pool-a",
    minAgentVersion: "1.2.0",
    runtime: "runc",
    resources: resources(500, 4096, 5, 1),
    constraints: [{ label: "region", operator: "=", value: "eu-west" }],
    antiAffinitySelf: true,
    affinity: [{
      workloadLabel: { key: "app", value: "noisy" },
      type: "anti-affinity",
      hard: true,
    }],
  });
  const expected: Reasons = {
    pool: 2,
    approved: 1,
    online: 2,
    hours: 1,
    constraints: 1,
    agentVersion: 1,
    runtime: 1,
    cpu: 1,
    memory: 3,
    disk: 1,
    gpus: 1,
    antiAffinitySelf: 1,
    affinity: 1,
  };
  for (const result of [place(cluster, req, options), placeNaive(cluster, req, options)]) {
    assert.ok(!result.ok);
    assert.deepEqual(result.reasons, expected);
    assert.equal(
      result.summary,
      '3 nodes lack 4 GiB of memory; 2 are not in pool "pool-a"; 2 are offline; ' +
        "1 is not approved; 1 is outside its computation hours; " +
        "1 does not match the label constraints (region = eu-west); " +
        '1 runs an agent older than 1.2.0; 1 lacks the "runc" runtime; 1 lacks 500 CPU millicores; ' +
        "1 lacks 5 GiB of disk; 1 lacks 1 GPU; 1 already runs this workload; " +
        "1 breaks hard affinity rules (away from app=noisy)",
    );
  }
});

Deno.test("place() summarises why nothing fits, most common reason first", () => {
  const cluster = [
    ...nodes(3, () => ({ allocated: resources(0, 6144, 0, 0) })),
    node({ id: "off-1", online: false }),
    node({ id: "off-2", online: false }),
    node({ id: "night", schedule: nightsOnly }),
  ];
  const result = place(cluster, request({ resources: resources(500, 4096, 1, 0) }), options);
  assert.ok(!result.ok);
  assert.equal(
    result.summary,
    "3 nodes lack 4 GiB of memory; 2 are offline; 1 is outside its computation hours",
  );
  assert.deepEqual(result.reasons, { memory: 3, online: 2, hours: 1 });
});

Deno.test("place() on an empty cluster says there are no nodes", () => {
  assert.deepEqual(place([], request(), options), {
    ok: false,
    reasons: {},
    summary: "there are no nodes",
  });
});

Deno.test("summariseReasons() says 1 node in the singular", () => {
  assert.equal(summariseReasons({ online: 1 }, request()), "1 node is offline");
});

// ------------------------------------------------------------------ batches

Deno.test("planPlacements() spreads replicas with self anti-affinity and says when it runs out", () => {
  const req = (allocationIndex: number) => request({ allocationIndex, antiAffinitySelf: true });
  const results = planPlacements(nodes(2), [req(0), req(1), req(2)], options);
  assert.deepEqual(results.slice(0, 2).map(nodeId).sort(), ["n-0", "n-1"]);
  assert.deepEqual(results[2], {
    ok: false,
    reasons: { antiAffinitySelf: 2 },
    summary: "2 nodes already run this workload",
  });
});

Deno.test("planPlacements() counts each placement so a batch never overcommits a node", () => {
  const big = request({ resources: resources(1500, 1024, 1, 0) });
  const results = planPlacements(nodes(1), [big, { ...big, workloadId: "w-2" }, {
    ...big,
    workloadId: "w-3",
  }], options);
  assert.deepEqual(results.map((r) => r.ok), [true, true, false]);
  assert.equal(
    (results[2] as { summary: string }).summary,
    "1 node lacks 1500 CPU millicores",
  );
});

Deno.test("planPlacements() leaves its input untouched and returns schema-valid placements", () => {
  const cluster = simulatedCluster({ nodes: 80, seed: 5 });
  const before = structuredClone(cluster);
  const results = planPlacements(cluster, simulatedRequests({ count: 60, seed: 6 }), options);
  assert.deepEqual(cluster, before);
  for (const result of results) Placement.parse(result);
});

Deno.test("createPlanner() on a ClusterView counts placements in the view", () => {
  const view = new ClusterView(nodes(2));
  const planner = createPlanner(view, options);
  const placed = nodeId(planner.place(request({ resources: resources(1000, 2048, 10, 0) })));
  assert.equal(view.get(placed)?.allocated.cpuMillicores, 1000);
  assert.deepEqual(view.get(placed)?.workloadsPlaced, [{
    workloadId: "w-1",
    labels: { app: "web" },
  }]);
  assert.equal(planner.nodes(), view.nodes());
});

Deno.test("ClusterView upserts, replaces and removes nodes by id", () => {
  const view = new ClusterView(nodes(3));
  view.upsert(node({ id: "n-1", online: false }));
  view.upsert(node({ id: "n-9" }));
  assert.equal(view.size, 4);
  assert.equal(view.get("n-1")?.online, false);
  assert.equal(view.remove("n-0"), true);
  assert.equal(view.remove("n-0"), false);
  assert.deepEqual(view.nodes().map((n) => n.id).sort(), ["n-1", "n-2", "n-9"]);
  // n-1 is offline, so only n-2 or n-9 can take it.
  assert.ok(["n-2", "n-9"].includes(nodeId(place(view, request(), options))));
});

// ------------------------------------------------------------------ properties

/** A random moment in the week of NOW, so computation hours vary. */
function someMoment(random: Random): Date {
  return new Date(NOW.getTime() + Math.floor(random() * 7 * 24 * 60) * 60_000);
}

/**
 * Sets some nodes' free resources to exactly what simulated requests ask, give or take one, so
 * the boundaries of the resource filters are crossed often.
 */
function tighten(cluster: NodeView[], random: Random): NodeView[] {
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  return cluster.map((n) => {
    if (random() < 0.5) return n;
    const free = (capacity: number, asked: number[]) =>
      Math.min(capacity, Math.max(0, capacity - pick(asked) - pick([-1, 0, 1])));
    const { capacity } = n;
    return {
      ...n,
      allocated: {
        cpuMillicores: free(capacity.cpuMillicores, [250, 500, 1000, 2000]),
        memoryMiB: free(capacity.memoryMiB, [256, 512, 1024, 2048, 4096]),
        diskGiB: free(capacity.diskGiB, [1, 5, 10, 20]),
        gpus: free(capacity.gpus, [0, 1]),
      },
    };
  });
}

/**
 * Replays fast placements against the real filters: every pick was feasible at that moment
 * (no hard constraint broken, no resource overcommitted), every failure had no feasible node,
 * and every failure's reasons are what the full pipeline counts.
 */
function checkAgainstFilters(
  initial: readonly NodeView[],
  requests: readonly PlacementRequest[],
  results: readonly Placement[],
  now: Date,
): void {
  const ctx = createFilterContext(now);
  const live = initial.slice();
  requests.forEach((req, k) => {
    const result = results[k];
    if (result.ok) {
      const i = live.findIndex((n) => n.id === result.nodeId);
      assert.equal(explainRejection(live[i], req, ctx), null, `request ${k} broke a filter`);
      assert.equal(result.score, scoreNode(live[i], req));
      live[i] = withAllocation(live[i], req);
      return;
    }
    const reasons: Reasons = {};
    for (const n of live) {
      const filter = firstRejection(n, req, ctx);
      assert.ok(filter, `request ${k} failed although node ${n.id} fits`);
      reasons[filter.name] = (reasons[filter.name] ?? 0) + 1;
    }
    assert.deepEqual(result.reasons, reasons);
    assert.equal(result.summary, summariseReasons(reasons, req));
  });
  live.forEach((n, i) => {
    for (const key of Object.keys(n.capacity) as (keyof NodeView["capacity"])[]) {
      if (initial[i].allocated[key] > initial[i].capacity[key]) continue;
      assert.ok(n.allocated[key] <= n.capacity[key], `${n.id} overcommitted on ${key}`);
    }
  });
}

Deno.test("planPlacements() never overcommits, never breaks a hard constraint, and fails only when nothing fits", () => {
  const outcomes = { placed: 0, failed: 0 };
  for (let iteration = 0; iteration < 300; iteration++) {
    const random = mulberry32(iteration);
    const now = someMoment(random);
    const simulated = simulatedCluster({
      nodes: 3 + Math.floor(random() * 40),
      seed: iteration,
      fill: 0.3 + random() * 0.7,
    });
    const cluster = iteration % 2 ? tighten(simulated, random) : simulated;
    const requests = simulatedRequests({
      count: 5 + Math.floor(random() * 40),
      seed: 10_000 + iteration,
      everything: iteration % 3 === 0,
      maxReplicas: 4,
    });
    // Small samples exercise early stops and top-ups on these small clusters.
    const sampleSize = iteration % 4 === 0 ? undefined : 1 + Math.floor(random() * 6);
    const results = planPlacements(cluster, requests, { now, seed: iteration, sampleSize });
    checkAgainstFilters(cluster, requests, results, now);
    outcomes.placed += results.filter((r) => r.ok).length;
    outcomes.failed += results.filter((r) => !r.ok).length;
  }
  // Both outcomes are common, so both halves of the property were exercised.
  assert.ok(outcomes.placed > 1000 && outcomes.failed > 300, JSON.stringify(outcomes));
});

Deno.test("planPlacements() without sampling picks exactly what the naive planner picks", () => {
  for (let iteration = 0; iteration < 200; iteration++) {
    const random = mulberry32(50_000 + iteration);
    const now = someMoment(random);
    const simulated = simulatedCluster({
      nodes: 1 + Math.floor(random() * 60),
      seed: 7_000 + iteration,
      fill: random(),
    });
    const cluster = iteration % 2 ? tighten(simulated, random) : simulated;
    const requests = simulatedRequests({
      count: 1 + Math.floor(random() * 30),
      seed: 20_000 + iteration,
      everything: iteration % 2 === 0,
    });
    const options = { now, seed: iteration };
    assert.deepEqual(
      planPlacements(cluster, requests, { ...options, sampling: false }),
      planNaive(cluster, requests, options),
      `iteration ${iteration}`,
    );
  }
});

/** A random change to a node, as registrations, heartbeats and recorded allocations bring. */
function changed(n: NodeView, random: Random): NodeView {
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  const copy = structuredClone(n);
  switch (Math.floor(random() * 9)) {
    case 0:
      copy.online = !copy.online;
      break;
    case 1:
      copy.approved = random() < 0.8;
      break;
    case 2:
      copy.labels.region = pick(["eu-west", "us-east", "ap-south"]);
      if (random() < 0.3) delete copy.labels.disk;
      break;
    case 3:
      copy.poolId = pick([null, "pool-home", "pool-dc", "pool-new"]);
      break;
    case 4:
      copy.agentVersion = pick(["0.9.0", "1.1.0", "1.10.0", "3.0.0"]);
      copy.runtimes = pick([["runc"], ["runc", "nvidia"], []]);
      break;
    case 5:
      copy.schedule = pick([null, nightsOnly, { timezone: "UTC", windows: [] }]);
      break;
    case 6:
      copy.allocated.memoryMiB = Math.floor(copy.capacity.memoryMiB * random());
      copy.capacity.gpus = pick([0, 1, 2]);
      copy.rank = Math.floor(random() * 1001);
      break;
    case 7:
      copy.workloadsPlaced = random() < 0.5 ? [] : [
        ...copy.workloadsPlaced,
        {
          workloadId: `w-${Math.floor(random() * 50)}`,
          labels: { app: pick(["web", "db", "ml"]) },
        },
      ];
      break;
    default:
      copy.volumesHeld = random() < 0.5 ? [] : [`w-${Math.floor(random() * 50)}/data`];
  }
  return copy;
}

Deno.test("a long-lived ClusterView, patched by upserts, plans as the naive planner on its nodes", () => {
  for (let iteration = 0; iteration < 60; iteration++) {
    const random = mulberry32(90_000 + iteration);
    const view = new ClusterView(simulatedCluster({ nodes: 40, seed: iteration, fill: 0.5 }));
    for (let batch = 0; batch < 5; batch++) {
      const now = someMoment(random);
      for (let k = 0; k < 8; k++) {
        const live = view.nodes();
        const target = live[Math.floor(random() * live.length)];
        const roll = random();
        if (roll < 0.05) view.remove(target.id);
        else if (roll < 0.1) view.upsert({ ...changed(target, random), id: `new-${batch}-${k}` });
        else view.upsert(changed(target, random));
      }
      const requests = simulatedRequests({
        count: 15,
        seed: iteration * 10 + batch,
        everything: false,
      });
      const snapshot = view.nodes().slice();
      const sampling = batch % 2 === 0;
      const results = planPlacements(view, requests, { now, seed: batch, sampling });
      if (sampling) checkAgainstFilters(snapshot, requests, results, now);
      else assert.deepEqual(results, planNaive(snapshot, requests, { now, seed: batch }));
    }
  }
});
