/**
 * `lattice-agent service install|start|stop|uninstall|status`: carries out `planService` on this
 * machine (files through Deno, commands through `systemctl --user`, `launchctl` or `schtasks`).
 */
import { parseArgs } from "node:util";
import {
  planService,
  SERVICE_ACTIONS,
  type ServiceAction,
  type ServiceOs,
  type ServicePlan,
} from "./service/plan.ts";
import { defaultStateDir, loadState } from "./state.ts";
import { AGENT_PERMISSIONS } from "./permissions.ts";
import type { CommandOutput } from "./system/command.ts";

/** The part of the CLI's Io this command uses. */
export interface ServiceIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
}

/** Runs a command to completion with `env` as its whole environment. */
export type ServiceRunner = (
  command: string[],
  env: Record<string, string | undefined>,
) => Promise<CommandOutput>;

/** The machine as the service command sees it; tests pass their own. */
export interface ServiceDeps {
  os: string;
  uid: number;
  /** The command line that runs this agent as it runs now, without the subcommand. */
  agentCommand: string[];
  run: ServiceRunner;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  mkdir(path: string): Promise<void>;
  remove(path: string): Promise<void>;
}

const SERVICE_USAGE = "usage: lattice-agent service install|start|stop|uninstall|status " +
  "[--state-dir DIR]";

/** Run `service …`; returns the exit code. */
export async function serviceCommand(
  args: string[],
  io: ServiceIo,
  deps: ServiceDeps = realServiceDeps(),
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { "state-dir": { type: "string" } },
    allowPositionals: true,
    strict: true,
  });
  const action = positionals[0] as ServiceAction | undefined;
  if (!action || positionals.length > 1 || !SERVICE_ACTIONS.includes(action)) {
    io.err(`lattice-agent: ${SERVICE_USAGE}`);
    return 2;
  }
  if (deps.os !== "linux" && deps.os !== "darwin" && deps.os !== "windows") {
    io.err(
      `lattice-agent: there is no background service for ${deps.os}; ` +
        "start `lattice-agent run` from your system's startup scripts instead.",
    );
    return 1;
  }
  const os: ServiceOs = deps.os;
  const stateDir = values["state-dir"] ?? defaultStateDir(io.env, deps.uid);
  if (action === "install" && !await loadState(stateDir).catch(() => null)) {
    io.err(
      `lattice-agent: this machine has not joined a control plane (no state in ${stateDir}). ` +
        "Run `lattice-agent join --server URL --token TOKEN` first, then install the service.",
    );
    return 1;
  }
  const home = io.env.HOME ?? io.env.USERPROFILE;
  if (!home) {
    io.err("lattice-agent: HOME is not set, so there is no place for the service file.");
    return 1;
  }
  const env: Record<string, string> = {};
  if (io.env.DOCKER_HOST) env.DOCKER_HOST = io.env.DOCKER_HOST;
  const user = io.env.USERNAME
    ? (io.env.USERDOMAIN ? `${io.env.USERDOMAIN}\\${io.env.USERNAME}` : io.env.USERNAME)
    : undefined;
  const plan = planService(os, action, {
    home,
    uid: deps.uid,
    xdgConfigHome: io.env.XDG_CONFIG_HOME || undefined,
    spec: { command: [...deps.agentCommand, "run"], stateDir, env, user },
  });
  if (os === "linux") {
    const problem = await checkUserManager(deps, io.env);
    if (problem) {
      io.err(`lattice-agent: ${problem}`);
      return 1;
    }
  }
  return await executePlan(plan, io, deps);
}

/** Carry out each step in order; stops at the first failure and says what to do. */
export async function executePlan(
  plan: ServicePlan,
  io: ServiceIo,
  deps: ServiceDeps,
): Promise<number> {
  for (const step of plan.steps) {
    switch (step.kind) {
      case "mkdir":
        await deps.mkdir(step.path);
        break;
      case "write":
        await deps.writeFile(step.path, encode(step.content, step.encoding));
        io.out(`wrote ${step.path}`);
        break;
      case "remove":
        await deps.remove(step.path);
        io.out(`removed ${step.path}`);
        break;
      case "run": {
        let output: CommandOutput;
        try {
          output = await deps.run(step.command, io.env);
        } catch (err) {
          if (err instanceof Deno.errors.NotFound) {
            io.err(
              `lattice-agent: cannot run "${
                step.command[0]
              }": it is not installed on this machine.`,
            );
            return 1;
          }
          throw err;
        }
        if (plan.action === "status" || !output.success) {
          for (const line of `${output.stdout}${output.stderr}`.trimEnd().split("\n")) {
            if (line) io.out(`  ${line}`);
          }
        }
        if (!output.success && !step.mayFail) {
          io.err(
            `lattice-agent: "${step.command.join(" ")}" failed (exit ${output.code}); ` +
              `the ${plan.action} of service ${plan.name} did not finish. ` +
              "Fix the problem shown above and run the command again.",
          );
          return 1;
        }
      }
    }
  }
  const done: Record<ServiceAction, string> = {
    install: `Installed and started service ${plan.name} (${plan.file}); it starts at log-in.`,
    start: `Started service ${plan.name}.`,
    stop: `Stopped service ${plan.name}; it starts again at the next log-in.`,
    uninstall: `Removed service ${plan.name}.`,
    status: `Service file: ${plan.file}`,
  };
  io.out(done[plan.action]);
  if (plan.os === "linux" && plan.action === "install") {
    io.out(
      "It runs while you are logged in; to keep it running after you log out, run " +
        "`loginctl enable-linger` once.",
    );
  }
  return 0;
}

function encode(text: string, encoding: "utf-8" | "utf-16le"): Uint8Array {
  if (encoding === "utf-8") return new TextEncoder().encode(text);
  const bytes = new Uint8Array(2 + text.length * 2);
  bytes[0] = 0xff; // byte order mark
  bytes[1] = 0xfe;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    bytes[2 + i * 2] = unit & 0xff;
    bytes[3 + i * 2] = unit >> 8;
  }
  return bytes;
}

/**
 * Whether `systemctl --user` can reach this user's service manager; a plain-language problem and
 * its fix when it cannot, or null.
 */
async function checkUserManager(
  deps: ServiceDeps,
  env: Record<string, string | undefined>,
): Promise<string | null> {
  try {
    const output = await deps.run(["systemctl", "--user", "show-environment"], env);
    return output.success ? null : explainUserManagerFailure(output.stderr || output.stdout);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return explainUserManagerFailure(null);
    throw err;
  }
}

/** Why `systemctl --user` failed (null: systemctl is not installed), in words, with the fix. */
export function explainUserManagerFailure(stderr: string | null): string {
  if (stderr === null) {
    return "this machine does not use systemd (systemctl not found), so there is no user service " +
      "to install. Start `lattice-agent run` from your session's startup programs instead.";
  }
  return "cannot reach your user service manager (`systemctl --user` said: " +
    `${stderr.trim().split("\n")[0] || "no answer"}). This happens in containers and in sessions ` +
    "started with su or sudo. Log in as this user directly (desktop or SSH) so systemd starts your " +
    "user manager, or run `sudo loginctl enable-linger $USER` once, then run this command " +
    "again. Until then, `lattice-agent run` works in a terminal.";
}

/**
 * The command line that runs this agent the way it is running now: the compiled binary alone, or
 * deno with the agent's permissions, its config and the script.
 */
export function agentCommandLine(
  current: { execPath: string; mainModule: string; configPath: string | null },
): string[] {
  const exe = current.execPath.split(/[\\/]/).pop()!.toLowerCase();
  if (exe !== "deno" && exe !== "deno.exe") return [current.execPath];
  const script = current.mainModule.startsWith("file:")
    ? decodeURIComponent(new URL(current.mainModule).pathname)
      .replace(/^\/([A-Za-z]:)/, "$1")
    : current.mainModule;
  return [
    current.execPath,
    "run",
    ...AGENT_PERMISSIONS,
    ...(current.configPath ? ["--config", current.configPath] : []),
    script,
  ];
}

/**
 * The deno.json of the checkout the agent runs from (`agent/main.ts` imports through its import
 * map); null for the single-file bundle, which needs none, so a stray deno.json above wherever
 * it was installed is never picked up.
 */
export function findConfig(mainModule: string): string | null {
  if (!mainModule.startsWith("file:") || !/\/agent\/main\.ts$/.test(mainModule)) return null;
  let dir = new URL(".", mainModule);
  for (let i = 0; i < 20; i++) {
    const candidate = new URL("deno.json", dir);
    try {
      Deno.statSync(candidate);
      return decodeURIComponent(candidate.pathname).replace(/^\/([A-Za-z]:)/, "$1");
    } catch {
      const parent = new URL("..", dir);
      if (parent.href === dir.href) return null;
      dir = parent;
    }
  }
  return null;
}

/** The real machine: Deno's file system and child processes. */
export function realServiceDeps(): ServiceDeps {
  return {
    os: Deno.build.os,
    uid: Deno.uid() ?? 0,
    agentCommand: agentCommandLine({
      execPath: Deno.execPath(),
      mainModule: Deno.mainModule,
      configPath: findConfig(Deno.mainModule),
    }),
    run: async (command, env) => {
      const output = await new Deno.Command(command[0], {
        args: command.slice(1),
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        clearEnv: true,
        env: Object.fromEntries(
          Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
        ),
        signal: AbortSignal.timeout(60_000),
      }).output();
      const decoder = new TextDecoder();
      return {
        success: output.success,
        code: output.code,
        stdout: decoder.decode(output.stdout),
        stderr: decoder.decode(output.stderr),
      };
    },
    writeFile: (path, data) => Deno.writeFile(path, data),
    mkdir: (path) => Deno.mkdir(path, { recursive: true }),
    remove: async (path) => {
      await Deno.remove(path).catch((err) => {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      });
    },
  };
}

/**
 * `join --service install`: install the service right after a successful join. The join is
 * kept whatever happens here; on failure the person is told (the service's own message, then
 * how to run the agent meanwhile). True when the service was installed.
 */
export async function installAfterJoin(
  stateDir: string,
  io: ServiceIo,
  deps: ServiceDeps = realServiceDeps(),
): Promise<boolean> {
  let code: number;
  try {
    code = await serviceCommand(["install", "--state-dir", stateDir], io, deps);
  } catch (err) {
    io.err(
      `lattice-agent: cannot install the service: ${err instanceof Error ? err.message : err}`,
    );
    code = 1;
  }
  if (code === 0) return true;
  io.err(
    "The join succeeded and is kept, but the background service is not installed. " +
      `Meanwhile, start the agent in a terminal with: lattice-agent run --state-dir ${stateDir}` +
      " — and once the problem above is fixed: lattice-agent service install" +
      ` --state-dir ${stateDir}`,
  );
  return false;
}
