/**
 * `lattice-agent reset`: forget this machine. Stops an agent started in the background (its
 * `agent.pid`), uninstalls the background service when one is installed, removes every Lattice
 * container, volume and network from Docker, then deletes the files Lattice keeps in the state
 * dir. Files Lattice did not write are never deleted: the dir is removed only when nothing else
 * is in it (someone may have pointed --state-dir at a dir of their own).
 */
import { OUTBOX_FILES } from "./outbox.ts";
import { SETTINGS_FILE } from "./settings_flags.ts";
import { planService, type ServiceOs } from "./service/plan.ts";

/** Files the agent (or the person, for policy.json) keeps in the state dir. */
export const STATE_DIR_FILES = [
  "state.json",
  "node.key",
  ...OUTBOX_FILES,
  SETTINGS_FILE,
  "policy.json",
  "agent.log",
  "agent.pid",
] as const;

/** Which entries of the state dir reset deletes, and which it keeps (not Lattice's). */
export function planStateRemoval(entries: string[]): { remove: string[]; keep: string[] } {
  const ours = new Set<string>(STATE_DIR_FILES);
  // Temporary files of an interrupted atomic write: `<file>.tmp-<uuid>`.
  const isOurs = (name: string) =>
    ours.has(name) || /^(.+)\.tmp-[0-9a-f-]{36}$/.test(name) && ours.has(name.split(".tmp-")[0]);
  return {
    remove: entries.filter(isOurs).sort(),
    keep: entries.filter((e) => !isOurs(e)).sort(),
  };
}

/** Whether a process's command line is a Lattice agent's `run`. */
export function isAgentRun(commandLine: string): boolean {
  return /lattice-agent|agent\/main\.ts/.test(commandLine) && /\brun\b/.test(commandLine);
}

/** The pid in `agent.pid`, when the file holds one. */
export function parsePidFile(text: string): number | null {
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 1 ? pid : null;
}

/** The command line of a live process (null when it is gone or only a zombie is left). */
async function commandLineOf(pid: number): Promise<string | null> {
  try {
    const out = await new Deno.Command("ps", {
      args: ["-p", String(pid), "-o", "args="],
      stdout: "piped",
      stderr: "null",
    }).output();
    const line = new TextDecoder().decode(out.stdout).trim();
    return out.success && line && !line.endsWith("<defunct>") ? line : null;
  } catch {
    return null;
  }
}

/**
 * Stop the agent `agent.pid` names, if it is still a Lattice agent (a stale pid may belong to
 * something else by now): SIGTERM, and SIGKILL if it has not exited after `timeoutMs` (its
 * workloads keep running either way). Returns the pid stopped.
 */
export async function stopBackgroundAgent(dir: string, timeoutMs = 10_000): Promise<number | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/agent.pid`);
  } catch {
    return null;
  }
  const pid = parsePidFile(text);
  if (pid === null) return null;
  const commandLine = await commandLineOf(pid);
  if (!commandLine || !isAgentRun(commandLine)) return null;
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    return null;
  }
  const deadline = Date.now() + timeoutMs;
  while (await commandLineOf(pid) !== null) {
    if (Date.now() > deadline) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return pid;
}

/** The service file this user's Lattice service would have (null on an OS without one). */
export function serviceFile(
  os: string,
  env: Record<string, string | undefined>,
  uid: number,
  stateDir: string,
): string | null {
  if (os !== "linux" && os !== "darwin" && os !== "windows") return null;
  const home = env.HOME ?? env.USERPROFILE;
  if (!home) return null;
  return planService(os as ServiceOs, "uninstall", {
    home,
    uid,
    xdgConfigHome: env.XDG_CONFIG_HOME || undefined,
    // Only the file path is used; the command is a placeholder the plan needs to be complete.
    spec: { command: ["lattice-agent"], stateDir, env: {} },
  }).file;
}

/**
 * Delete Lattice's files in `dir`, then the dir itself when that left it empty. Returns what
 * was kept because Lattice did not write it.
 */
export async function deleteStateDir(
  dir: string,
): Promise<{ removedDir: boolean; kept: string[] }> {
  const entries: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) entries.push(entry.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { removedDir: true, kept: [] };
    throw err;
  }
  const { remove, keep } = planStateRemoval(entries);
  for (const name of remove) {
    await Deno.remove(`${dir}/${name}`).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  }
  if (keep.length > 0) return { removedDir: false, kept: keep };
  await Deno.remove(dir).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
  return { removedDir: true, kept: [] };
}
