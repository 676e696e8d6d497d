import assert from "node:assert/strict";
import { HOURS_RULE, hoursRefusal } from "./local_hours.ts";
import { parseHours } from "./settings_flags.ts";
import { CommandRunner } from "./commands.ts";
import { defaultPolicy } from "./policy.ts";
import { createLogger, createMemorySink } from "../lib/log.ts";

// Weeknights from 18:00 to 08:00 in Paris (UTC+1 in December).
const schedule = parseHours("mon-fri 18:00-08:00", "Europe/Paris");

Deno.test("hoursRefusal: deploy and start wait for the owner's hours", () => {
  const cases: [string, string, boolean][] = [
    // [UTC instant, action, refused]
    ["2026-12-01T18:30:00Z", "deploy", false], // Tue 19:30 Paris: inside
    ["2026-12-02T06:59:00Z", "start", false], // Wed 07:59 Paris: inside (crossed midnight)
    ["2026-12-02T07:00:00Z", "deploy", true], // Wed 08:00 Paris: the window has ended
    ["2026-12-02T12:00:00Z", "start", true], // Wed 13:00 Paris
    ["2026-12-05T20:00:00Z", "deploy", true], // Sat 21:00 Paris: no weekend window
    ["2026-12-05T06:00:00Z", "deploy", false], // Sat 07:00 Paris: Friday's night window
    ["2026-12-02T12:00:00Z", "stop", false], // stopping is always allowed
    ["2026-12-02T12:00:00Z", "remove", false],
    ["2026-12-02T12:00:00Z", "logs", false],
  ];
  for (const [instant, action, refused] of cases) {
    const result = hoursRefusal(action as "deploy", schedule, new Date(instant));
    assert.equal(result !== null, refused, `${action} at ${instant}`);
    if (result) {
      assert.equal(result.code, "policy_refused");
      assert.equal(result.rule, HOURS_RULE);
      assert.match(result.message, /outside this machine's computation hours/);
      assert.match(result.message, /in Europe\/Paris/);
    }
  }
});

Deno.test("hoursRefusal: the message names the local time and the hours", () => {
  const result = hoursRefusal("deploy", schedule, new Date("2026-12-02T12:00:00Z"));
  assert.match(result!.message, /it is Wed 13:00 in Europe\/Paris; hours: mon 18:00-08:00, /);
});

Deno.test("hoursRefusal: no hours means always", () => {
  assert.equal(hoursRefusal("deploy", null, new Date("2026-12-02T12:00:00Z")), null);
  assert.equal(hoursRefusal("start", undefined, new Date("2026-12-02T12:00:00Z")), null);
});

Deno.test("CommandRunner refuses start outside the hours and names the rule", async () => {
  let now = new Date("2026-12-02T12:00:00Z"); // Wed 13:00 in Paris: outside
  const runner = new CommandRunner({
    nodeId: crypto.randomUUID(),
    policy: defaultPolicy(),
    log: createLogger({ level: "error", sink: createMemorySink() }),
    docker: () => null,
    event: () => {},
    logs: () => {},
    hours: () => schedule,
    now: () => now,
  });
  const allocationId = crypto.randomUUID();
  const outside = await runner.run(crypto.randomUUID(), { action: "start", allocationId });
  assert.equal(outside.ok, false);
  if (!outside.ok) {
    assert.equal(outside.error.code, "policy_refused");
    assert.equal(outside.error.rule, HOURS_RULE);
  }
  now = new Date("2026-12-02T19:00:00Z"); // Wed 20:00: inside, so it reaches Docker
  const inside = await runner.run(crypto.randomUUID(), { action: "start", allocationId });
  assert.equal(inside.ok, false);
  if (!inside.ok) assert.equal(inside.error.code, "docker_unavailable");
  now = new Date("2026-12-02T12:00:00Z"); // outside again: stopping is never held back
  const stop = await runner.run(crypto.randomUUID(), {
    action: "stop",
    allocationId,
    timeoutSeconds: 10,
  });
  assert.equal(stop.ok, false);
  if (!stop.ok) assert.equal(stop.error.code, "docker_unavailable");
});
