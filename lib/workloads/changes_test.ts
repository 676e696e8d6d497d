import assert from "node:assert/strict";
import { createWorkloadChanges, type WorkloadChange } from "./changes.ts";

Deno.test("touch() publishes each touched workload once per flush, after emit()'s own changes", async () => {
  const bus = createWorkloadChanges(() => {}, 5);
  const seen: WorkloadChange[] = [];
  let flushed!: () => void;
  const done = new Promise<void>((resolve) => (flushed = resolve));
  bus.subscribe((c) => {
    seen.push(c);
    if (c.kind === "workload" && c.workloadId === "b") flushed();
  });
  bus.touch(["a", "b", "a"]);
  bus.touch(["a"]);
  bus.emit({ kind: "deleted", workloadId: "c" });
  await done;
  assert.deepEqual(seen, [
    { kind: "deleted", workloadId: "c" },
    { kind: "workload", workloadId: "a" },
    { kind: "workload", workloadId: "b" },
  ]);
  bus.close();
});

Deno.test("touch() collects nothing while nobody listens, and close() cancels a pending flush", () => {
  const bus = createWorkloadChanges(() => {}, 60_000);
  bus.touch(["a"]); // No subscriber: no timer (the test's sanitizer would catch one).
  const seen: WorkloadChange[] = [];
  bus.subscribe((c) => seen.push(c));
  bus.touch(["a"]);
  bus.close(); // Clears the 60 s timer.
  assert.deepEqual(seen, []);
});

Deno.test("a subscriber that throws is reported and the others still hear the change", () => {
  const errors: unknown[] = [];
  const bus = createWorkloadChanges((err) => errors.push(err));
  const seen: string[] = [];
  bus.subscribe(() => {
    throw new Error("boom");
  });
  bus.subscribe((c) => seen.push(c.workloadId));
  bus.emit({ kind: "workload", workloadId: "x" });
  assert.deepEqual(seen, ["x"]);
  assert.equal(errors.length, 1);
  bus.close();
});
