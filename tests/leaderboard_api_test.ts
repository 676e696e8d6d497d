/**
 * Node ranks end to end in process: histories written straight into the database, the rank job
 * run once (or on its own timer), then the node list sorted by rank and the leaderboard.
 */
import assert from "node:assert/strict";
import type { NodeChange } from "../lib/nodes/changes.ts";
import { appTest, errorOf, signUp, type TestApp, USER } from "./helpers/app.ts";
import { waitFor } from "./helpers/server.ts";
import { SIM_CAPABILITIES } from "./helpers/sim_agent.ts";

/** Insert an approved (or `approval`) node; returns its id. */
async function addNode(
  app: TestApp,
  name: string,
  options: { approvedDaysAgo: number; approval?: string },
): Promise<string> {
  const id = crypto.randomUUID();
  // Joined one second apart, in call order: "newest first" must not depend on the clock's
  // resolution (PGlite's can give two quick inserts the same now()).
  await app.db.query(
    `INSERT INTO nodes (id, name, public_key, approval, approved_at, remote_addr, pool_id,
       created_at)
     VALUES ($1, $2, $3, $4, now() - ($5::float8 * interval '1 day'), '198.51.100.7',
       '00000000-0000-4000-8000-000000000001', now() + ($6::int * interval '1 second'))`,
    [id, name, `key-${id}`, options.approval ?? "approved", options.approvedDaysAgo, ++joined],
  );
  return id;
}
let joined = 0;

/** Deploy outcomes of `nodeId` over the last days. */
async function addOutcomes(app: TestApp, nodeId: string, ok: number, failed: number) {
  const [{ id: owner }] = await app.db.query<{ id: string }>(`SELECT id FROM users LIMIT 1`);
  const workload = crypto.randomUUID();
  await app.db.query(
    `INSERT INTO workloads (id, owner_id, name, spec) VALUES ($1, $2, $3, '{}'::jsonb)`,
    [workload, owner, `w-${workload.slice(0, 8)}`],
  );
  await app.db.query(
    `INSERT INTO workload_events (workload_id, kind, message, node_id, at)
     SELECT $1, CASE WHEN i <= $3 THEN 'deployed' ELSE 'deploy_failed' END, 'm', $2,
       now() - (i * interval '1 hour')
     FROM generate_series(1, $3::int + $4::int) AS i`,
    [workload, nodeId, ok, failed],
  );
}

/** Heartbeats received over the last minutes, `spacing(i)` seconds apart. */
async function addHeartbeats(app: TestApp, nodeId: string, spacing: number[]) {
  let t = 0;
  const offsets = spacing.map((s) => (t += s));
  await app.db.query(
    `INSERT INTO node_metrics (node_id, seq, at, received_at, cpu_percent, memory_used,
       memory_total, disk_used, disk_total, rx_bps, tx_bps, docker_healthy, containers)
     SELECT $1, x.i, now(), now() - interval '30 minutes' + (x.o * interval '1 second'),
       1, 1, 1, 1, 1, 1, 1, true, 0
     FROM unnest($2::float8[]) WITH ORDINALITY AS x(o, i)`,
    [nodeId, offsets],
  );
}

/**
 * Three approved nodes with different histories and one pending node:
 * - steady: 60 days old, online for the last 29 days, 10 good deploys, regular heartbeats;
 * - flaky: 60 days old, offline, 3 days online this month, 20 failed deploys, erratic heartbeats;
 * - newbie: approved an hour ago, never online, nothing else.
 */
async function seed(app: TestApp) {
  const steady = await addNode(app, "steady", { approvedDaysAgo: 60 });
  const flaky = await addNode(app, "flaky", { approvedDaysAgo: 60 });
  const newbie = await addNode(app, "newbie", { approvedDaysAgo: 1 / 24 });
  const waiting = await addNode(app, "waiting", { approvedDaysAgo: 0, approval: "pending" });
  await app.db.query(
    `UPDATE nodes SET capabilities = $2::text::jsonb, status = 'online',
       connected_at = now() - interval '29 days', last_seen_at = now() WHERE id = $1`,
    [steady, JSON.stringify(SIM_CAPABILITIES)],
  );
  await app.db.query(
    `UPDATE nodes SET capabilities = $2::text::jsonb, status = 'offline' WHERE id = $1`,
    [flaky, JSON.stringify(SIM_CAPABILITIES)],
  );
  await app.db.query(
    `INSERT INTO node_uptime_daily (node_id, day, online_seconds)
     SELECT $1, (now() AT TIME ZONE 'UTC')::date - d, 86400 FROM generate_series(5, 7) AS d`,
    [flaky],
  );
  await addOutcomes(app, steady, 10, 0);
  await addOutcomes(app, flaky, 0, 20);
  await addHeartbeats(app, steady, Array(40).fill(5));
  await addHeartbeats(app, flaky, Array.from({ length: 40 }, (_, i) => (i % 2 ? 1 : 12)));
  return { steady, flaky, newbie, waiting };
}

const LEADERBOARD_KEYS = [
  "name",
  "nodeId",
  "parts",
  "poolName",
  "position",
  "rank",
  "rankUpdatedAt",
  "status",
  "uptime30d",
];

appTest(
  "ranks follow history; the node list sorts by rank; anyone signed in sees the leaderboard",
  async (app) => {
    const admin = { authorization: `Bearer ${(await signUp(app)).token}` };
    const user = { authorization: `Bearer ${(await signUp(app, USER)).token}` };
    const ids = await seed(app);

    const before = await (await app.request("/api/v1/leaderboard", { headers: user })).json();
    assert.ok(before.nodes.every((n: { rank: number }) => n.rank === 500));
    assert.ok(before.nodes.every((n: { rankUpdatedAt: unknown }) => n.rankUpdatedAt === null));

    const updated: string[] = [];
    const unsubscribe = app.plane.ctx.nodeChanges.subscribe((c: NodeChange) => {
      if (c.kind === "updated") updated.push(c.nodeId);
    });
    try {
      assert.equal(await app.plane.ranks.runOnce(), 3);
      assert.deepEqual(updated.sort(), [ids.steady, ids.flaky, ids.newbie].sort());

      const list = async (query: string) => {
        const res = await app.request(`/api/v1/nodes?${query}`, { headers: admin });
        assert.equal(res.status, 200, await res.clone().text());
        return (await res.json()).nodes as {
          name: string;
          rank: number;
          rankParts: Record<string, number> | null;
          rankUpdatedAt: string | null;
        }[];
      };
      const byRank = await list("approval=approved&sort=rank");
      assert.deepEqual(byRank.map((n) => n.name), ["steady", "newbie", "flaky"]);
      assert.ok(byRank[0].rank > byRank[1].rank && byRank[1].rank > byRank[2].rank);
      assert.ok(byRank.every((n) => n.rankParts !== null && n.rankUpdatedAt !== null));
      assert.ok(byRank[0].rank > 750, String(byRank[0].rank));
      assert.ok(byRank[0].rankParts!.availability > 0.95);
      assert.ok(byRank[0].rankParts!.heartbeatStability > byRank[2].rankParts!.heartbeatStability);
      assert.ok(byRank[2].rankParts!.jobSuccess < 0.25);
      assert.deepEqual(
        (await list("approval=approved&sort=rank&order=asc")).map((n) => n.name),
        ["flaky", "newbie", "steady"],
      );
      assert.deepEqual(
        (await list("sort=name")).map((n) => n.name),
        ["flaky", "newbie", "steady", "waiting"],
      );
      assert.deepEqual(
        (await list("sort=name&order=desc")).map((n) => n.name),
        ["waiting", "steady", "newbie", "flaky"],
      );
      // The pending node has never been ranked: it keeps the default.
      const waiting = (await list("approval=pending"))[0];
      assert.equal(waiting.rank, 500);
      assert.equal(waiting.rankParts, null);
      // Default order is unchanged: newest first.
      assert.deepEqual(
        (await list("")).map((n) => n.name),
        ["waiting", "newbie", "flaky", "steady"],
      );
      assert.equal((await list("sort=lastSeen"))[0].name, "steady");

      const res = await app.request("/api/v1/leaderboard", { headers: user });
      assert.equal(res.status, 200);
      const board = (await res.json()).nodes;
      assert.deepEqual(board.map((n: { name: string }) => n.name), ["steady", "newbie", "flaky"]);
      assert.deepEqual(board.map((n: { position: number }) => n.position), [1, 2, 3]);
      for (const entry of board) assert.deepEqual(Object.keys(entry).sort(), LEADERBOARD_KEYS);
      assert.equal(board[0].rank, byRank[0].rank);
      assert.equal(board[0].status, "online");
      assert.equal(board[0].poolName, "default");
      assert.ok(board[0].uptime30d > 0.95 && board[0].uptime30d <= 1, String(board[0].uptime30d));
      assert.ok(Math.abs(board[2].uptime30d - 0.1) < 0.01, String(board[2].uptime30d));
      assert.equal(board[1].uptime30d, 0);
      assert.doesNotMatch(JSON.stringify(board), /198\.51\.100\.7|key-|@example\.com/);

      const top = await (await app.request("/api/v1/leaderboard?limit=1", { headers: user }))
        .json();
      assert.deepEqual(top.nodes.map((n: { name: string }) => n.name), ["steady"]);

      // Nothing happened since: a second run changes no rank and announces nothing.
      updated.length = 0;
      await app.plane.ranks.runOnce();
      assert.deepEqual(updated, []);
    } finally {
      unsubscribe();
    }
  },
  { env: { LATTICE_REGISTRATION: "open" } },
);

appTest(
  "bad sort, order and limit parameters are refused with 422 and the field named",
  async (app) => {
    const admin = { authorization: `Bearer ${(await signUp(app)).token}` };
    const cases: [string, string][] = [
      ["/api/v1/nodes?sort=speed", "sort"],
      ["/api/v1/nodes?sort=rank&order=up", "order"],
      ["/api/v1/leaderboard?limit=0", "limit"],
      ["/api/v1/leaderboard?limit=501", "limit"],
      ["/api/v1/leaderboard?limit=ten", "limit"],
      ["/api/v1/leaderboard?limit=2.5", "limit"],
    ];
    for (const [path, field] of cases) {
      const res = await app.request(path, { headers: admin });
      assert.equal(res.status, 422, path);
      const err = await errorOf(res);
      const details = err.details as { path: string; message: string }[];
      assert.ok(details.some((d) => d.path.endsWith(field)), `${path}: ${JSON.stringify(details)}`);
    }
    assert.equal((await app.request("/api/v1/leaderboard")).status, 401);
  },
);

appTest("the rank job runs on its own timer and keeps going after a failed run", async (app) => {
  await signUp(app);
  const id = await addNode(app, "solo", { approvedDaysAgo: 10 });
  // Break one input table for the first runs: the job must log and try again.
  await app.db.query(`ALTER TABLE node_uptime_daily RENAME TO node_uptime_daily_away`);
  const rankUpdatedAt = async () => {
    const [r] = await app.db.query<{ at: Date | null }>(
      `SELECT rank_updated_at AS at FROM nodes WHERE id = $1`,
      [id],
    );
    return r.at;
  };
  await waitFor(() => app.logs.some((l) => l.includes("rank job failed")), {
    timeoutMs: 10_000,
    what: "a logged rank job failure",
  });
  assert.equal(await rankUpdatedAt(), null);
  await app.db.query(`ALTER TABLE node_uptime_daily_away RENAME TO node_uptime_daily`);
  await waitFor(async () => (await rankUpdatedAt()) !== null, {
    timeoutMs: 10_000,
    what: "the node's rank to be computed",
  });
}, { rank: { firstRunAfterMs: 0, intervalMs: 50 } });
