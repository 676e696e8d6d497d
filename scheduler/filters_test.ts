import assert from "node:assert/strict";
import {
  createFilterContext,
  DYNAMIC_FILTERS,
  explainRejection,
  type Filter,
  FILTERS,
  STATIC_FILTERS,
} from "./filters.ts";
import { localTime, parseClock } from "./hours.ts";
import { node, request } from "./testing.ts";
import { FILTER_NAMES, type NodeView, type PlacementRequest, type Schedule } from "./types.ts";
import { compareVersions } from "./version.ts";

const NOW = new Date("2026-11-18T10:00:00Z"); // a Wednesday
const ctx = createFilterContext(NOW);

function filter(name: string): Filter {
  const found = FILTERS.find((f) => f.name === name);
  if (!found) throw new Error(`no filter ${name}`);
  return found;
}

interface Case {
  name: string;
  filter: string;
  node?: Partial<NodeView>;
  req?: Partial<PlacementRequest>;
  /** null when the node passes. */
  expect: string | null;
}

const placed = (workloadId: string, labels: Record<string, string>) => ({ workloadId, labels });
const resources = (cpu: number, memory: number, disk: number, gpus: number) => ({
  cpuMillicores: cpu,
  memoryMiB: memory,
  diskGiB: disk,
  gpus,
});

const CASES: Case[] = [
  { name: "any pool when the request names none", filter: "pool", expect: null },
  { name: "the requested pool", filter: "pool", req: { poolId: "pool-a" }, expect: null },
  {
    name: "another pool",
    filter: "pool",
    req: { poolId: "pool-b" },
    expect: 'is in pool "pool-a", needs pool "pool-b"',
  },
  {
    name: "no pool",
    filter: "pool",
    node: { poolId: null },
    req: { poolId: "pool-b" },
    expect: 'is in no pool, needs pool "pool-b"',
  },
  { name: "approved", filter: "approved", expect: null },
  {
    name: "not approved",
    filter: "approved",
    node: { approved: false },
    expect: "is not approved",
  },
  { name: "online", filter: "online", expect: null },
  { name: "offline", filter: "online", node: { online: false }, expect: "is offline" },
  { name: "no schedule: always available", filter: "hours", expect: null },
  { name: "no constraints", filter: "constraints", expect: null },
  {
    name: "= matches",
    filter: "constraints",
    req: { constraints: [{ label: "region", operator: "=", value: "eu-west" }] },
    expect: null,
  },
  {
    name: "= differs",
    filter: "constraints",
    req: { constraints: [{ label: "region", operator: "=", value: "us-east" }] },
    expect: "has region=eu-west, needs region = us-east",
  },
  {
    name: "= on a missing label",
    filter: "constraints",
    req: { constraints: [{ label: "gpu", operator: "=", value: "t4" }] },
    expect: 'has no label "gpu", needs gpu = t4',
  },
  {
    name: "!= differs",
    filter: "constraints",
    req: { constraints: [{ label: "disk", operator: "!=", value: "hdd" }] },
    expect: null,
  },
  {
    name: "!= on a missing label passes",
    filter: "constraints",
    req: { constraints: [{ label: "gpu", operator: "!=", value: "t4" }] },
    expect: null,
  },
  {
    name: "!= equal",
    filter: "constraints",
    req: { constraints: [{ label: "disk", operator: "!=", value: "ssd" }] },
    expect: "has disk=ssd, needs disk != ssd",
  },
  {
    name: "in: one of the values",
    filter: "constraints",
    req: { constraints: [{ label: "region", operator: "in", values: ["us-east", "eu-west"] }] },
    expect: null,
  },
  {
    name: "in: none of the values",
    filter: "constraints",
    req: { constraints: [{ label: "region", operator: "in", values: ["us-east", "ap-south"] }] },
    expect: "has region=eu-west, needs region in [us-east, ap-south]",
  },
  {
    name: "exists",
    filter: "constraints",
    req: { constraints: [{ label: "disk", operator: "exists" }] },
    expect: null,
  },
  {
    name: "exists on a missing label",
    filter: "constraints",
    req: { constraints: [{ label: "gpu", operator: "exists" }] },
    expect: 'has no label "gpu", needs gpu exists',
  },
  {
    name: "inherited object keys are not labels",
    filter: "constraints",
    req: { constraints: [{ label: "constructor", operator: "exists" }] },
    expect: 'has no label "constructor", needs constructor exists',
  },
  {
    name: "every constraint must hold; the first failing one is named",
    filter: "constraints",
    req: {
      constraints: [
        { label: "region", operator: "=", value: "eu-west" },
        { label: "disk", operator: "in", values: ["nvme"] },
      ],
    },
    expect: "has disk=ssd, needs disk in [nvme]",
  },
  { name: "no minimum version", filter: "agentVersion", expect: null },
  {
    name: "the minimum version itself",
    filter: "agentVersion",
    req: { minAgentVersion: "1.2.0" },
    expect: null,
  },
  {
    name: "numeric, not textual, comparison",
    filter: "agentVersion",
    node: { agentVersion: "1.10.0" },
    req: { minAgentVersion: "1.9.3" },
    expect: null,
  },
  {
    name: "an older agent",
    filter: "agentVersion",
    node: { agentVersion: "1.1.9" },
    req: { minAgentVersion: "1.2" },
    expect: "runs agent 1.1.9, needs 1.2 or newer",
  },
  { name: "no runtime asked for", filter: "runtime", expect: null },
  { name: "runtime present", filter: "runtime", req: { runtime: "runc" }, expect: null },
  {
    name: "runtime missing",
    filter: "runtime",
    req: { runtime: "nvidia" },
    expect: 'has no "nvidia" runtime',
  },
  {
    name: "exactly the free CPU",
    filter: "cpu",
    node: { allocated: resources(3500, 0, 0, 0) },
    expect: null,
  },
  {
    name: "too little CPU",
    filter: "cpu",
    node: { allocated: resources(3600, 0, 0, 0) },
    expect: "has 400 CPU millicores free, needs 500 CPU millicores",
  },
  {
    name: "too little CPU, in cores",
    filter: "cpu",
    req: { resources: resources(5000, 0, 0, 0) },
    expect: "has 4 CPU cores free, needs 5 CPU cores",
  },
  {
    name: "too little memory",
    filter: "memory",
    node: { allocated: resources(0, 6144, 0, 0) },
    req: { resources: resources(0, 4096, 0, 0) },
    expect: "has 2 GiB of memory free, needs 4 GiB",
  },
  {
    name: "too little memory, in MiB",
    filter: "memory",
    node: { allocated: resources(0, 8000, 0, 0) },
    expect: "has 192 MiB of memory free, needs 512 MiB",
  },
  { name: "enough memory", filter: "memory", expect: null },
  {
    name: "too little disk",
    filter: "disk",
    node: { allocated: resources(0, 0, 95, 0) },
    req: { resources: resources(0, 0, 10, 0) },
    expect: "has 5 GiB of disk free, needs 10 GiB",
  },
  { name: "enough disk", filter: "disk", expect: null },
  { name: "no GPU asked for", filter: "gpus", expect: null },
  {
    name: "no GPU offered",
    filter: "gpus",
    req: { resources: resources(0, 0, 0, 1) },
    expect: "has 0 GPUs free, needs 1 GPU",
  },
  {
    name: "a free GPU",
    filter: "gpus",
    node: { capacity: resources(4000, 8192, 100, 2), allocated: resources(0, 0, 0, 1) },
    req: { resources: resources(0, 0, 0, 1) },
    expect: null,
  },
  {
    name: "an overcommitted node takes nothing more, even a zero request",
    filter: "cpu",
    node: { allocated: resources(4100, 0, 0, 0) },
    req: { resources: resources(0, 0, 0, 0) },
    expect: "has -100 CPU millicores free, needs 0 CPU millicores",
  },
  {
    name: "self anti-affinity off: a second replica may share the node",
    filter: "antiAffinitySelf",
    node: { workloadsPlaced: [placed("w-1", { app: "web" })] },
    expect: null,
  },
  {
    name: "self anti-affinity: a node without the workload",
    filter: "antiAffinitySelf",
    node: { workloadsPlaced: [placed("w-2", { app: "web" })] },
    req: { antiAffinitySelf: true },
    expect: null,
  },
  {
    name: "self anti-affinity: a node already running the workload",
    filter: "antiAffinitySelf",
    node: { workloadsPlaced: [placed("w-1", { app: "web" })] },
    req: { antiAffinitySelf: true },
    expect: 'already runs workload "w-1"',
  },
  {
    name: "hard affinity: beside the workload",
    filter: "affinity",
    node: { workloadsPlaced: [placed("db-1", { app: "db" })] },
    req: {
      affinity: [{ workloadLabel: { key: "app", value: "db" }, type: "affinity", hard: true }],
    },
    expect: null,
  },
  {
    name: "hard affinity: not beside the workload",
    filter: "affinity",
    req: {
      affinity: [{ workloadLabel: { key: "app", value: "db" }, type: "affinity", hard: true }],
    },
    expect: "runs no workload labelled app=db (hard affinity)",
  },
  {
    name: "hard anti-affinity: beside the workload",
    filter: "affinity",
    node: { workloadsPlaced: [placed("web-9", { app: "web" })] },
    req: {
      affinity: [{
        workloadLabel: { key: "app", value: "web" },
        type: "anti-affinity",
        hard: true,
      }],
    },
    expect: "runs a workload labelled app=web (hard anti-affinity)",
  },
  {
    name: "soft rules never filter",
    filter: "affinity",
    node: { workloadsPlaced: [placed("web-9", { app: "web" })] },
    req: {
      affinity: [
        { workloadLabel: { key: "app", value: "web" }, type: "anti-affinity", hard: false },
        { workloadLabel: { key: "app", value: "db" }, type: "affinity", hard: false },
      ],
    },
    expect: null,
  },
];

for (const c of CASES) {
  Deno.test(`the ${c.filter} filter ${c.expect === null ? "passes" : "rejects"}: ${c.name}`, () => {
    const f = filter(c.filter);
    const n = node(c.node);
    const r = request(c.req);
    assert.equal(f.check(n, r, ctx), c.expect);
    assert.equal(f.test(n, r, ctx), c.expect === null);
  });
}

Deno.test("every filter has at least one passing and one failing case", () => {
  for (const name of FILTER_NAMES) {
    const cases = CASES.filter((c) => c.filter === name);
    assert.ok(cases.some((c) => c.expect === null), `${name} has no passing case`);
    assert.ok(
      cases.some((c) => c.expect !== null) || name === "hours",
      `${name} has no failing case`,
    );
  }
});

// ------------------------------------------------------------------ computation hours

interface HoursCase {
  name: string;
  now: string;
  schedule: Schedule;
  inside: boolean;
  /** The rejection, when outside. */
  message?: string;
}

const week = (timezone: string, ...windows: [number, string, string][]): Schedule => ({
  timezone,
  windows: windows.map(([day, start, end]) => ({ day, start, end })),
});

const HOURS: HoursCase[] = [
  {
    name: "inside a daytime window in the node's zone",
    now: "2026-11-18T10:00:00Z", // Wed 11:00 in Paris
    schedule: week("Europe/Paris", [3, "09:00", "17:00"]),
    inside: true,
  },
  {
    name: "after the window ends, in local time",
    now: "2026-11-18T16:30:00Z", // Wed 17:30 in Paris
    schedule: week("Europe/Paris", [3, "09:00", "17:00"]),
    inside: false,
    message: "is outside its computation hours (Wed 17:30 in Europe/Paris)",
  },
  {
    name: "a window across midnight, before midnight",
    now: "2026-11-17T13:30:00Z", // Tue 22:30 in Tokyo
    schedule: week("Asia/Tokyo", [2, "22:00", "06:00"]),
    inside: true,
  },
  {
    name: "a window across midnight, after midnight (the next day)",
    now: "2026-11-17T20:00:00Z", // Wed 05:00 in Tokyo
    schedule: week("Asia/Tokyo", [2, "22:00", "06:00"]),
    inside: true,
  },
  {
    name: "a window across midnight, after it ends",
    now: "2026-11-17T21:30:00Z", // Wed 06:30 in Tokyo
    schedule: week("Asia/Tokyo", [2, "22:00", "06:00"]),
    inside: false,
    message: "is outside its computation hours (Wed 06:30 in Asia/Tokyo)",
  },
  {
    name: "Saturday night into Sunday wraps the week",
    now: "2026-11-22T06:00:00Z", // Sun 01:00 in New York
    schedule: week("America/New_York", [6, "20:00", "02:00"]),
    inside: true,
  },
  {
    name: "an end of 24:00 includes the last minute of the day",
    now: "2026-11-18T23:59:00Z",
    schedule: week("UTC", [3, "18:00", "24:00"]),
    inside: true,
  },
  {
    name: "an end of 24:00 stops at midnight",
    now: "2026-11-19T00:00:00Z",
    schedule: week("UTC", [3, "18:00", "24:00"]),
    inside: false,
    message: "is outside its computation hours (Thu 00:00 in UTC)",
  },
  {
    name: "start equal to end is a whole day",
    now: "2026-11-18T13:00:00Z",
    schedule: week("UTC", [3, "00:00", "00:00"]),
    inside: true,
  },
  {
    name: "a whole-day window ends with its day",
    now: "2026-11-19T00:30:00Z",
    schedule: week("UTC", [3, "00:00", "00:00"]),
    inside: false,
    message: "is outside its computation hours (Thu 00:30 in UTC)",
  },
  {
    name: "the same instant is a different day elsewhere",
    now: "2026-11-18T23:30:00Z", // Thu 08:30 in Tokyo
    schedule: week("Asia/Tokyo", [3, "18:00", "24:00"]),
    inside: false,
    message: "is outside its computation hours (Thu 08:30 in Asia/Tokyo)",
  },
  {
    name: "daylight saving time is followed (EDT, not EST, after 8 March)",
    now: "2026-03-08T13:30:00Z", // Sun 09:30 EDT (08:30 if the offset were still EST)
    schedule: week("America/New_York", [0, "09:00", "10:00"]),
    inside: true,
  },
  {
    name: "no windows: never available",
    now: "2026-11-18T10:00:00Z",
    schedule: week("UTC"),
    inside: false,
    message: "is outside its computation hours (Wed 10:00 in UTC)",
  },
  {
    name: "an unknown zone is never available",
    now: "2026-11-18T10:00:00Z",
    schedule: week("Mars/Olympus_Mons", [3, "00:00", "00:00"]),
    inside: false,
    message: 'has an unknown time zone "Mars/Olympus_Mons"',
  },
];

for (const c of HOURS) {
  Deno.test(`the hours filter ${c.inside ? "passes" : "rejects"}: ${c.name}`, () => {
    const hours = filter("hours");
    const at = createFilterContext(new Date(c.now));
    const n = node({ schedule: c.schedule });
    assert.equal(hours.test(n, request(), at), c.inside);
    assert.equal(hours.check(n, request(), at), c.inside ? null : c.message);
  });
}

Deno.test("localTime() reads the weekday and minute in the zone", () => {
  assert.deepEqual(localTime(new Date("2026-11-18T10:00:00Z"), "Europe/Paris"), {
    day: 3,
    minute: 11 * 60,
  });
  assert.equal(localTime(NOW, "Not/AZone"), null);
  assert.equal(parseClock("24:00"), 1440);
  assert.equal(parseClock("07:05"), 425);
});

// ------------------------------------------------------------------ order, versions, summary

Deno.test("static filters run before dynamic ones, in the order reasons are counted", () => {
  assert.deepEqual(FILTERS.map((f) => f.name), [...FILTER_NAMES]);
  const lastStatic = FILTERS.findLastIndex((f) => !f.dynamic);
  const firstDynamic = FILTERS.findIndex((f) => f.dynamic);
  assert.ok(lastStatic < firstDynamic);
  assert.deepEqual(STATIC_FILTERS.map((f) => f.name), [
    "pool",
    "approved",
    "online",
    "hours",
    "constraints",
    "agentVersion",
    "runtime",
  ]);
  assert.deepEqual(DYNAMIC_FILTERS.map((f) => f.name), [
    "cpu",
    "memory",
    "disk",
    "gpus",
    "antiAffinitySelf",
    "affinity",
  ]);
});

Deno.test("explainRejection() names the first filter that rejects a node", () => {
  const n = node({ online: false, approved: false });
  assert.deepEqual(explainRejection(n, request(), ctx), {
    filter: "approved",
    reason: "is not approved",
  });
  assert.equal(explainRejection(node(), request(), ctx), null);
});

Deno.test("compareVersions() compares dotted versions as numbers", () => {
  const cases: [string, string, number][] = [
    ["1.10.0", "1.9.9", 1],
    ["1.2", "1.2.0", 0],
    ["2.0.0", "10.0.0", -1],
    ["v1.3.0", "1.3", 0],
    ["1.3.0-beta", "1.3.0", 0],
    ["1.3.1", "1.3.0-rc1", 1],
    ["", "0.0.1", -1],
  ];
  for (const [a, b, sign] of cases) {
    assert.equal(Math.sign(compareVersions(a, b)), sign, `${a} vs ${b}`);
  }
});

Deno.test("phrases agree in number with their count", () => {
  const req = request({
    poolId: "gpu",
    minAgentVersion: "1.2.0",
    runtime: "nvidia",
    resources: resources(2000, 4096, 20, 1),
    constraints: [{ label: "gpu", operator: "exists" }],
    affinity: [{ workloadLabel: { key: "app", value: "db" }, type: "affinity", hard: true }],
  });
  const phrases = Object.fromEntries(
    FILTERS.map((f) => [f.name, [f.phrase(1, req), f.phrase(3, req)]]),
  );
  assert.deepEqual(phrases, {
    pool: ['is not in pool "gpu"', 'are not in pool "gpu"'],
    approved: ["is not approved", "are not approved"],
    online: ["is offline", "are offline"],
    hours: ["is outside its computation hours", "are outside their computation hours"],
    constraints: [
      "does not match the label constraints (gpu exists)",
      "do not match the label constraints (gpu exists)",
    ],
    agentVersion: ["runs an agent older than 1.2.0", "run an agent older than 1.2.0"],
    runtime: ['lacks the "nvidia" runtime', 'lack the "nvidia" runtime'],
    cpu: ["lacks 2 CPU cores", "lack 2 CPU cores"],
    memory: ["lacks 4 GiB of memory", "lack 4 GiB of memory"],
    disk: ["lacks 20 GiB of disk", "lack 20 GiB of disk"],
    gpus: ["lacks 1 GPU", "lack 1 GPU"],
    antiAffinitySelf: ["already runs this workload", "already run this workload"],
    affinity: [
      "breaks hard affinity rules (near app=db)",
      "break hard affinity rules (near app=db)",
    ],
  });
});
