import assert from "node:assert/strict";
import { planService, SERVICE_ACTIONS, type ServiceAction, type ServiceOs } from "./plan.ts";
import { launchdPlist, systemdUnit, windowsTaskXml } from "./units.ts";

const SPEC = { command: ["/opt/lattice-agent", "run"], stateDir: "/s" };

/** Each step in short: `mkdir P`, `write P`, `rm P`, `run cmd…` (`run?` when it may fail). */
function describe(os: ServiceOs, action: ServiceAction, home: string, stateDir = "/s"): string[] {
  const plan = planService(os, action, { home, uid: 501, spec: { ...SPEC, stateDir } });
  return plan.steps.map((s) =>
    s.kind === "run"
      ? `${s.mayFail ? "run?" : "run"} ${s.command.join(" ")}`
      : s.kind === "remove"
      ? `rm ${s.path}`
      : `${s.kind} ${s.path}`
  );
}

const UNIT = "/home/ann/.config/systemd/user/lattice-agent.service";
const PLIST = "/Users/ann/Library/LaunchAgents/dev.lattice.agent.plist";
const TASK = "C:\\Users\\ann\\.lattice-agent\\LatticeAgent.xml";
const GUI = "gui/501/dev.lattice.agent";

const EXPECTED: Record<ServiceOs, Record<ServiceAction, string[]>> = {
  linux: {
    install: [
      "mkdir /s",
      "mkdir /home/ann/.config/systemd/user",
      `write ${UNIT}`,
      "run systemctl --user daemon-reload",
      "run systemctl --user enable --now lattice-agent.service",
    ],
    start: ["run systemctl --user start lattice-agent.service"],
    stop: ["run systemctl --user stop lattice-agent.service"],
    uninstall: [
      "run? systemctl --user disable --now lattice-agent.service",
      `rm ${UNIT}`,
      "run systemctl --user daemon-reload",
    ],
    status: ["run? systemctl --user status --no-pager lattice-agent.service"],
  },
  darwin: {
    install: [
      "mkdir /s",
      "mkdir /Users/ann/Library/LaunchAgents",
      `write ${PLIST}`,
      `run? launchctl bootout ${GUI}`,
      `run launchctl enable ${GUI}`,
      `run launchctl bootstrap gui/501 ${PLIST}`,
    ],
    start: [`run? launchctl bootstrap gui/501 ${PLIST}`, `run launchctl kickstart ${GUI}`],
    stop: [`run launchctl bootout ${GUI}`],
    uninstall: [`run? launchctl bootout ${GUI}`, `rm ${PLIST}`],
    status: [`run? launchctl print ${GUI}`],
  },
  windows: {
    install: [
      "mkdir C:\\Users\\ann\\.lattice-agent",
      `write ${TASK}`,
      `run schtasks /Create /XML ${TASK} /TN LatticeAgent /F`,
      "run schtasks /Run /TN LatticeAgent",
    ],
    start: ["run schtasks /Run /TN LatticeAgent"],
    stop: ["run schtasks /End /TN LatticeAgent"],
    uninstall: [
      "run? schtasks /End /TN LatticeAgent",
      "run schtasks /Delete /TN LatticeAgent /F",
      `rm ${TASK}`,
    ],
    status: ["run schtasks /Query /TN LatticeAgent /V /FO LIST"],
  },
};

const HOMES: Record<ServiceOs, [string, string]> = {
  linux: ["/home/ann/", "/s"],
  darwin: ["/Users/ann", "/s"],
  windows: ["C:\\Users\\ann", "C:\\Users\\ann\\.lattice-agent"],
};

Deno.test("planService() writes the right file and runs the right commands for every OS and action", () => {
  for (const os of Object.keys(EXPECTED) as ServiceOs[]) {
    for (const action of SERVICE_ACTIONS) {
      const [home, stateDir] = HOMES[os];
      assert.deepEqual(
        describe(os, action, home, stateDir),
        EXPECTED[os][action],
        `${os} ${action}`,
      );
    }
  }
});

Deno.test("planService() install writes the generator's content under the OS's service name", () => {
  const linux = planService("linux", "install", { home: "/h", uid: 1, spec: SPEC });
  const darwin = planService("darwin", "install", { home: "/h", uid: 1, spec: SPEC });
  const windows = planService("windows", "install", { home: "C:\\h", uid: 1, spec: SPEC });
  const written = (p: typeof linux) => p.steps.find((s) => s.kind === "write");
  assert.deepEqual(written(linux), {
    kind: "write",
    path: "/h/.config/systemd/user/lattice-agent.service",
    content: systemdUnit({ ...SPEC, name: "lattice-agent" }),
    encoding: "utf-8",
  });
  assert.equal(
    written(darwin)?.kind === "write" && written(darwin)?.content,
    launchdPlist({ ...SPEC, name: "dev.lattice.agent" }),
  );
  const task = written(windows);
  assert.equal(task?.kind === "write" && task.encoding, "utf-16le");
  assert.equal(
    task?.kind === "write" && task.content,
    windowsTaskXml({ ...SPEC, name: "LatticeAgent" }),
  );
});

Deno.test("planService() puts the unit under $XDG_CONFIG_HOME when it is set", () => {
  const plan = planService("linux", "uninstall", {
    home: "/h",
    uid: 1,
    xdgConfigHome: "/cfg/",
    spec: SPEC,
  });
  assert.equal(plan.file, "/cfg/systemd/user/lattice-agent.service");
  assert.deepEqual(plan.steps[1], { kind: "remove", path: plan.file });
});
