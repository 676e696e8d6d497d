// The scheduling trigger: a change runs its batch at once in this process, and the Deno KV queue
// message that records it (the durable trigger, DESIGN §2) is skipped when it arrives, unless
// it came from another process or before that batch.
import assert from "node:assert/strict";
import { appTest, json, signUp } from "./helpers/app.ts";
import { waitFor } from "./helpers/server.ts";
import type { ReconcileJob } from "../lib/scheduling/orchestrator.ts";

appTest("a workload's batch runs at once; its queue message is then skipped", async (app) => {
  const { token } = await signUp(app);
  const stats = app.plane.ctx.scheduler.stats;
  const before = { batches: stats.batches, skipped: stats.skipped };
  const res = await app.request("/api/v1/workloads", {
    ...json({ name: "waits", image: "busybox:1" }),
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });
  assert.equal(res.status, 201, await res.clone().text());
  const { workload } = await res.json();
  // No node: it stays pending, and says why, after one batch.
  await waitFor(async () => {
    const [row] = await app.db.query(`SELECT status_reason FROM workloads WHERE id = $1`, [
      workload.id,
    ]);
    return typeof row?.status_reason === "string";
  }, { timeoutMs: 10_000, what: "the batch's reason" });
  await waitFor(() => stats.skipped > before.skipped, {
    timeoutMs: 10_000,
    what: "the queue message to arrive and be skipped",
  });
  const batches = stats.batches;

  // A message from another process (or an older one, without the field) is reconciled.
  for (
    const job of [
      { kind: "reconcile", workloadIds: [workload.id] },
      { kind: "reconcile", workloadIds: [workload.id], enqueued: { by: "elsewhere", at: 0 } },
    ] satisfies ReconcileJob[]
  ) {
    const seen = stats.batches;
    await app.plane.ctx.kv.enqueue(job);
    await waitFor(() => stats.batches > seen, { timeoutMs: 10_000, what: "a batch for it" });
  }
  assert.ok(stats.batches >= batches + 2);
});
