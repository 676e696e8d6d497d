import assert from "node:assert/strict";
import { TtlCache } from "./ttl_cache.ts";

Deno.test("TtlCache forgets entries once their time is up", () => {
  let now = 1000;
  const cache = new TtlCache<string, number>(100, 10, () => now);
  cache.set("a", 1);
  assert.equal(cache.get("a"), 1);
  now = 1099;
  assert.equal(cache.get("a"), 1);
  now = 1100;
  assert.equal(cache.get("a"), undefined);
});

Deno.test("TtlCache evicts the oldest entry when full", () => {
  const cache = new TtlCache<string, number>(1000, 2);
  cache.set("a", 1);
  cache.set("b", 2);
  cache.set("c", 3);
  assert.equal(cache.get("a"), undefined);
  assert.equal(cache.get("b"), 2);
  assert.equal(cache.get("c"), 3);
  assert.equal(cache.size, 2);
});

Deno.test("TtlCache.deleteWhere() drops every matching entry", () => {
  const cache = new TtlCache<string, { id: string } | null>(1000, 10);
  cache.set("x", { id: "1" });
  cache.set("y", { id: "2" });
  cache.set("z", null);
  cache.deleteWhere((v) => v?.id === "1");
  assert.equal(cache.get("x"), undefined);
  assert.deepEqual(cache.get("y"), { id: "2" });
  assert.equal(cache.get("z"), null);
});
