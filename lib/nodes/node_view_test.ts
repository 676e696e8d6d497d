import assert from "node:assert/strict";
import {
  applyLiveNode,
  formatBytes,
  formatLabels,
  formatPercent,
  formatRate,
  type LiveNode,
  niceCeil,
  nodeListHref,
  nodeStatusBadge,
  parseLabels,
  parseNodeListQuery,
  pushPoint,
  scheduleSummary,
  sparklinePoints,
  toggledOrder,
} from "./node_view.ts";

const DEFAULTS = {
  created: "desc",
  rank: "desc",
  name: "asc",
  lastSeen: "desc",
  cluster: "asc",
} as const;

Deno.test("parseNodeListQuery() keeps valid parameters and ignores the rest", () => {
  const pool = "00000000-0000-4000-8000-000000000001";
  assert.deepEqual(
    parseNodeListQuery(
      new URLSearchParams(
        `status=online&approval=pending&pool=${pool}&cluster=lab-3&q= web &sort=rank&page=3`,
      ),
    ),
    {
      status: "online",
      approval: "pending",
      poolId: pool,
      cluster: "lab-3",
      q: "web",
      sort: "rank",
      order: undefined,
      page: 3,
    },
  );
  assert.deepEqual(
    parseNodeListQuery(
      new URLSearchParams("status=x&sort=y&order=up&page=0&pool=1&cluster=Not%20a%20label"),
    ),
    {
      status: undefined,
      approval: undefined,
      poolId: undefined,
      cluster: undefined,
      q: undefined,
      sort: "name",
      order: undefined,
      page: 1,
    },
  );
});

Deno.test("nodeListHref() leaves defaults out and keeps the filters when paging", () => {
  const q = parseNodeListQuery(new URLSearchParams("status=offline&q=a b"));
  assert.equal(nodeListHref(q), "/nodes?q=a+b&status=offline");
  assert.equal(nodeListHref(q, { page: 2 }), "/nodes?q=a+b&status=offline&page=2");
  assert.equal(nodeListHref(parseNodeListQuery(new URLSearchParams())), "/nodes");
  assert.equal(
    nodeListHref(parseNodeListQuery(new URLSearchParams("cluster=lab&sort=cluster"))),
    "/nodes?cluster=lab&sort=cluster",
  );
});

Deno.test("toggledOrder() flips the current sort and starts others at their default", () => {
  const byRank = parseNodeListQuery(new URLSearchParams("sort=rank"));
  assert.equal(toggledOrder(byRank, "rank", DEFAULTS), "asc");
  assert.equal(toggledOrder(byRank, "name", DEFAULTS), "asc");
  assert.equal(toggledOrder(byRank, "lastSeen", DEFAULTS), "desc");
  const asc = parseNodeListQuery(new URLSearchParams("sort=rank&order=asc"));
  assert.equal(toggledOrder(asc, "rank", DEFAULTS), "desc");
});

Deno.test("scheduleSummary() groups days with the same hours", () => {
  const cases: [Parameters<typeof scheduleSummary>[0], string][] = [
    [null, "Always"],
    [{ timezone: "UTC", windows: [] }, "Never (UTC)"],
    [
      {
        timezone: "Europe/Berlin",
        windows: [1, 2, 3, 4, 5].map((day) => ({ day, start: "09:00", end: "17:00" })),
      },
      "Mon–Fri 09:00–17:00 (Europe/Berlin)",
    ],
    [
      {
        timezone: "UTC",
        windows: [
          { day: 6, start: "10:00", end: "14:00" },
          { day: 1, start: "22:00", end: "06:00" },
          { day: 3, start: "22:00", end: "06:00" },
          { day: 0, start: "10:00", end: "14:00" },
        ],
      },
      "Sun, Sat 10:00–14:00; Mon, Wed 22:00–06:00 (UTC)",
    ],
    [
      { timezone: "UTC", windows: [1, 2].map((day) => ({ day, start: "00:00", end: "24:00" })) },
      "Mon, Tue 00:00–24:00 (UTC)",
    ],
  ];
  for (const [schedule, expected] of cases) assert.equal(scheduleSummary(schedule), expected);
});

Deno.test("formatBytes(), formatRate() and formatPercent() read well", () => {
  assert.equal(formatBytes(8 * 1024 ** 3), "8 GiB");
  assert.equal(formatBytes(1536 * 1024), "1.5 MiB");
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(null), "—");
  assert.equal(formatRate(12_500_000), "100 Mbit/s");
  assert.equal(formatRate(150), "1.2 kbit/s");
  assert.equal(formatPercent(7.46), "7.5%");
  assert.equal(formatPercent(42.4), "42%");
  assert.equal(formatPercent(null), "—");
});

Deno.test("sparklinePoints() maps time and value into the box and skips what is outside", () => {
  const box = { from: 0, to: 100, max: 100, width: 100, height: 20 };
  assert.equal(
    sparklinePoints([[-5, 50], [0, 0], [50, 50], [100, 100], [120, 10]], box),
    "0.0,20.0 50.0,10.0 100.0,0.0",
  );
  assert.equal(sparklinePoints([[10, 250], [20, -3]], box), "10.0,0.0 20.0,20.0", "clamped");
  assert.equal(sparklinePoints([], box), "");
});

Deno.test("pushPoint() keeps one point per bucket and drops points past the window", () => {
  const options = { bucketMs: 10, windowMs: 30 };
  let s = pushPoint([], [100, 1], options);
  s = pushPoint(s, [105, 2], options);
  assert.deepEqual(s, [[105, 2]], "same bucket: replaced");
  s = pushPoint(s, [112, 3], options);
  s = pushPoint(s, [125, 4], options);
  assert.deepEqual(s, [[105, 2], [112, 3], [125, 4]]);
  s = pushPoint(s, [140, 5], options);
  assert.deepEqual(s, [[112, 3], [125, 4], [140, 5]], "older than 30 ms before the new point");
  assert.deepEqual(pushPoint(s, [90, 9], options), s, "out of order: ignored");
});

Deno.test("nodeStatusBadge() puts approval before connection, and drain beside online", () => {
  const cases: [Parameters<typeof nodeStatusBadge>[0], string, string][] = [
    [{ status: "online", approval: "pending", drained: false }, "Pending", "warn"],
    [{ status: "offline", approval: "revoked", drained: false }, "Revoked", "bad"],
    [{ status: "online", approval: "rejected", drained: false }, "Rejected", "bad"],
    [{ status: "online", approval: "approved", drained: false }, "Online", "ok"],
    [{ status: "online", approval: "approved", drained: true }, "Draining", "warn"],
    [{ status: "offline", approval: "approved", drained: true }, "Offline", "bad"],
    [{ status: "unknown", approval: "approved", drained: false }, "Never seen", "muted"],
  ];
  for (const [n, label, tone] of cases) assert.deepEqual(nodeStatusBadge(n), { label, tone });
});

Deno.test("parseLabels() reads key=value lines and formatLabels() writes them back", () => {
  assert.deepEqual(parseLabels(" zone = eu \n\nrole=db=primary\n"), {
    labels: { zone: "eu", role: "db=primary" },
  });
  assert.deepEqual(parseLabels("zone=eu\nnovalue"), { error: "Line 2: write key=value" });
  assert.deepEqual(parseLabels("=x"), { error: "Line 1: write key=value" });
  assert.deepEqual(parseLabels("a=1\na=2"), { error: 'Line 2: "a" is given twice' });
  assert.equal(formatLabels({ zone: "eu", arch: "arm" }), "arch=arm\nzone=eu");
});

Deno.test("niceCeil() rounds up to 1, 2 or 5 times a power of ten", () => {
  assert.deepEqual([0, 0.3, 1, 1.1, 3, 7, 12, 4500].map(niceCeil), [1, 0.5, 1, 2, 5, 10, 20, 5000]);
});

Deno.test("applyLiveNode() replaces the shown fields and adds a point only for a new heartbeat", () => {
  const row = {
    id: "n1",
    name: "a",
    status: "online" as const,
    approval: "approved" as const,
    drained: false,
    rank: 500,
    tier: "new",
    tierLabel: "New",
    poolName: "default",
    cluster: null,
    labels: [],
    agentVersion: "0.1.0",
    lastSeenAt: "2026-01-01T00:00:00.000Z",
    hours: "Always",
    cpuPercent: 10,
    memoryPercent: 50,
    cpu: [[Date.parse("2026-01-01T00:00:00.000Z"), 10]] as [number, number][],
    memory: [[Date.parse("2026-01-01T00:00:00.000Z"), 50]] as [number, number][],
  };
  const node: LiveNode = {
    id: "n1",
    name: "a",
    status: "offline",
    approval: "approved",
    drained: true,
    rank: 800,
    rankUpdatedAt: "2026-01-01T00:00:00.000Z",
    poolName: "gpu",
    labels: { zone: "eu" },
    agentVersion: "0.2.0",
    lastSeenAt: "2026-01-01T00:00:30.000Z",
    schedule: null,
    lastMetrics: { cpuPercent: 90, memory: { usedBytes: 1, totalBytes: 4 } },
  };
  const options = { bucketMs: 20_000, windowMs: 600_000 };
  const next = applyLiveNode(row, node, options);
  assert.equal(next.status, "offline");
  assert.equal(next.drained, true);
  assert.equal(next.tier, "gold");
  assert.equal(next.tierLabel, "Gold");
  assert.deepEqual(next.labels, ["zone=eu"]);
  assert.equal(next.cpuPercent, 90);
  assert.equal(next.memoryPercent, 25);
  assert.deepEqual(next.cpu.at(-1), [Date.parse(node.lastSeenAt!), 90]);
  assert.equal(next.cpu.length, 2);
  // The same heartbeat again (a change of something else) adds no point.
  assert.equal(applyLiveNode(next, { ...node, drained: false }, options).cpu.length, 2);
});
