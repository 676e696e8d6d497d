import assert from "node:assert/strict";
import { decodeBase64 } from "./encoding.ts";
import {
  type HeldProcess,
  KeepAwake,
  type KeepAwakeCommand,
  keepAwakeCommand,
  spawnChild,
  windowsKeepAwakeScript,
} from "./keep_awake.ts";

Deno.test("keepAwakeCommand() picks each OS's own way to stay awake, tied to the agent's pid", () => {
  assert.deepEqual(keepAwakeCommand("linux", 4242), {
    command: "systemd-inhibit",
    args: [
      "--what=idle:sleep",
      "--who=lattice-agent",
      "--why=running workloads",
      "--mode=block",
      "tail",
      "--pid=4242",
      "-f",
      "/dev/null",
    ],
  });
  assert.deepEqual(keepAwakeCommand("darwin", 4242), {
    command: "caffeinate",
    args: ["-i", "-w", "4242"],
  });
  const windows = keepAwakeCommand("windows", 4242)!;
  assert.equal(windows.command, "powershell.exe");
  assert.deepEqual(windows.args.slice(0, 5), [
    "-NoProfile",
    "-NonInteractive",
    "-WindowStyle",
    "Hidden",
    "-EncodedCommand",
  ]);
  // -EncodedCommand is base64 of UTF-16LE.
  const script = new TextDecoder("utf-16le").decode(decodeBase64(windows.args[5]));
  assert.equal(script, windowsKeepAwakeScript(4242));
  assert.match(script, /SetThreadExecutionState\(\[uint32\]2147483649\)/);
  assert.equal(2147483649, 0x80000001); // ES_CONTINUOUS | ES_SYSTEM_REQUIRED
  assert.match(script, /Wait-Process -Id 4242$/);
  assert.equal(keepAwakeCommand("freebsd", 1), null);
});

/**
 * Stands in for the OS facilities this container lacks (no logind for systemd-inhibit, no
 * caffeinate, no PowerShell): records what was started and lets the test end a child.
 */
function fakeOsSpawner() {
  const started: KeepAwakeCommand[] = [];
  const children: { killed: boolean; exit(): void; exited: Promise<unknown> }[] = [];
  const spawn = (command: KeepAwakeCommand): HeldProcess => {
    started.push(command);
    let exit!: (s: { code: number }) => void;
    const exited = new Promise<{ code: number }>((resolve) => exit = resolve);
    const child = {
      killed: false,
      exit: () => exit({ code: 1 }),
      exited,
    };
    children.push(child);
    return {
      kill: () => {
        child.killed = true;
        exit({ code: 143 });
      },
      exited,
    };
  };
  return { spawn, started, children };
}

Deno.test("KeepAwake holds the lock only while active and releases it when switched off", () => {
  const os = fakeOsSpawner();
  const keep = new KeepAwake({ os: "darwin", pid: 7, spawn: os.spawn });
  assert.equal(keep.held, false);
  keep.setActive(true);
  keep.setActive(true); // computation hours still on: no second process
  assert.equal(keep.held, true);
  assert.deepEqual(os.started, [{ command: "caffeinate", args: ["-i", "-w", "7"] }]);
  keep.setActive(false);
  assert.equal(keep.held, false);
  assert.equal(os.children[0].killed, true);
  keep.setActive(true);
  assert.equal(os.started.length, 2);
  keep.stop();
  assert.equal(os.children[1].killed, true);
  assert.equal(keep.held, false);
});

Deno.test("KeepAwake takes the lock again after its process died on its own", async () => {
  const os = fakeOsSpawner();
  const keep = new KeepAwake({ os: "linux", pid: 7, spawn: os.spawn });
  keep.setActive(true);
  os.children[0].exit();
  // KeepAwake subscribed to the exit first, so it has seen it once this await returns.
  await os.children[0].exited;
  assert.equal(keep.held, false);
  keep.setActive(true);
  assert.equal(os.started.length, 2);
  assert.equal(keep.held, true);
  keep.stop();
});

Deno.test("KeepAwake does nothing on an OS without a way, and says when the tool is missing", () => {
  const os = fakeOsSpawner();
  const none = new KeepAwake({ os: "freebsd", pid: 7, spawn: os.spawn });
  none.setActive(true);
  assert.equal(none.supported, false);
  assert.deepEqual(os.started, []);
  const missing = new KeepAwake({
    os: "darwin",
    pid: 7,
    spawn: () => {
      throw new Deno.errors.NotFound("caffeinate");
    },
  });
  assert.throws(() => missing.setActive(true), /"caffeinate" is not installed/);
  assert.equal(missing.held, false);
});

Deno.test("spawnChild() starts a real process that KeepAwake's release ends", async () => {
  const child = spawnChild({ command: "sleep", args: ["600"] });
  child.kill();
  const { code } = await child.exited;
  assert.notEqual(code, 0);
  child.kill(); // already gone: harmless
});
