import assert from "node:assert/strict";
import { createLogger, createMemorySink } from "../log.ts";
import { JOB_IDS_MAX, Orchestrator, ReconcileJob } from "./orchestrator.ts";

Deno.test("a large enqueue is split into queue messages Deno KV accepts", async () => {
  const kv = await Deno.openKv(":memory:");
  const sink = createMemorySink();
  const log = createLogger({ level: "info", sink });
  // Only the queue is used here: enqueue never touches the database, hub or worker.
  const orchestrator = new Orchestrator(
    { kv, log } as unknown as ConstructorParameters<typeof Orchestrator>[0],
    { minAgentVersion: "0.1.0" },
  );
  const ids = Array.from({ length: 4_500 }, () => crypto.randomUUID());
  const received: string[][] = [];
  let all: () => void;
  const done = new Promise<void>((resolve) => (all = resolve));
  const listening = kv.listenQueue((message) => {
    received.push(ReconcileJob.parse(message).workloadIds);
    if (received.flat().length === ids.length) all();
  });
  try {
    await orchestrator.enqueue(ids.slice(0, 2_000));
    await orchestrator.enqueue(ids.slice(2_000), 1);
    await done;
    assert.deepEqual(sink.lines, [], "no enqueue failed");
    assert.deepEqual(new Set(received.flat()), new Set(ids));
    assert.ok(received.every((m) => m.length <= JOB_IDS_MAX));
  } finally {
    await orchestrator.close();
    kv.close();
    await listening;
  }
});
