import assert from "node:assert/strict";
import { createLogger, createMemorySink } from "./log.ts";

Deno.test("createLogger() writes one JSON object per line with level, message and context", () => {
  const sink = createMemorySink();
  const log = createLogger({ level: "info", sink }).child({ request_id: "r-1" });
  log.debug("hidden");
  log.info("hello", { user_id: "u-1" });
  log.error("failed", { err: new Error("boom") });
  assert.equal(sink.lines.length, 2);
  const first = JSON.parse(sink.lines[0]);
  assert.equal(first.level, "info");
  assert.equal(first.msg, "hello");
  assert.equal(first.request_id, "r-1");
  assert.equal(first.user_id, "u-1");
  assert.ok(!Number.isNaN(Date.parse(first.time)));
  const second = JSON.parse(sink.lines[1]);
  assert.equal(second.err.message, "boom");
  assert.match(second.err.stack, /Error: boom/);
});

Deno.test("a log message with newlines stays on one line", () => {
  const sink = createMemorySink();
  createLogger({ level: "debug", sink }).warn("line1\nline2\u001b[31m", { v: "a\r\nb" });
  assert.equal(sink.lines.length, 1);
  assert.ok(!sink.lines[0].includes("\n"));
  assert.equal(JSON.parse(sink.lines[0]).msg, "line1\nline2\u001b[31m");
});
