import assert from "node:assert/strict";
import { hitLimit, peekLimit, resetLimit } from "./rate_limit.ts";

const LIMIT = { limit: 3, windowMs: 60_000 };

Deno.test("hitLimit() allows `limit` events per window, then says when to retry", async () => {
  using kv = await Deno.openKv(":memory:");
  const now = 120_000 + 15_000; // 15 s into a window
  for (let i = 1; i <= 3; i++) {
    const s = await hitLimit(kv, ["login", "a"], LIMIT, now);
    assert.equal(s.count, i);
    assert.equal(s.allowed, true);
  }
  const over = await hitLimit(kv, ["login", "a"], LIMIT, now);
  assert.equal(over.allowed, false);
  assert.equal(over.retryAfter, 45);
  assert.equal((await hitLimit(kv, ["login", "b"], LIMIT, now)).allowed, true, "scopes apart");
  assert.equal((await hitLimit(kv, ["login", "a"], LIMIT, now + 45_000)).count, 1, "new window");
});

Deno.test("peekLimit() reads without counting, and resetLimit() clears the window", async () => {
  using kv = await Deno.openKv(":memory:");
  const now = 60_000;
  await hitLimit(kv, ["x"], LIMIT, now);
  await hitLimit(kv, ["x"], LIMIT, now);
  assert.equal((await peekLimit(kv, ["x"], LIMIT, now)).count, 2);
  assert.equal((await peekLimit(kv, ["x"], LIMIT, now)).allowed, true);
  await hitLimit(kv, ["x"], LIMIT, now);
  assert.equal((await peekLimit(kv, ["x"], LIMIT, now)).allowed, false, "3 of 3 used");
  await resetLimit(kv, ["x"], LIMIT, now);
  assert.equal((await peekLimit(kv, ["x"], LIMIT, now)).count, 0);
});

Deno.test("hitLimit() counts concurrent hits exactly", async () => {
  using kv = await Deno.openKv(":memory:");
  const results = await Promise.all(
    Array.from({ length: 10 }, () => hitLimit(kv, ["c"], { limit: 100, windowMs: 60_000 }, 0)),
  );
  assert.deepEqual(results.map((r) => r.count).sort((a, b) => a - b), [
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
  ]);
});
