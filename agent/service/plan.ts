/**
 * What installing, starting, stopping, removing or inspecting the background service means on each
 * OS, as a list of steps (files to write or remove, commands to run). Pure: the CLI executes it.
 */
import { launchdPlist, type ServiceSpec, systemdUnit, windowsTaskXml } from "./units.ts";

/** The OSes with a user-level service manager the agent knows. */
export type ServiceOs = "linux" | "darwin" | "windows";
/** What the person asked the service to do. */
export type ServiceAction = "install" | "start" | "stop" | "uninstall" | "status";
export const SERVICE_ACTIONS: readonly ServiceAction[] = [
  "install",
  "start",
  "stop",
  "uninstall",
  "status",
];

/** The service's name on each OS. */
export const SERVICE_NAMES: Record<ServiceOs, string> = {
  linux: "lattice-agent",
  darwin: "dev.lattice.agent",
  windows: "LatticeAgent",
};

/** One thing to do; `run` steps with `mayFail` go on when the command fails (e.g. not loaded). */
export type ServiceStep =
  | { kind: "mkdir"; path: string }
  | { kind: "write"; path: string; content: string; encoding: "utf-8" | "utf-16le" }
  | { kind: "remove"; path: string }
  | { kind: "run"; command: string[]; mayFail?: boolean };

/** The steps for one action, plus the service file they concern. */
export interface ServicePlan {
  os: ServiceOs;
  action: ServiceAction;
  name: string;
  file: string;
  steps: ServiceStep[];
}

/** Facts about the machine the plan needs. */
export interface PlanContext {
  home: string;
  /** The user's numeric id (macOS launchd domain `gui/<uid>`). */
  uid: number;
  /** `$XDG_CONFIG_HOME`, when set (Linux). */
  xdgConfigHome?: string;
  /** What the service runs (its `name` is replaced by the OS's service name). */
  spec: Omit<ServiceSpec, "name">;
}

/** The steps that carry out `action` for the agent's service on `os`. */
export function planService(
  os: ServiceOs,
  action: ServiceAction,
  context: PlanContext,
): ServicePlan {
  const name = SERVICE_NAMES[os];
  const spec: ServiceSpec = { ...context.spec, name };
  const home = context.home.replace(/[\\/]+$/, "");
  switch (os) {
    case "linux": {
      const config = (context.xdgConfigHome ?? `${home}/.config`).replace(/\/+$/, "");
      const dir = `${config}/systemd/user`;
      const file = `${dir}/${name}.service`;
      const unit = `${name}.service`;
      const ctl = (...args: string[]) => ["systemctl", "--user", ...args];
      const steps: Record<ServiceAction, ServiceStep[]> = {
        install: [
          { kind: "mkdir", path: spec.stateDir },
          { kind: "mkdir", path: dir },
          { kind: "write", path: file, content: systemdUnit(spec), encoding: "utf-8" },
          { kind: "run", command: ctl("daemon-reload") },
          { kind: "run", command: ctl("enable", "--now", unit) },
        ],
        start: [{ kind: "run", command: ctl("start", unit) }],
        stop: [{ kind: "run", command: ctl("stop", unit) }],
        uninstall: [
          { kind: "run", command: ctl("disable", "--now", unit), mayFail: true },
          { kind: "remove", path: file },
          { kind: "run", command: ctl("daemon-reload") },
        ],
        // `status` exits 3 for a stopped service: that is an answer, not a failure.
        status: [{ kind: "run", command: ctl("status", "--no-pager", unit), mayFail: true }],
      };
      return { os, action, name, file, steps: steps[action] };
    }
    case "darwin": {
      const dir = `${home}/Library/LaunchAgents`;
      const file = `${dir}/${name}.plist`;
      const domain = `gui/${context.uid}`;
      const target = `${domain}/${name}`;
      const bootstrap: ServiceStep = {
        kind: "run",
        command: ["launchctl", "bootstrap", domain, file],
      };
      // bootout unloads the job: with KeepAlive, killing it would only make launchd restart it.
      const bootout: ServiceStep = {
        kind: "run",
        command: ["launchctl", "bootout", target],
        mayFail: true,
      };
      const steps: Record<ServiceAction, ServiceStep[]> = {
        install: [
          { kind: "mkdir", path: spec.stateDir },
          { kind: "mkdir", path: dir },
          { kind: "write", path: file, content: launchdPlist(spec), encoding: "utf-8" },
          bootout,
          { kind: "run", command: ["launchctl", "enable", target] },
          bootstrap,
        ],
        // bootstrap fails when the job is already loaded; kickstart then fails for real problems.
        start: [
          { ...bootstrap, mayFail: true },
          { kind: "run", command: ["launchctl", "kickstart", target] },
        ],
        stop: [{ ...bootout, mayFail: false }],
        uninstall: [bootout, { kind: "remove", path: file }],
        status: [{ kind: "run", command: ["launchctl", "print", target], mayFail: true }],
      };
      return { os, action, name, file, steps: steps[action] };
    }
    case "windows": {
      const stateDir = spec.stateDir.replace(/[\\/]+$/, "");
      const file = `${stateDir}\\${name}.xml`;
      const tn = ["/TN", name];
      const steps: Record<ServiceAction, ServiceStep[]> = {
        install: [
          { kind: "mkdir", path: spec.stateDir },
          // Task Scheduler reads task XML as UTF-16, the encoding it exports.
          { kind: "write", path: file, content: windowsTaskXml(spec), encoding: "utf-16le" },
          { kind: "run", command: ["schtasks", "/Create", "/XML", file, ...tn, "/F"] },
          { kind: "run", command: ["schtasks", "/Run", ...tn] },
        ],
        start: [{ kind: "run", command: ["schtasks", "/Run", ...tn] }],
        stop: [{ kind: "run", command: ["schtasks", "/End", ...tn] }],
        uninstall: [
          { kind: "run", command: ["schtasks", "/End", ...tn], mayFail: true },
          { kind: "run", command: ["schtasks", "/Delete", ...tn, "/F"] },
          { kind: "remove", path: file },
        ],
        status: [{ kind: "run", command: ["schtasks", "/Query", ...tn, "/V", "/FO", "LIST"] }],
      };
      return { os, action, name, file, steps: steps[action] };
    }
  }
}
