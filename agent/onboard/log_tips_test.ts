import assert from "node:assert/strict";
import { lastProblems, tipFor } from "./log_tips.ts";

const line = (level: string, msg: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ time: "2026-12-03T10:00:00.000Z", level, msg, ...extra });

Deno.test("the last warnings and errors, each with a tip for the common ones", () => {
  const log = [
    line("info", "agent starting"),
    line("warn", "Docker is not reachable; workloads cannot be managed until it returns", {
      error: "connection refused",
    }),
    line("info", "disconnected from the control plane; reconnecting", {
      reason: "cannot reach http://x: Connection refused",
    }),
    "lattice-agent: the control plane refused this node (revoked): removed by an admin",
    "not json and not a problem",
    line("info", "connected to the control plane"),
  ].join("\n");
  const problems = lastProblems(log);
  assert.equal(problems.length, 3);
  assert.match(problems[0].message, /Docker is not reachable.*connection refused/);
  assert.match(problems[0].tip!, /system check/);
  assert.match(problems[1].message, /disconnected.*Connection refused/);
  assert.match(problems[1].tip!, /cannot be reached/);
  assert.match(problems[2].tip!, /rejected or revoked/);
});

Deno.test("repeats collapse and only the last few are kept", () => {
  const log = Array.from({ length: 20 }, (_, i) => line("error", `boom ${i % 4}`)).join("\n");
  const problems = lastProblems(log, 3);
  assert.deepEqual(problems.map((p) => p.message), ["boom 1", "boom 2", "boom 3"]);
  assert.equal(tipFor("something unheard of"), null);
  assert.match(tipFor("outside the computation hours")!, /step 4/);
});
