/**
 * Keeping the machine awake while it works: a child process that holds the OS's "do not sleep"
 * lock (systemd-inhibit, caffeinate, SetThreadExecutionState through PowerShell) and is tied to the
 * agent's pid, so the lock goes away with the agent even if it crashes.
 */
import { encodeBase64 } from "./encoding.ts";

/** A command to start as a child process. */
export interface KeepAwakeCommand {
  command: string;
  args: string[];
}

/**
 * The command that holds the machine awake for as long as process `pid` lives, or null on an OS
 * without a known way.
 */
export function keepAwakeCommand(os: string, pid: number): KeepAwakeCommand | null {
  switch (os) {
    case "linux":
      return {
        command: "systemd-inhibit",
        args: [
          "--what=idle:sleep",
          "--who=lattice-agent",
          "--why=running workloads",
          "--mode=block",
          // Holds until the agent exits; `sleep infinity` would outlive a crashed agent.
          "tail",
          `--pid=${pid}`,
          "-f",
          "/dev/null",
        ],
      };
    case "darwin":
      return { command: "caffeinate", args: ["-i", "-w", String(pid)] };
    case "windows":
      return {
        command: "powershell.exe",
        args: [
          "-NoProfile",
          "-NonInteractive",
          "-WindowStyle",
          "Hidden",
          // Encoded, so no quoting of the C# signature can go wrong on the way.
          "-EncodedCommand",
          encodeUtf16Base64(windowsKeepAwakeScript(pid)),
        ],
      };
    default:
      return null;
  }
}

/**
 * The PowerShell script: ES_CONTINUOUS | ES_SYSTEM_REQUIRED (0x80000001) on this thread, held
 * while it waits for the agent; the state ends with the thread.
 */
export function windowsKeepAwakeScript(pid: number): string {
  return [
    "$p = Add-Type -Name Power -Namespace Lattice -PassThru -MemberDefinition " +
    `'[DllImport("kernel32.dll")] public static extern uint SetThreadExecutionState(uint f);'`,
    // 2147483649 = 0x80000001; a hex literal would parse as a negative Int32 in PowerShell 5.
    "[void]$p::SetThreadExecutionState([uint32]2147483649)",
    `Wait-Process -Id ${pid}`,
  ].join("; ");
}

function encodeUtf16Base64(text: string): string {
  const bytes = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    bytes[i * 2] = text.charCodeAt(i) & 0xff;
    bytes[i * 2 + 1] = text.charCodeAt(i) >> 8;
  }
  return encodeBase64(bytes);
}

/** A started child process, as KeepAwake needs it. */
export interface HeldProcess {
  kill(): void;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number }>;
}

/** Starts a child process; rejects/throws Deno.errors.NotFound when the command is missing. */
export type Spawner = (command: KeepAwakeCommand) => HeldProcess;

/** The real spawner: a Deno child process with no stdio. */
export const spawnChild: Spawner = ({ command, args }) => {
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    kill: () => {
      try {
        child.kill("SIGTERM");
      } catch (err) {
        // Already exited: nothing left to release.
        if (!(err instanceof TypeError)) throw err;
      }
    },
    exited: child.status.then((s) => ({ code: s.code })),
  };
};

/**
 * Holds the machine awake while `active` is true (the caller switches it by computation hours)
 * and releases it as soon as it is false or `stop()` is called.
 */
export class KeepAwake {
  #child: HeldProcess | null = null;
  readonly #command: KeepAwakeCommand | null;
  readonly #spawn: Spawner;

  constructor(options: { os: string; pid: number; spawn?: Spawner }) {
    this.#command = keepAwakeCommand(options.os, options.pid);
    this.#spawn = options.spawn ?? spawnChild;
  }

  /** Whether a keep-awake process is currently running. */
  get held(): boolean {
    return this.#child !== null;
  }

  /** Whether this OS has a way to keep awake at all. */
  get supported(): boolean {
    return this.#command !== null;
  }

  /** Hold (true) or release (false) the lock; holding again after the child died restarts it. */
  setActive(active: boolean): void {
    if (!active) return this.stop();
    if (this.#child || !this.#command) return;
    let child: HeldProcess;
    try {
      child = this.#spawn(this.#command);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new Error(
          `Cannot keep this machine awake: "${this.#command.command}" is not installed`,
        );
      }
      throw err;
    }
    this.#child = child;
    // A lock refused by the OS (or killed by someone) frees the slot, so the next call retries.
    child.exited.then(() => {
      if (this.#child === child) this.#child = null;
    });
  }

  /** Release the lock. */
  stop(): void {
    const child = this.#child;
    this.#child = null;
    child?.kill();
  }
}
