import assert from "node:assert/strict";
import { parseAgentFrame } from "./messages.ts";
import { CLOSE } from "../protocol.ts";

const HEARTBEAT = {
  type: "heartbeat",
  seq: 1,
  at: "2026-11-22T10:00:00.000Z",
  metrics: {
    cpuPercent: 1,
    memory: { usedBytes: 1, totalBytes: 2 },
    disk: { usedBytes: 1, totalBytes: 2 },
    network: { rxBps: 0, txBps: 0 },
    docker: { healthy: true, containers: 0, running: 0 },
  },
};

Deno.test("parseAgentFrame() accepts a valid heartbeat and fills defaults", () => {
  const parsed = parseAgentFrame(JSON.stringify(HEARTBEAT));
  assert.ok(parsed.ok);
  assert.equal(parsed.message.type, "heartbeat");
  if (parsed.message.type === "heartbeat") assert.deepEqual(parsed.message.metrics.containers, []);
});

Deno.test("parseAgentFrame() refuses bad frames with the close code to use", () => {
  const cases: [unknown, number, RegExp][] = [
    [new Uint8Array([1]), CLOSE.policy, /binary/],
    ["{", CLOSE.policy, /not valid JSON/],
    ["null", CLOSE.policy, /invalid \(none\)/],
    [JSON.stringify({ type: "exec_on_host" }), CLOSE.policy, /invalid exec_on_host/],
    [JSON.stringify({ ...HEARTBEAT, seq: 0 }), CLOSE.policy, /seq/],
    [JSON.stringify({ ...HEARTBEAT, seq: -1 }), CLOSE.policy, /seq/],
    [JSON.stringify({ ...HEARTBEAT, at: "yesterday" }), CLOSE.policy, /at/],
    ["x".repeat(1024 * 1024 + 1), CLOSE.tooBig, /1 MiB/],
    // Under a million UTF-16 units but over a MiB of UTF-8.
    ["€".repeat(400_000), CLOSE.tooBig, /1 MiB/],
  ];
  for (const [frame, code, reason] of cases) {
    const parsed = parseAgentFrame(frame);
    assert.ok(!parsed.ok, `accepted ${String(frame).slice(0, 30)}`);
    assert.equal(parsed.error.code, code);
    assert.match(parsed.error.reason, reason);
  }
});
