import assert from "node:assert/strict";
import { coalescePerKey, type Timers } from "./coalesce.ts";

/** Timers that fire only when the test advances the clock. */
function fakeTimers() {
  let now = 0;
  let nextId = 1;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout(fn, ms) {
      const id = nextId++;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(id) {
      pending.delete(id as number);
    },
  };
  function advance(ms: number) {
    const until = now + ms;
    while (true) {
      const due = [...pending].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at);
      if (due.length === 0) break;
      const [id, t] = due[0];
      pending.delete(id);
      now = t.at;
      t.fn();
    }
    now = until;
  }
  return { timers, advance, pending };
}

Deno.test("coalescePerKey() flushes the first change at once and a burst once at the window's end", () => {
  const { timers, advance } = fakeTimers();
  const flushed: string[] = [];
  const c = coalescePerKey(250, (k) => flushed.push(k), timers);
  c.push("a");
  assert.deepEqual(flushed, ["a"], "no delay for the first change");
  c.push("a");
  c.push("a");
  c.push("b");
  assert.deepEqual(flushed, ["a", "b"], "other keys are independent");
  advance(249);
  assert.deepEqual(flushed, ["a", "b"]);
  advance(1);
  assert.deepEqual(flushed, ["a", "b", "a"], "the burst collapses into one trailing flush");
  advance(1000);
  assert.deepEqual(flushed, ["a", "b", "a"], "quiet keys are not flushed again");
  c.push("a");
  assert.deepEqual(flushed, ["a", "b", "a", "a"], "after a quiet window, at once again");
});

Deno.test("coalescePerKey() flushes a steady stream at most once per window", () => {
  const { timers, advance } = fakeTimers();
  const flushed: number[] = [];
  let t = 0;
  const c = coalescePerKey(250, () => flushed.push(t), timers);
  for (t = 0; t < 1000; t += 10) {
    c.push("a");
    advance(10);
  }
  assert.ok(flushed.length <= 5, `${flushed.length} flushes in 1 s`);
  for (let i = 1; i < flushed.length; i++) assert.ok(flushed[i] - flushed[i - 1] >= 240);
});

Deno.test("coalescePerKey() close() cancels pending flushes", () => {
  const { timers, advance, pending } = fakeTimers();
  const flushed: string[] = [];
  const c = coalescePerKey(250, (k) => flushed.push(k), timers);
  c.push("a");
  c.push("a");
  c.close();
  assert.equal(pending.size, 0);
  advance(1000);
  assert.deepEqual(flushed, ["a"]);
});
