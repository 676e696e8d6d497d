// The real agent as a user runs it: bundled into one file (`deno bundle --platform deno`) and
// started with `deno run`. Running from the bundle proves the agent is self-contained.
import { waitFor } from "./server.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
let bundled: Promise<string> | null = null;

/** Bundle agent/main.ts once per test process; returns the file's path. */
export function agentBundle(): Promise<string> {
  bundled ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "lattice-agent-bundle-" });
    const out = `${dir}/lattice-agent.js`;
    const res = await new Deno.Command("deno", {
      args: ["bundle", "--platform", "deno", "-o", out, "agent/main.ts"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!res.success) {
      throw new Error(`deno bundle failed:\n${new TextDecoder().decode(res.stderr)}`);
    }
    return out;
  })();
  return bundled;
}

/** A running (or finished) agent process. */
export interface AgentProcess {
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Wait until the output matches `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  kill(signal: Deno.Signal): void;
  /** The exit code, once the process ends. */
  status: Promise<number>;
}

/** Start the bundled agent with `args`. */
export async function startAgent(
  args: string[],
  env: Record<string, string> = {},
): Promise<AgentProcess> {
  const bundle = await agentBundle();
  const child = new Deno.Command("deno", {
    args: ["run", "-A", bundle, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let out = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) out += decoder.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const status = child.status.then(async (s) => {
    await pumps;
    return s.code;
  });
  return {
    output: () => out,
    waitForOutput: (pattern, timeoutMs = 20_000) =>
      waitFor(() => pattern.test(out), { timeoutMs, what: `agent output ${pattern}\n${out}` }),
    kill: (signal) => {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    },
    status,
  };
}

/** Run the bundled agent to completion; returns its exit code and output. */
export async function runAgent(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const p = await startAgent(args, env);
  const code = await p.status;
  return { code, output: p.output() };
}
