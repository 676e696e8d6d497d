import assert from "node:assert/strict";
import { createLogger, createMemorySink } from "../lib/log.ts";
import type { Schedule } from "../scheduler/types.ts";
import { shouldHoldAwake, startAwakeHours } from "./awake_hours.ts";
import { type HeldProcess, KeepAwake, type KeepAwakeCommand } from "./keep_awake.ts";
import { AgentRunner } from "./runner.ts";
import { generateKeyPair, loadState, saveState } from "./state.ts";

/** Mon–Fri 18:00–08:00 in UTC. */
const EVENINGS: Schedule = {
  timezone: "UTC",
  windows: [1, 2, 3, 4, 5].map((day) => ({ day, start: "18:00", end: "08:00" })),
};
// 2026-12-07 is a Monday.
const MON_NOON = new Date("2026-12-07T12:00:00Z");
const MON_EVENING = new Date("2026-12-07T19:30:00Z");
const TUE_EARLY = new Date("2026-12-08T07:59:00Z");
const SAT_EARLY = new Date("2026-12-12T09:00:00Z");

Deno.test("shouldHoldAwake() holds inside the hours only, and always without hours", () => {
  assert.equal(shouldHoldAwake(null, MON_NOON), true);
  assert.equal(shouldHoldAwake(undefined, SAT_EARLY), true);
  assert.equal(shouldHoldAwake(EVENINGS, MON_NOON), false);
  assert.equal(shouldHoldAwake(EVENINGS, MON_EVENING), true);
  // Crosses midnight into Tuesday morning.
  assert.equal(shouldHoldAwake(EVENINGS, TUE_EARLY), true);
  assert.equal(shouldHoldAwake(EVENINGS, new Date("2026-12-08T08:00:00Z")), false);
  assert.equal(shouldHoldAwake(EVENINGS, SAT_EARLY), false);
  // Another zone: 19:30 in Paris is 18:30 UTC on a Monday in winter.
  const paris: Schedule = { ...EVENINGS, timezone: "Europe/Paris" };
  assert.equal(shouldHoldAwake(paris, new Date("2026-12-07T17:30:00Z")), true);
  assert.equal(shouldHoldAwake(paris, new Date("2026-12-07T16:30:00Z")), false);
  // A zone this machine does not know cannot be checked: let it sleep.
  assert.equal(shouldHoldAwake({ ...EVENINGS, timezone: "Mars/Olympus" }, MON_EVENING), false);
});

/** Stands in for systemd-inhibit/caffeinate (absent here): records starts and kills. */
function fakeSpawner(missing = false) {
  const started: KeepAwakeCommand[] = [];
  let live = 0;
  let kills = 0;
  const spawn = (command: KeepAwakeCommand): HeldProcess => {
    if (missing) throw new Deno.errors.NotFound(`${command.command}: not found`);
    started.push(command);
    live++;
    const exited = Promise.withResolvers<{ code: number }>();
    let done = false;
    return {
      kill: () => {
        if (done) return;
        done = true;
        live--;
        kills++;
        exited.resolve({ code: 143 });
      },
      exited: exited.promise,
    };
  };
  return {
    spawn,
    started,
    get live() {
      return live;
    },
    get kills() {
      return kills;
    },
  };
}

function memoryLog() {
  const sink = createMemorySink();
  const log = createLogger({ level: "debug", sink });
  const messages = () => sink.lines.map((l) => JSON.parse(l) as { level: string; msg: string });
  return { log, messages };
}

Deno.test("startAwakeHours() holds the lock while inside the hours and releases it after", () => {
  const os = fakeSpawner();
  const keepAwake = new KeepAwake({ os: "darwin", pid: 99, spawn: os.spawn });
  const { log } = memoryLog();
  let now = MON_NOON;
  const awake = startAwakeHours({
    keepAwake,
    schedule: () => EVENINGS,
    log,
    now: () => now,
    intervalMs: 3_600_000,
  });
  try {
    assert.equal(os.started.length, 0, "outside the hours: nothing held");
    now = MON_EVENING;
    awake.check();
    assert.equal(keepAwake.held, true);
    assert.deepEqual(os.started, [{ command: "caffeinate", args: ["-i", "-w", "99"] }]);
    now = TUE_EARLY;
    awake.check();
    assert.equal(os.started.length, 1, "still inside: the same lock, not a second one");
    now = new Date("2026-12-08T08:01:00Z");
    awake.check();
    assert.equal(keepAwake.held, false);
    assert.equal(os.live, 0);
    now = new Date("2026-12-08T18:00:00Z");
    awake.check();
    assert.equal(os.live, 1);
  } finally {
    awake.stop();
  }
  assert.equal(os.live, 0, "stop() releases the lock");
  assert.equal(keepAwake.held, false);
});

Deno.test("startAwakeHours() without the OS tool warns once and carries on", () => {
  const os = fakeSpawner(true);
  const keepAwake = new KeepAwake({ os: "linux", pid: 99, spawn: os.spawn });
  const { log, messages } = memoryLog();
  const awake = startAwakeHours({ keepAwake, schedule: () => null, log, intervalMs: 3_600_000 });
  awake.check();
  awake.check();
  awake.stop();
  const warnings = messages().filter((m) => m.level === "warn");
  assert.equal(warnings.length, 1);
  assert.match(JSON.stringify(warnings[0]), /systemd-inhibit.*not installed/);
  assert.equal(keepAwake.held, false);

  const other = memoryLog();
  const none = startAwakeHours({
    keepAwake: new KeepAwake({ os: "plan9", pid: 1, spawn: os.spawn }),
    schedule: () => null,
    log: other.log,
  });
  none.stop();
  assert.equal(other.messages().filter((m) => m.level === "warn").length, 1);
});

Deno.test("the runner holds the machine awake with --keep-awake and releases it on stop", async () => {
  const dir = await Deno.makeTempDir();
  const keys = await generateKeyPair();
  const nodeId = crypto.randomUUID();
  await saveState(dir, {
    version: 1,
    nodeId,
    serverUrl: "http://127.0.0.1:1",
    name: "laptop",
    labels: {},
    joinedAt: new Date().toISOString(),
    publicKey: keys.publicKey,
  }, keys.privateKeyPkcs8);
  const { privateKey } = (await loadState(dir))!;
  const run = async (keepAwakeOn: boolean) => {
    const os = fakeSpawner();
    const runner = new AgentRunner({
      stateDir: dir,
      // Nothing listens there: the runner keeps retrying until stopped.
      serverUrl: "http://127.0.0.1:1",
      nodeId,
      privateKey,
      labels: {},
      policy: {} as never,
      settings: { keepAwake: keepAwakeOn },
      keepAwake: new KeepAwake({ os: "linux", pid: 4242, spawn: os.spawn }),
      log: memoryLog().log,
      dockerHost: `unix://${dir}/no-docker.sock`,
      backoff: { baseMs: 10, capMs: 50 },
    });
    const done = runner.run();
    const deadline = Date.now() + 5000;
    // The outbox is opened before the keep-awake starts; wait for either to be visible.
    while (keepAwakeOn && os.started.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const held = os.live;
    runner.stop();
    await done;
    return { held, os };
  };
  try {
    const on = await run(true);
    assert.equal(on.held, 1, "held while running (no hours: always)");
    assert.match(on.os.started[0].args.join(" "), /--pid=4242/);
    assert.equal(on.os.live, 0, "released on stop (the SIGTERM path)");
    const off = await run(false);
    assert.equal(off.os.started.length, 0, "without --keep-awake nothing is held");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
