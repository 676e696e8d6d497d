import assert from "node:assert/strict";
import {
  deleteStateDir,
  isAgentRun,
  parsePidFile,
  planStateRemoval,
  serviceFile,
  STATE_DIR_FILES,
  stopBackgroundAgent,
} from "./reset.ts";

Deno.test("reset removes Lattice's files and interrupted writes, and keeps anything else", () => {
  const tmp = "state.json.tmp-0b4cb7de-8a43-4a8e-a7f3-0b1c1f1e6d3a";
  assert.deepEqual(
    planStateRemoval(["node.key", "settings.json", tmp, "notes.txt", "policy.json", "agent.log"]),
    {
      remove: ["agent.log", "node.key", "policy.json", "settings.json", tmp].sort(),
      keep: ["notes.txt"],
    },
  );
  assert.deepEqual(planStateRemoval(["photos.tmp-1"]).keep, ["photos.tmp-1"]);
});

Deno.test("a state dir holding only Lattice's files is deleted; one with other files is kept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const f of STATE_DIR_FILES) await Deno.writeTextFile(`${dir}/${f}`, "x");
    assert.deepEqual(await deleteStateDir(dir), { removedDir: true, kept: [] });
    await assert.rejects(() => Deno.stat(dir), Deno.errors.NotFound);
    // Pointed at a dir of the person's own: only Lattice's files go.
    await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/state.json`, "x");
    await Deno.writeTextFile(`${dir}/thesis.tex`, "mine");
    assert.deepEqual(await deleteStateDir(dir), { removedDir: false, kept: ["thesis.tex"] });
    assert.equal(await Deno.readTextFile(`${dir}/thesis.tex`), "mine");
    await assert.rejects(() => Deno.stat(`${dir}/state.json`), Deno.errors.NotFound);
    // Already gone is fine.
    await Deno.remove(dir, { recursive: true });
    assert.deepEqual(await deleteStateDir(dir), { removedDir: true, kept: [] });
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("pid files and agent command lines are recognised", () => {
  assert.equal(parsePidFile("1234\n"), 1234);
  assert.equal(parsePidFile("garbage"), null);
  assert.equal(parsePidFile("1"), null);
  assert.equal(isAgentRun("/usr/bin/deno run -A /home/a/.local/lib/lattice-agent.js run"), true);
  assert.equal(isAgentRun("/home/a/.local/bin/lattice-agent run --state-dir /x"), true);
  assert.equal(isAgentRun("deno run --allow-all agent/main.ts run"), true);
  assert.equal(isAgentRun("/home/a/.local/bin/lattice-agent onboard"), false);
  assert.equal(isAgentRun("sleep 30"), false);
});

function spawnSleeper(args: string[]): Deno.ChildProcess {
  return new Deno.Command("sh", { args, stdout: "null", stderr: "null" }).spawn();
}

Deno.test("the background agent in agent.pid is stopped; an unrelated process is left alone", async () => {
  const dir = await Deno.makeTempDir();
  // sh shows its arguments in ps: "sh -c … lattice-agent run", like the wrapper script does.
  const agent = spawnSleeper(["-c", "sleep 30", "lattice-agent", "run"]);
  const other = spawnSleeper(["-c", "sleep 30", "somebody-else"]);
  try {
    await Deno.writeTextFile(`${dir}/agent.pid`, `${other.pid}\n`);
    assert.equal(await stopBackgroundAgent(dir, 2000), null);
    await Deno.writeTextFile(`${dir}/agent.pid`, `${agent.pid}\n`);
    assert.equal(await stopBackgroundAgent(dir, 5000), agent.pid);
    const status = await agent.status;
    assert.equal(status.signal, "SIGTERM");
    // The unrelated process is still running: a signal 0 style probe through kill(1).
    const probe = await new Deno.Command("kill", { args: ["-0", String(other.pid)] }).output();
    assert.equal(probe.success, true);
  } finally {
    for (const p of [agent, other]) {
      try {
        p.kill("SIGKILL");
      } catch { /* already gone */ }
      await p.status;
    }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the service file reset looks for is the one install writes, per OS", () => {
  const env = { HOME: "/home/ada" };
  assert.equal(
    serviceFile("linux", env, 1000, "/s"),
    "/home/ada/.config/systemd/user/lattice-agent.service",
  );
  assert.match(serviceFile("darwin", env, 501, "/s")!, /Library\/LaunchAgents\/.*\.plist$/);
  assert.equal(serviceFile("freebsd", env, 1000, "/s"), null);
  assert.equal(serviceFile("linux", {}, 1000, "/s"), null);
});
