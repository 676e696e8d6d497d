import assert from "node:assert/strict";
import type { ServiceDeps } from "../cli_service.ts";
import { loadSettings } from "../settings_flags.ts";
import { loadState } from "../state.ts";
import { OnboardBackend, OnboardError } from "./backend.ts";
import { fullGrid } from "./hours_grid.ts";
import { runningPid } from "./background.ts";
import { realStepRunner, type StepRunner } from "./docker_install.ts";

/** A fake control plane that answers the join. */
function fakeControlPlane() {
  const joins: { name: string; labels: Record<string, string> }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (req.method === "POST" && url.pathname === "/api/v1/agents/join") {
      const body = await req.json();
      if (body.token !== "ljt_good") {
        return Response.json({ error: { code: "invalid_token", message: "token used" } }, {
          status: 401,
        });
      }
      joins.push({ name: body.name, labels: body.labels });
      return Response.json({
        nodeId: crypto.randomUUID(),
        approval: "pending",
        poolId: crypto.randomUUID(),
        poolName: "default",
      }, { status: 201 });
    }
    return new Response("no", { status: 404 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, joins, close: () => server.shutdown() };
}

async function refused(p: Promise<unknown>, status: number, code: string) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof OnboardError, String(err));
    assert.equal(err.status, status);
    assert.equal(err.code, code);
    return true;
  });
}

const machine = {
  name: "box",
  labels: { room: "lab" },
  cluster: "lab-3",
  offer: { cpuPercent: 50, memoryMiB: 2048, diskGiB: null },
};

Deno.test("the steps join, then save the share, hours and keep-awake into the state dir", async () => {
  const cp = fakeControlPlane();
  const dir = await Deno.makeTempDir();
  const stateDir = `${dir}/state`;
  try {
    const backend = new OnboardBackend({ stateDir, serverUrl: cp.url, env: { HOME: dir } });
    let state = await backend.state();
    assert.equal(state.serverUrl, cp.url);
    assert.equal(state.joined, null);
    assert.deepEqual(
      { ...state.progress, system: undefined },
      {
        system: undefined,
        signin: false,
        machine: false,
        hours: false,
        awake: false,
        background: false,
      },
    );
    await refused(backend.saveMachine(machine), 409, "sign_in_first");
    await refused(backend.saveHours({ grid: fullGrid(true), timezone: "UTC" }), 409, "not_joined");
    await refused(backend.saveKeepAwake({ enabled: true }), 409, "not_joined");

    // A used token: the join is refused and the sign-in must start again.
    await backend.tokenSignIn({ serverUrl: cp.url, token: "ljt_used" });
    await refused(backend.saveMachine(machine), 409, "refused");
    assert.equal((await backend.signInStatus()).status, "none");

    const signedIn = await backend.tokenSignIn({
      serverUrl: `${cp.url}/some/path`,
      token: "ljt_good",
    });
    assert.equal(signedIn.status, "ready");
    assert.equal(signedIn.serverUrl, cp.url);
    assert.ok(!JSON.stringify(signedIn).includes("ljt_good"), "the token stays in the agent");
    const joined = await backend.saveMachine(machine);
    assert.equal(joined.joined, true);
    assert.equal(joined.poolName, "default");
    assert.deepEqual(cp.joins, [{
      name: "box",
      labels: { room: "lab", "lattice.cluster": "lab-3" },
    }]);
    assert.equal((await loadState(stateDir))?.state.name, "box");
    assert.deepEqual((await loadSettings(stateDir))?.offer, { cpuPercent: 50, memoryMiB: 2048 });
    await refused(backend.tokenSignIn({ serverUrl: cp.url, token: "x" }), 409, "already_joined");

    // Re-saving after the join updates the share only.
    const again = await backend.saveMachine({
      ...machine,
      name: "renamed",
      offer: { cpuPercent: 25, memoryMiB: null, diskGiB: 10 },
    });
    assert.equal(again.joined, false);
    assert.match(again.note, /fixed once a machine has joined/);
    assert.equal((await loadState(stateDir))?.state.name, "box");
    assert.deepEqual((await loadSettings(stateDir))?.offer, { cpuPercent: 25, diskGiB: 10 });
    assert.equal(cp.joins.length, 1);

    const grid = fullGrid(false);
    grid[1][9] = true;
    const hours = await backend.saveHours({ grid, timezone: "Europe/Paris" });
    assert.deepEqual(hours.schedule, {
      timezone: "Europe/Paris",
      windows: [{ day: 1, start: "09:00", end: "10:00" }],
    });
    await backend.saveKeepAwake({ enabled: true });
    const settings = await loadSettings(stateDir);
    assert.equal(settings?.keepAwake, true);
    assert.equal(settings?.cluster, "lab-3");

    state = await backend.state();
    assert.equal(state.joined?.name, "box");
    assert.equal(state.timezone, "Europe/Paris");
    assert.equal(state.grid[1][9], true);
    assert.equal(state.grid[1][10], false);
    assert.equal(state.progress.machine, true);
    assert.equal(state.progress.hours, true);
    assert.equal(state.progress.awake, true);

    // "Always" is saved as no schedule, and still counts as chosen.
    const always = await backend.saveHours({ grid: fullGrid(true), timezone: "UTC" });
    assert.equal(always.schedule, null);
    assert.equal((await backend.state()).progress.hours, true);
  } finally {
    await cp.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Start now runs a detached process named in agent.pid; Stop ends it", async () => {
  const dir = await Deno.makeTempDir();
  const cp = fakeControlPlane();
  const fakeDeps = (): ServiceDeps => ({
    os: "linux",
    uid: 1000,
    // Stands in for the agent: prints a line to the log, then waits.
    agentCommand: ["sh", "-c", 'echo "lattice-agent: started with $*"; exec sleep 60', "agent"],
    run: () => Promise.reject(new Deno.errors.NotFound("systemctl")),
    writeFile: () => Promise.resolve(),
    mkdir: () => Promise.resolve(),
    remove: () => Promise.resolve(),
  });
  const backend = new OnboardBackend({
    stateDir: dir,
    serverUrl: cp.url,
    env: { HOME: dir },
    serviceDeps: fakeDeps,
  });
  let pid: number | null = null;
  try {
    await refused(backend.background({ action: "start" }), 409, "not_joined");
    await backend.tokenSignIn({ serverUrl: cp.url, token: "ljt_good" });
    await backend.saveMachine(machine);
    const service = await backend.serviceAvailability();
    assert.equal(service.available, false);
    assert.match(service.reason!, /does not use systemd/);

    const started = await backend.background({ action: "start" });
    pid = started.pid;
    assert.equal(await runningPid(dir), pid);
    const log = async () => await Deno.readTextFile(`${dir}/agent.log`).catch(() => "");
    const deadline = Date.now() + 5000;
    while (!(await log()).includes("started with") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.match(await log(), /started with run --state-dir /);
    const second = await backend.background({ action: "start" });
    assert.equal(second.pid, pid, "one agent at a time");
    assert.match(second.note, /already running/);
    assert.equal((await backend.state()).progress.background, true);

    const status = await backend.status();
    assert.equal(status.agentRunning, true);
    assert.match(status.problems.at(-1)?.message ?? "", /started with/);

    const stopped = await backend.background({ action: "stop" });
    assert.equal(stopped.running, false);
    const until = Date.now() + 5000;
    while (await runningPid(dir) !== null && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await runningPid(dir), null);
    pid = null;
  } finally {
    if (pid !== null) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    await cp.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saving a setting restarts the installed service so it takes effect", async () => {
  const cp = fakeControlPlane();
  const dir = await Deno.makeTempDir();
  const stateDir = `${dir}/state`;
  const ran: string[] = [];
  let failStart = false;
  // The service manager as the service command sees it: every systemctl call is recorded.
  const deps = (): ServiceDeps => ({
    os: "linux",
    uid: 1000,
    agentCommand: ["lattice-agent"],
    run: (command) => {
      ran.push(command.join(" "));
      const ok = !(failStart && command.includes("start"));
      return Promise.resolve({ success: ok, code: ok ? 0 : 1, stdout: "", stderr: "" });
    },
    writeFile: () => Promise.resolve(),
    mkdir: () => Promise.resolve(),
    remove: () => Promise.resolve(),
  });
  try {
    const backend = new OnboardBackend({
      stateDir,
      serverUrl: cp.url,
      env: { HOME: dir },
      serviceDeps: deps,
    });
    await backend.tokenSignIn({ serverUrl: cp.url, token: "ljt_good" });
    await backend.saveMachine(machine);
    // Without an installed service nothing is restarted.
    const before = await backend.saveKeepAwake({ enabled: true });
    assert.doesNotMatch(before.note, /restarted/);
    assert.equal(ran.length, 0, ran.join("\n"));

    await Deno.mkdir(`${dir}/.config/systemd/user`, { recursive: true });
    await Deno.writeTextFile(`${dir}/.config/systemd/user/lattice-agent.service`, "[Unit]\n");
    const saved = await backend.saveHours({ grid: fullGrid(false), timezone: "UTC" });
    assert.match(saved.note, /background service was restarted/);
    assert.ok(ran.includes("systemctl --user stop lattice-agent.service"), ran.join("\n"));
    assert.ok(ran.includes("systemctl --user start lattice-agent.service"), ran.join("\n"));
    assert.ok(
      ran.indexOf("systemctl --user stop lattice-agent.service") <
        ran.indexOf("systemctl --user start lattice-agent.service"),
    );

    // When the restart fails, the page says how to do it by hand.
    failStart = true;
    const failed = await backend.saveKeepAwake({ enabled: false });
    assert.match(failed.note, /Stop, then Start in step 6/);
  } finally {
    await cp.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the Docker install runs this machine's plan in order, streams its output and stops at a failure", async () => {
  // Docker is installed here, so the plan's commands are not run for real: each one is handed to
  // `sh` as an echo of itself (the runner and its streaming are the real ones), and the
  // `systemctl` step fails the way it does where systemd is missing.
  const ran: string[][] = [];
  const runner: StepRunner = (command, onLine) => {
    ran.push(command);
    const fails = command.includes("systemctl");
    const script = fails
      ? `echo "System has not been booted with systemd as init system (PID 1)." >&2; exit 1`
      : `echo "ran: $*"`;
    return realStepRunner(["sh", "-c", script, "plan", ...command], onLine);
  };
  const dir = await Deno.makeTempDir();
  try {
    const backend = new OnboardBackend({
      stateDir: `${dir}/state`,
      serverUrl: null,
      env: { HOME: dir, USER: "ada" },
      os: "linux",
      stepRunner: runner,
    });
    const started = await backend.startDockerInstall({ consent: true });
    const debianLike = started.steps.some((s) => s.command.includes("apt-get"));
    const fedora = started.steps.some((s) => s.command.includes("dnf"));
    assert.ok(debianLike || fedora, JSON.stringify(started.steps));
    await refused(backend.startDockerInstall({ consent: true }), 409, "install_running");
    let progress = backend.installProgress();
    const deadline = Date.now() + 10_000;
    while (progress.running && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      progress = backend.installProgress();
    }
    const failedAt = started.steps.findIndex((s) => s.command.includes("systemctl"));
    assert.deepEqual(progress.result, { ok: false, failedStep: failedAt, code: 1 });
    assert.equal(ran.length, failedAt + 1, "the steps after the failure did not run");
    assert.deepEqual(ran, started.steps.slice(0, failedAt + 1).map((s) => s.command));
    const out = progress.lines.map((l) => `${l.step} ${l.stream} ${l.line}`);
    assert.ok(out.includes(`0 stdout ran: ${started.steps[0].command.join(" ")}`), out.join("\n"));
    assert.ok(out.some((l) => l.startsWith(`${failedAt} stderr System has not been booted`)));
    // Once it is over, it may be tried again.
    const again = await backend.startDockerInstall({ consent: true });
    assert.equal(again.started, true);
    const until = Date.now() + 10_000;
    while (backend.installProgress().running && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(backend.installProgress().running, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("macOS and Windows get instructions: the agent refuses to install there", async () => {
  for (const os of ["darwin", "windows"]) {
    const backend = new OnboardBackend({
      stateDir: "/nonexistent/state",
      serverUrl: null,
      env: { HOME: "/nonexistent" },
      os,
      stepRunner: () => Promise.reject(new Error("must not run")),
    });
    await refused(backend.startDockerInstall({ consent: true }), 409, "install_manual");
  }
});
