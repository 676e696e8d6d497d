/** Running a probe's external command with a deadline (probes must finish well under 2 s). */

/** What a finished command printed, and how it exited. */
export interface CommandOutput {
  success: boolean;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command` with `args`; rejects with Deno.errors.NotFound when it is not installed. */
export type RunCommand = (
  command: string,
  args: string[],
  options?: { timeoutMs?: number },
) => Promise<CommandOutput>;

/** Longest a probe's command may run before it is killed. */
export const PROBE_TIMEOUT_MS = 1500;

/**
 * Run a command to completion (C locale, no stdin), killing it after `timeoutMs`. Rejects with
 * Deno.errors.NotFound for a missing binary and with a timeout error when it ran too long.
 */
export const runCommand: RunCommand = async (command, args, options = {}) => {
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  const output = await new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { LC_ALL: "C" },
    signal,
  }).output();
  if (signal.aborted) {
    throw new Error(`Command "${command}" did not finish within ${timeoutMs} ms and was stopped`);
  }
  const decoder = new TextDecoder();
  return {
    success: output.success,
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
};
