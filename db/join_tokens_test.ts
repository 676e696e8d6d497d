import assert from "node:assert/strict";
import { dbTest } from "../tests/helpers/databases.ts";
import {
  consumeJoinToken,
  createJoinToken,
  findJoinTokensByPrefix,
  getJoinToken,
  listJoinTokens,
  revokeJoinToken,
} from "./join_tokens.ts";

const DEFAULT_POOL = "00000000-0000-4000-8000-000000000001";

function input(overrides: Partial<Parameters<typeof createJoinToken>[1]> = {}) {
  return {
    poolId: DEFAULT_POOL,
    tokenHash: crypto.randomUUID(),
    prefix: "ljt_abcdef",
    description: "",
    createdBy: null,
    expiresAt: new Date(Date.now() + 3600_000),
    maxUses: 2,
    ...overrides,
  };
}

dbTest(
  "createJoinToken() stores a token for a pool and returns null for an unknown pool",
  async (db) => {
    const token = await createJoinToken(db, input({ description: "d" }));
    assert.equal(token?.poolName, "default");
    assert.equal(token?.uses, 0);
    assert.equal(token?.description, "d");
    assert.equal(await createJoinToken(db, input({ poolId: crypto.randomUUID() })), null);
    assert.deepEqual((await listJoinTokens(db)).map((t) => t.id), [token!.id]);
    assert.deepEqual(await getJoinToken(db, token!.id), token);
    assert.equal(await getJoinToken(db, crypto.randomUUID()), null);
  },
);

dbTest(
  "findJoinTokensByPrefix() returns every token sharing a prefix, with its hash",
  async (db) => {
    const a = await createJoinToken(db, input({ tokenHash: "hash-a" }));
    const b = await createJoinToken(db, input({ tokenHash: "hash-b" }));
    await createJoinToken(db, input({ prefix: "ljt_zzzzzz" }));
    const found = await findJoinTokensByPrefix(db, "ljt_abcdef");
    assert.deepEqual(found.map((t) => t.tokenHash).sort(), ["hash-a", "hash-b"]);
    assert.deepEqual(found.map((t) => t.id).sort(), [a!.id, b!.id].sort());
    assert.ok(found.every((t) => t.poolAutoApprove === false));
    assert.deepEqual(await findJoinTokensByPrefix(db, "ljt_nothin"), []);
  },
);

dbTest("consumeJoinToken() never goes past max_uses, even when joins race", async (db) => {
  const token = await createJoinToken(db, input({ maxUses: 3 }));
  const results = await Promise.all(
    Array.from({ length: 8 }, () => db.transaction((tx) => consumeJoinToken(tx, token!.id))),
  );
  assert.equal(results.filter(Boolean).length, 3);
  const after = await getJoinToken(db, token!.id);
  assert.equal(after?.uses, 3);
  assert.ok(after?.lastUsedAt instanceof Date);
});

dbTest("consumeJoinToken() refuses expired and revoked tokens", async (db) => {
  const expired = await createJoinToken(db, input({ expiresAt: new Date(Date.now() - 1000) }));
  assert.equal(await consumeJoinToken(db, expired!.id), false);
  const revoked = await createJoinToken(db, input());
  assert.equal(await revokeJoinToken(db, revoked!.id), "revoked");
  assert.equal(await consumeJoinToken(db, revoked!.id), false);
  assert.equal((await getJoinToken(db, revoked!.id))?.uses, 0);
});

dbTest("revokeJoinToken() says whether it revoked, had revoked, or found nothing", async (db) => {
  const token = await createJoinToken(db, input());
  assert.equal(await revokeJoinToken(db, token!.id), "revoked");
  const first = (await getJoinToken(db, token!.id))?.revokedAt;
  assert.ok(first instanceof Date);
  assert.equal(await revokeJoinToken(db, token!.id), "already");
  assert.deepEqual((await getJoinToken(db, token!.id))?.revokedAt, first, "the first time stays");
  assert.equal(await revokeJoinToken(db, crypto.randomUUID()), null);
});
