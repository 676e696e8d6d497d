/**
 * "Start now": `lattice-agent run` as a detached child that outlives `onboard`, for machines where
 * the user-level service cannot be used. Output goes to `<state>/agent.log`, the pid to
 * `<state>/agent.pid` (the same two files install.sh uses).
 */

export const LOG_FILE = "agent.log";
export const PID_FILE = "agent.pid";

/** The pid in `<state>/agent.pid` when that process is still alive, else null. */
export async function runningPid(stateDir: string): Promise<number | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${stateDir}/${PID_FILE}`);
  } catch {
    return null;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1) return null;
  return isAlive(pid) ? pid : null;
}

/**
 * Whether process `pid` exists and has not exited: `ps` (reading /proc needs --allow-all in
 * Deno). Where there is no `ps` (Windows), a pid in the file counts as running.
 */
export function isAlive(pid: number): boolean {
  if (Deno.build.os === "windows") return true;
  try {
    const out = new Deno.Command("ps", {
      args: ["-o", "stat=", "-p", String(pid)],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const stat = new TextDecoder().decode(out.stdout).trim();
    // A zombie (exited, not yet reaped by its parent) is not running.
    return out.success && stat !== "" && !stat.startsWith("Z");
  } catch (err) {
    return err instanceof Deno.errors.NotFound;
  }
}

/**
 * Start `command` (the agent's command line, e.g. from agentCommandLine, plus `run --state-dir`)
 * detached, logging to agent.log; returns the pid. An agent already running is kept.
 */
export async function startDetached(
  stateDir: string,
  command: string[],
  env: Record<string, string> = {},
): Promise<{ pid: number; alreadyRunning: boolean }> {
  const running = await runningPid(stateDir);
  if (running !== null) return { pid: running, alreadyRunning: true };
  const logPath = `${stateDir}/${LOG_FILE}`;
  // The shell sends the output straight to the file, so the agent never writes into a pipe that
  // closes when onboard exits.
  const [program, args] = Deno.build.os === "windows"
    ? ["cmd.exe", [
      "/d",
      "/s",
      "/c",
      `"${command.map(quoteWindows).join(" ")} >> "${logPath}" 2>&1"`,
    ]]
    : ["/bin/sh", ["-c", 'exec "$@" >> "$LATTICE_AGENT_LOG" 2>&1', "sh", ...command]];
  const child = new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    env: { ...env, LATTICE_AGENT_LOG: logPath },
    detached: true,
    windowsRawArguments: Deno.build.os === "windows",
  }).spawn();
  child.unref();
  await Deno.writeTextFile(`${stateDir}/${PID_FILE}`, `${child.pid}\n`, { mode: 0o600 });
  return { pid: child.pid, alreadyRunning: false };
}

function quoteWindows(arg: string): string {
  return /[\s"]/.test(arg) ? `"${arg.replaceAll('"', '\\"')}"` : arg;
}

/** Stop the agent named in agent.pid (SIGTERM; it leaves workloads running). */
export async function stopDetached(stateDir: string): Promise<boolean> {
  const pid = await runningPid(stateDir);
  await Deno.remove(`${stateDir}/${PID_FILE}`).catch(() => {});
  if (pid === null) return false;
  try {
    Deno.kill(pid, "SIGTERM");
    return true;
  } catch {
    return false;
  }
}
