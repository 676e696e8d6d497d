import assert from "node:assert/strict";
import { dbTest } from "../tests/helpers/databases.ts";
import { readMigrations } from "./migrate.ts";
import { createJoinToken } from "./join_tokens.ts";
import { createNode, getNode } from "./nodes.ts";
import { DEFAULT_POOL_ID, getPool, listAssignableNodes } from "./pools.ts";
import { markNodeOnline } from "./agent_sessions.ts";
import { updateNodeSettings } from "./node_settings.ts";
import { SIM_CAPABILITIES } from "../tests/helpers/sim_agent.ts";

async function token(db: Parameters<typeof createJoinToken>[0], poolId: string) {
  return (await createJoinToken(db, {
    poolId,
    tokenHash: crypto.randomUUID(),
    prefix: "ljt_abcdef",
    description: "",
    createdBy: null,
    expiresAt: new Date(Date.now() + 3600_000),
    maxUses: 10,
  }))!.id;
}

dbTest("migration 0005 nests flat criteria and pins nodes moved by hand", async (db) => {
  // Undo what 0005 added, store data as it was before, and apply 0005 again.
  await db.exec(`ALTER TABLE nodes DROP COLUMN pool_pinned, DROP COLUMN labels_pinned`);
  const lab = crypto.randomUUID();
  const other = crypto.randomUUID();
  await db.query(
    `INSERT INTO pools (id, name, criteria) VALUES ($1, 'lab', '{"gpu": "nvidia"}'::jsonb),
       ($2, 'other', '{}'::jsonb)`,
    [lab, other],
  );
  const labToken = await token(db, lab);
  const defaultToken = await token(db, DEFAULT_POOL_ID);
  // Raw SQL: the node queries of db/nodes.ts read the columns dropped above.
  const node = async (name: string, poolId: string, joinTokenId: string) => {
    const id = crypto.randomUUID();
    await db.query(
      `INSERT INTO nodes (id, name, public_key, pool_id, join_token_id)
       VALUES ($1, $2, $3, $4, $5)`,
      [id, name, crypto.randomUUID(), poolId, joinTokenId],
    );
    return { id };
  };
  const home = await node("home", lab, labToken);
  const moved = await node("moved", other, defaultToken);
  const inDefault = await node("in-default", DEFAULT_POOL_ID, defaultToken);
  const migration = (await readMigrations()).find((m) => m.version === 5)!;
  await db.exec(migration.sql);

  assert.deepEqual((await getPool(db, lab))!.criteria, { labels: { gpu: "nvidia" } });
  assert.deepEqual((await getPool(db, other))!.criteria, {});
  assert.equal((await getNode(db, home.id))!.poolPinned, false);
  assert.equal((await getNode(db, moved.id))!.poolPinned, true);
  assert.equal((await getNode(db, inDefault.id))!.poolPinned, false);
  const assignable = await listAssignableNodes(db, null);
  assert.deepEqual(assignable.map((n) => n.name).sort(), ["home", "in-default"]);
  assert.equal(assignable.find((n) => n.name === "home")!.homePoolId, lab);
  assert.equal(assignable.find((n) => n.name === "in-default")!.homePoolId, DEFAULT_POOL_ID);
});

dbTest("the hello replaces labels until an admin pins them", async (db) => {
  const n = await createNode(db, {
    name: "n",
    publicKey: crypto.randomUUID(),
    labels: { zone: "join" },
    poolId: DEFAULT_POOL_ID,
    joinTokenId: await token(db, DEFAULT_POOL_ID),
    agentVersion: "0.1.0",
    approval: "approved",
  });
  const hello = (labels: Record<string, string>) =>
    markNodeOnline(db, n.id, {
      agentVersion: "0.1.0",
      capabilities: SIM_CAPABILITIES,
      labels,
      remoteAddr: null,
    });
  await hello({ zone: "hello" });
  assert.deepEqual((await getNode(db, n.id))!.labels, { zone: "hello" });
  assert.equal(await updateNodeSettings(db, n.id, { labels: { zone: "admin" } }), true);
  await hello({ zone: "hello-again" });
  const after = (await getNode(db, n.id))!;
  assert.deepEqual(after.labels, { zone: "admin" });
  assert.equal(after.labelsPinned, true);
  assert.equal(await updateNodeSettings(db, crypto.randomUUID(), { drained: true }), false);
  // GPUs are read from the capabilities the hello stored.
  const [facts] = await listAssignableNodes(db, [n.id]);
  assert.equal(facts.gpus, 0);
});
