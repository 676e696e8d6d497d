import assert from "node:assert/strict";
import { dbTest, type TestDb } from "../tests/helpers/databases.ts";
import { markNodeOnline, markNodesOffline, sweepStaleNodes } from "./agent_sessions.ts";
import { listLeaderboard, loadRankInputs, pruneUptime, writeRanks } from "./ranks.ts";
import { SIM_CAPABILITIES } from "../tests/helpers/sim_agent.ts";

const HOUR = 3600;
const DAY = 86_400;
const OPTIONS = { windowDays: 30, jitterWindowMs: 3_600_000, maxGapMs: 15_000 };

async function addNode(
  db: TestDb,
  name: string,
  options: { approval?: string; approvedDaysAgo?: number } = {},
): Promise<string> {
  const id = crypto.randomUUID();
  await db.query(
    `INSERT INTO nodes (id, name, public_key, approval, approved_at)
     VALUES ($1, $2, $3, $4, now() - ($5::float8 * interval '1 day'))`,
    [id, name, crypto.randomUUID(), options.approval ?? "approved", options.approvedDaysAgo ?? 60],
  );
  return id;
}

const hello = {
  agentVersion: "0.1.0",
  capabilities: SIM_CAPABILITIES,
  labels: {},
  remoteAddr: "192.0.2.1",
};

/** Seconds credited to a node, in total and per day. */
async function uptime(db: TestDb, nodeId: string): Promise<{ total: number; days: number[] }> {
  const rows = await db.query<{ s: number }>(
    `SELECT online_seconds AS s FROM node_uptime_daily WHERE node_id = $1 ORDER BY day`,
    [nodeId],
  );
  const days = rows.map((r) => Number(r.s));
  return { total: days.reduce((a, b) => a + b, 0), days };
}

/** Pretend the node's current session began `seconds` ago. */
async function backdateSession(db: TestDb, nodeId: string, seconds: number): Promise<void> {
  await db.query(
    `UPDATE nodes SET status = 'online', connected_at = now() - ($2::float8 * interval '1 second')
     WHERE id = $1`,
    [nodeId, seconds],
  );
}

const near = (actual: number, expected: number, slack = 5) =>
  assert.ok(Math.abs(actual - expected) <= slack, `expected ~${expected}, got ${actual}`);

dbTest("going offline credits the session to the UTC days it spans", async (db) => {
  const id = await addNode(db, "a");
  await markNodeOnline(db, id, hello);
  await backdateSession(db, id, 36 * HOUR);
  assert.deepEqual(await markNodesOffline(db, [id]), [id]);
  const { total, days } = await uptime(db, id);
  near(total, 36 * HOUR);
  assert.ok(days.length === 2 || days.length === 3, String(days));
  assert.ok(days.every((d) => d > 0 && d <= DAY), String(days));
  // Going offline again (already offline) credits nothing more.
  await markNodesOffline(db, [id]);
  near((await uptime(db, id)).total, 36 * HOUR);
});

dbTest(
  "a replacing session credits the old one; the stale sweep ends at the last heartbeat",
  async (db) => {
    const id = await addNode(db, "a");
    await markNodeOnline(db, id, hello);
    await backdateSession(db, id, HOUR);
    await markNodeOnline(db, id, hello); // a newer session while the old was still recorded
    near((await uptime(db, id)).total, HOUR);

    await db.query(
      `UPDATE nodes SET connected_at = now() - interval '70 minutes',
       last_seen_at = now() - interval '10 minutes' WHERE id = $1`,
      [id],
    );
    assert.deepEqual(await sweepStaleNodes(db, 60_000, []), [id]);
    near((await uptime(db, id)).total, HOUR + 60 * 60);
  },
);

dbTest("loadRankInputs() reads every approved node's history in its windows", async (db) => {
  const old = await addNode(db, "old", { approvedDaysAgo: 60 });
  const fresh = await addNode(db, "fresh", { approvedDaysAgo: 2 });
  const pending = await addNode(db, "pending", { approval: "pending" });
  await db.query(
    `UPDATE nodes SET capabilities = $2::text::jsonb, offer = $3::text::jsonb WHERE id = $1`,
    [old, JSON.stringify(SIM_CAPABILITIES), JSON.stringify({ cpuPercent: 50 })],
  );
  // Uptime: two days inside the window, one long before it.
  await db.query(
    `INSERT INTO node_uptime_daily (node_id, day, online_seconds) VALUES
       ($1, (now() AT TIME ZONE 'UTC')::date - 3, 36000),
       ($1, (now() AT TIME ZONE 'UTC')::date - 10, 7200),
       ($1, (now() AT TIME ZONE 'UTC')::date - 45, 86400)`,
    [old],
  );
  // The fresh node has been online for an hour and is still connected.
  await backdateSession(db, fresh, HOUR);

  // Deploy outcomes: three successes and a failure inside the window, a failure before it.
  const owner = crypto.randomUUID();
  const workload = crypto.randomUUID();
  await db.query(
    `INSERT INTO users (id, email, password_hash, role) VALUES ($1, 'o@example.com', 'x', 'user')`,
    [owner],
  );
  await db.query(
    `INSERT INTO workloads (id, owner_id, name, spec) VALUES ($1, $2, 'w', '{}'::jsonb)`,
    [workload, owner],
  );
  await db.query(
    `INSERT INTO workload_events (workload_id, kind, message, node_id, at)
     SELECT $1, k, 'm', $2, now() - (d * interval '1 day')
     FROM (VALUES ('deployed', 1), ('deployed', 2), ('deployed', 3), ('deploy_failed', 4),
       ('deploy_failed', 40), ('placed', 1)) AS v(k, d)`,
    [workload, old],
  );
  // A deploy that failed because the image does not exist is not held against the node.
  await db.query(
    `INSERT INTO workload_events (workload_id, kind, message, node_id, at, data)
     VALUES ($1, 'deploy_failed', 'm', $2, now() - interval '2 days',
       '{"code":"pull_failed","blame":"workload"}'::jsonb)`,
    [workload, old],
  );

  // Heartbeats every 5 s for a minute, then a 2-minute break (a reconnect), then 5 s again.
  await db.query(
    `INSERT INTO node_metrics (node_id, seq, at, received_at, cpu_percent, memory_used,
       memory_total, disk_used, disk_total, rx_bps, tx_bps, docker_healthy, containers)
     SELECT $1, s, now(), now() - interval '10 minutes' + (t * interval '1 second'),
       1, 1, 1, 1, 1, 1, 1, true, 0
     FROM (SELECT s, CASE WHEN s <= 12 THEN s * 5 ELSE s * 5 + 120 END AS t
           FROM generate_series(1, 24) AS s) AS x`,
    [old],
  );

  const rows = await loadRankInputs(db, OPTIONS);
  assert.deepEqual(rows.map((r) => r.nodeId).sort(), [old, fresh].sort());
  assert.ok(!rows.some((r) => r.nodeId === pending));
  const o = rows.find((r) => r.nodeId === old)!;
  near(o.windowSeconds, 30 * DAY);
  near(o.tenureSeconds, 60 * DAY);
  near(o.onlineSeconds, 36000 + 7200);
  assert.equal(o.deploysSucceeded, 3);
  assert.equal(o.deploysFailed, 1);
  assert.equal(o.heartbeatGaps, 22); // 23 gaps, less the break
  near(o.gapMeanMs!, 5000, 1);
  near(o.gapStddevMs!, 0, 1);
  assert.equal(o.capabilities?.cpu.cores, SIM_CAPABILITIES.cpu.cores);
  assert.deepEqual(o.offer, { cpuPercent: 50 });
  assert.equal(o.currentRank, 500);

  const f = rows.find((r) => r.nodeId === fresh)!;
  near(f.windowSeconds, 2 * DAY);
  near(f.tenureSeconds, 2 * DAY);
  near(f.onlineSeconds, HOUR);
  assert.equal(f.deploysSucceeded + f.deploysFailed, 0);
  assert.equal(f.heartbeatGaps, 0);
  assert.equal(f.gapMeanMs, null);
  assert.equal(f.capabilities, null);
});

dbTest("writeRanks() stores ranks in one go and reports only the changed ones", async (db) => {
  const a = await addNode(db, "alpha");
  const b = await addNode(db, "bravo");
  const c = await addNode(db, "charlie", { approval: "revoked" });
  const parts = {
    availability: 1,
    jobSuccess: 0.9,
    resources: 0.3,
    heartbeatStability: 1,
    tenure: 0.5,
  };
  assert.deepEqual(
    (await writeRanks(db, [{ nodeId: a, rank: 700, parts }, { nodeId: b, rank: 500, parts }]))
      .sort(),
    [a],
  );
  assert.deepEqual(await writeRanks(db, [{ nodeId: a, rank: 700, parts }]), []);
  const [row] = await db.query<{ rank: number; rank_parts: unknown; rank_updated_at: Date }>(
    `SELECT rank, rank_parts, rank_updated_at FROM nodes WHERE id = $1`,
    [b],
  );
  assert.equal(row.rank, 500);
  assert.deepEqual(row.rank_parts, parts);
  assert.ok(row.rank_updated_at instanceof Date);

  const board = await listLeaderboard(db, 10);
  assert.deepEqual(board.map((r) => r.name), ["alpha", "bravo"]);
  assert.ok(!board.some((r) => r.nodeId === c));
  assert.deepEqual(board[0].parts, parts);
  assert.equal((await listLeaderboard(db, 1)).length, 1);
});

dbTest("pruneUptime() keeps only the window", async (db) => {
  const id = await addNode(db, "a");
  await db.query(
    `INSERT INTO node_uptime_daily (node_id, day, online_seconds) VALUES
       ($1, (now() AT TIME ZONE 'UTC')::date, 10),
       ($1, (now() AT TIME ZONE 'UTC')::date - 31, 20),
       ($1, (now() AT TIME ZONE 'UTC')::date - 32, 30)`,
    [id],
  );
  assert.equal(await pruneUptime(db, 31), 1);
  assert.equal((await uptime(db, id)).total, 30);
});
