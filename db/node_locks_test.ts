// Writers of several node rows at once never wait for each other in a circle: the scheduler's
// commit and the heartbeat ingest lock node rows in id order, and the ingest's foreign-key checks
// never wait for the scheduler. Concurrent transactions need a server: PostgreSQL only (PGlite
// runs one transaction at a time, so it cannot deadlock).
import assert from "node:assert/strict";
import { openTestDb, type TestDb } from "../tests/helpers/databases.ts";
import { storeBatch } from "./agent_sessions.ts";
import { simMetrics } from "../tests/helpers/sim_agent.ts";
import { waitFor } from "../tests/helpers/server.ts";

async function addNode(db: TestDb, id: string): Promise<void> {
  await db.query(
    `INSERT INTO nodes (id, name, public_key, approval) VALUES ($1, 'n', $2, 'approved')`,
    [id, crypto.randomUUID()],
  );
}

/** Sessions of this database waiting for a lock. */
async function waitingForLocks(db: TestDb): Promise<number> {
  const [{ n }] = await db.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity
     WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return n as number;
}

Deno.test("the heartbeat ingest waits for a locked node without holding another one", async () => {
  const db = await openTestDb("postgres");
  try {
    // Ids chosen so that "a" sorts first; the batch lists "b" first.
    const a = "00000000-0000-4000-8000-00000000000a";
    const b = "00000000-0000-4000-8000-00000000000b";
    await addNode(db, a);
    await addNode(db, b);
    const at = new Date().toISOString();
    let ingest: Promise<void> | null = null;
    await db.transaction(async (tx) => {
      // The scheduler's commit has locked node a (db/scheduling.ts) …
      await tx.query(`SELECT id FROM nodes WHERE id = $1 FOR NO KEY UPDATE`, [a]);
      // … while a batch for b and a arrives.
      ingest = storeBatch(db, {
        metrics: [b, a].map((nodeId) => ({ nodeId, seq: 1, at, metrics: simMetrics(1) })),
        events: [{ nodeId: b, seq: 2, at, kind: "docker", allocationId: null, data: {} }],
        nodes: [b, a].map((nodeId) => ({ nodeId, maxSeq: 2, metrics: simMetrics(2) })),
      });
      await waitFor(async () => await waitingForLocks(db) === 1, {
        timeoutMs: 10_000,
        what: "the ingest to wait for node a",
      });
      // The commit goes on to node b: free, because the ingest waits for a before taking b.
      const [row] = await tx.query(`SELECT id FROM nodes WHERE id = $1 FOR NO KEY UPDATE NOWAIT`, [
        b,
      ]);
      assert.equal(row.id, b);
    });
    await ingest!;
    const stored = await db.query(
      `SELECT id, acked_seq FROM nodes WHERE id = ANY($1::uuid[]) ORDER BY id`,
      [[a, b]],
    );
    assert.deepEqual(stored.map((r) => Number(r.acked_seq)), [2, 2], "the batch was stored");
  } finally {
    await db.drop();
  }
});

Deno.test("the ingest's inserts do not wait for a node the scheduler holds", async () => {
  const db = await openTestDb("postgres");
  try {
    const a = crypto.randomUUID();
    await addNode(db, a);
    const at = new Date().toISOString();
    await db.transaction(async (tx) => {
      await tx.query(`SELECT id FROM nodes WHERE id = $1 FOR NO KEY UPDATE`, [a]);
      // Heartbeats and events reference the node (a KEY SHARE lock): they go in while it is held.
      await db.transaction(async (other) => {
        await other.query(`SET LOCAL lock_timeout = '2s'`);
        await other.query(
          `INSERT INTO node_metrics (node_id, seq, at, cpu_percent, memory_used, memory_total,
             disk_used, disk_total, rx_bps, tx_bps, docker_healthy, containers)
           VALUES ($1, 1, $2, 1, 1, 1, 1, 1, 1, 1, true, 0)`,
          [a, at],
        );
      });
    });
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM node_metrics`);
    assert.equal(n, 1);
  } finally {
    await db.drop();
  }
});
