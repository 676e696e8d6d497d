import assert from "node:assert/strict";
import { backoffDelay } from "./backoff.ts";

Deno.test("backoffDelay() scales the ceiling by the random draw", () => {
  assert.equal(backoffDelay(0, { random: () => 0 }), 0);
  assert.equal(backoffDelay(0, { random: () => 0.5 }), 250);
  assert.equal(backoffDelay(3, { random: () => 0.5 }), 2000);
  assert.ok(backoffDelay(3, { random: () => 0.999 }) < 4000);
  assert.ok(backoffDelay(3, { random: () => 0.999 }) > 3990);
});

Deno.test("backoffDelay() doubles the ceiling with each attempt until the cap", () => {
  const top = (attempt: number) =>
    backoffDelay(attempt, { baseMs: 100, capMs: 1000, random: () => 1 });
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(top), [100, 200, 400, 800, 1000, 1000]);
});

Deno.test("backoffDelay() stays at the cap for huge attempt numbers", () => {
  assert.equal(backoffDelay(5000, { random: () => 0.5 }), 15_000);
  assert.equal(backoffDelay(Number.MAX_SAFE_INTEGER, { random: () => 0.5 }), 15_000);
});

Deno.test("backoffDelay() treats negative attempts as the first", () => {
  assert.equal(backoffDelay(-3, { random: () => 0.5 }), 250);
});

Deno.test("backoffDelay() draws from Math.random by default, within the ceiling", () => {
  for (let i = 0; i < 100; i++) {
    const delay = backoffDelay(2);
    assert.ok(delay >= 0 && delay < 2000);
  }
});
