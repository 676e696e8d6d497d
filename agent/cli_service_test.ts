import assert from "node:assert/strict";
import {
  agentCommandLine,
  findConfig,
  realServiceDeps,
  serviceCommand,
  type ServiceDeps,
  type ServiceIo,
} from "./cli_service.ts";
import { generateKeyPair, saveState } from "./state.ts";
import type { CommandOutput } from "./system/command.ts";

function io(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const value: ServiceIo = { out: (l) => out.push(l), err: (l) => err.push(l), env };
  return { io: value, out, err };
}

/** A temp HOME with a joined state dir in it. */
async function joinedHome(): Promise<{ home: string; stateDir: string }> {
  const home = await Deno.makeTempDir({ prefix: "lattice home " });
  const stateDir = `${home}/.lattice-agent`;
  const keys = await generateKeyPair();
  await saveState(stateDir, {
    version: 1,
    nodeId: crypto.randomUUID(),
    serverUrl: "http://127.0.0.1:1",
    name: "laptop",
    labels: {},
    joinedAt: new Date().toISOString(),
    publicKey: keys.publicKey,
  }, keys.privateKeyPkcs8);
  return { home, stateDir };
}

/**
 * Stands in for systemctl/launchctl, which cannot run here (no user session bus in this
 * container): records each command and answers from `answer`.
 */
function recordingRunner(answer: (command: string[]) => CommandOutput | null = () => null) {
  const ran: string[] = [];
  const run = (command: string[]) => {
    ran.push(command.join(" "));
    return Promise.resolve(
      answer(command) ?? { success: true, code: 0, stdout: "", stderr: "" },
    );
  };
  return { ran, run };
}

function deps(os: string, run: ServiceDeps["run"]): ServiceDeps {
  const real = realServiceDeps();
  return { ...real, os, uid: 501, agentCommand: ["/opt/lattice agent"], run };
}

Deno.test("service refuses a missing or unknown action with its usage", async () => {
  for (const args of [[], ["restart"], ["start", "stop"]]) {
    const t = io({ HOME: "/nowhere" });
    assert.equal(await serviceCommand(args, t.io), 2, args.join(" "));
    assert.match(t.err.join("\n"), /install\|start\|stop\|uninstall\|status/);
  }
});

Deno.test("service install before join says to join first and writes nothing", async () => {
  const home = await Deno.makeTempDir();
  try {
    const t = io({ HOME: home });
    const runner = recordingRunner();
    assert.equal(await serviceCommand(["install"], t.io, deps("linux", runner.run)), 1);
    assert.match(t.err.join("\n"), /has not joined.*lattice-agent join/);
    assert.deepEqual(runner.ran, []);
    assert.deepEqual([...Deno.readDirSync(home)], []);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("service install without a reachable user manager explains what to do (real systemctl)", async () => {
  const { home, stateDir } = await joinedHome();
  try {
    // No session bus and no runtime dir: what a container or an `su` shell looks like.
    const t = io({
      HOME: home,
      LATTICE_AGENT_STATE_DIR: stateDir,
      PATH: Deno.env.get("PATH"),
      XDG_RUNTIME_DIR: `${home}/none`,
    });
    const code = await serviceCommand(["install"], t.io, { ...realServiceDeps(), os: "linux" });
    assert.equal(code, 1);
    const said = t.err.join("\n");
    if (said.includes("systemctl not found")) {
      assert.match(said, /does not use systemd.*lattice-agent run/);
    } else {
      assert.match(said, /cannot reach your user service manager/);
      assert.match(said, /loginctl enable-linger/);
      assert.match(said, /then run this command again/);
    }
    assert.equal(
      await Deno.stat(`${home}/.config/systemd/user/lattice-agent.service`).catch(() => null),
      null,
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("service install on Linux writes the unit and enables it; uninstall removes it", async () => {
  const { home, stateDir } = await joinedHome();
  try {
    const runner = recordingRunner();
    const t = io({ HOME: home, DOCKER_HOST: "unix:///run/user/501/docker.sock" });
    assert.equal(await serviceCommand(["install"], t.io, deps("linux", runner.run)), 0);
    assert.deepEqual(runner.ran, [
      "systemctl --user show-environment",
      "systemctl --user daemon-reload",
      "systemctl --user enable --now lattice-agent.service",
    ]);
    const unitPath = `${home}/.config/systemd/user/lattice-agent.service`;
    const unit = await Deno.readTextFile(unitPath);
    assert.match(unit, /^ExecStart="\/opt\/lattice agent" run$/m);
    assert.match(unit, new RegExp(`^Environment="LATTICE_AGENT_STATE_DIR=${stateDir}"$`, "m"));
    assert.match(unit, /^Environment=DOCKER_HOST=unix:\/\/\/run\/user\/501\/docker.sock$/m);
    assert.match(t.out.join("\n"), /Installed and started service lattice-agent/);
    assert.match(t.out.join("\n"), /loginctl enable-linger/);

    const removal = recordingRunner();
    const u = io({ HOME: home });
    assert.equal(await serviceCommand(["uninstall"], u.io, deps("linux", removal.run)), 0);
    assert.equal(await Deno.stat(unitPath).catch(() => null), null);
    assert.equal(removal.ran.at(-1), "systemctl --user daemon-reload");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("service stops at the first failing command and shows its output", async () => {
  const { home } = await joinedHome();
  try {
    const runner = recordingRunner((command) =>
      command.includes("kickstart")
        ? { success: false, code: 113, stdout: "", stderr: "Could not find service" }
        : null
    );
    const t = io({ HOME: home });
    assert.equal(await serviceCommand(["start"], t.io, deps("darwin", runner.run)), 1);
    assert.deepEqual(runner.ran, [
      `launchctl bootstrap gui/501 ${home}/Library/LaunchAgents/dev.lattice.agent.plist`,
      "launchctl kickstart gui/501/dev.lattice.agent",
    ]);
    assert.match(t.out.join("\n"), /Could not find service/);
    assert.match(
      t.err.join("\n"),
      /"launchctl kickstart gui\/501\/dev.lattice.agent" failed \(exit 113\)/,
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("service on Windows writes the task as UTF-16 and registers it with schtasks", async () => {
  const { home, stateDir } = await joinedHome();
  try {
    const runner = recordingRunner();
    const t = io({ HOME: home, USERDOMAIN: "LAPTOP", USERNAME: "ann" });
    assert.equal(await serviceCommand(["install"], t.io, deps("windows", runner.run)), 0);
    const file = `${stateDir}\\LatticeAgent.xml`;
    assert.deepEqual(runner.ran, [
      `schtasks /Create /XML ${file} /TN LatticeAgent /F`,
      "schtasks /Run /TN LatticeAgent",
    ]);
    const bytes = await Deno.readFile(file);
    assert.deepEqual([...bytes.slice(0, 2)], [0xff, 0xfe]);
    const xml = new TextDecoder("utf-16le").decode(bytes.slice(2));
    assert.match(xml, /<UserId>LAPTOP\\ann<\/UserId>/);
    assert.match(xml, /<Command>\/opt\/lattice agent<\/Command>/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("agentCommandLine() reruns the compiled binary alone, or deno with the script", () => {
  assert.deepEqual(
    agentCommandLine({
      execPath: "/home/ann/.local/bin/lattice-agent",
      mainModule: "file:///tmp/deno-compile-lattice-agent/agent/main.ts",
      configPath: null,
    }),
    ["/home/ann/.local/bin/lattice-agent"],
  );
  assert.deepEqual(
    agentCommandLine({
      execPath: "/usr/local/bin/deno",
      mainModule: "file:///home/ann/my%20code/lattice/agent/main.ts",
      configPath: "/home/ann/my code/lattice/deno.json",
    }),
    [
      "/usr/local/bin/deno",
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      "--allow-sys",
      "--config",
      "/home/ann/my code/lattice/deno.json",
      "/home/ann/my code/lattice/agent/main.ts",
    ],
  );
  const windows = agentCommandLine({
    execPath: "C:\\Users\\ann\\.deno\\bin\\deno.exe",
    mainModule: "file:///C:/Users/ann/lattice/dist/lattice-agent.js",
    configPath: null,
  });
  assert.equal(windows.at(-1), "C:/Users/ann/lattice/dist/lattice-agent.js");
});

Deno.test("the service finds deno.json only for a checkout's agent/main.ts, never for the bundle", async () => {
  const home = await Deno.makeTempDir();
  try {
    // A stray deno.json above where the installer put the bundle must not be used.
    await Deno.writeTextFile(`${home}/deno.json`, "{}");
    await Deno.mkdir(`${home}/.local/share/lattice`, { recursive: true });
    assert.equal(findConfig(`file://${home}/.local/share/lattice/lattice-agent.js`), null);
    await Deno.mkdir(`${home}/src/lattice/agent`, { recursive: true });
    await Deno.writeTextFile(`${home}/src/lattice/deno.json`, "{}");
    assert.equal(
      findConfig(`file://${home}/src/lattice/agent/main.ts`),
      `${home}/src/lattice/deno.json`,
    );
    assert.equal(findConfig("https://lattice.example.com/agent/lattice-agent.js"), null);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
