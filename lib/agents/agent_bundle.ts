/**
 * The agent as one JavaScript file that `deno run` can start from a URL: dist/lattice-agent.js
 * when a release build put it there (`deno task bundle:agent`), else bundled from agent/main.ts
 * on first request and kept in memory. The join page's one-line command fetches it.
 */
const ROOT = new URL("../../", import.meta.url).pathname;

/** Where the join command downloads the agent from, relative to the server's public URL. */
export const AGENT_BUNDLE_PATH = "/agent/lattice-agent.js";

let bundle: Promise<Uint8Array> | null = null;

async function build(): Promise<Uint8Array> {
  try {
    return await Deno.readFile(`${ROOT}dist/lattice-agent.js`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const result = await Deno.bundle({
    entrypoints: [`${ROOT}agent/main.ts`],
    platform: "deno",
    format: "esm",
    minify: true,
    write: false,
  });
  const file = result.outputFiles?.find((f) => f.contents);
  if (!result.success || !file?.contents) {
    throw new Error(`Bundling the agent failed: ${result.errors.map((e) => e.text).join("; ")}`);
  }
  return file.contents;
}

/** The agent bundle (built once per process; a failed build is retried on the next call). */
export function agentBundle(): Promise<Uint8Array> {
  bundle ??= build().catch((err) => {
    bundle = null;
    throw err;
  });
  return bundle;
}

/**
 * The commands that join a machine and start its agent straight from the bundle with Deno (the
 * join page's "with Deno" alternative; nothing is installed).
 */
export function joinCommand(serverUrl: string, secret: string): string {
  const agent = `deno run -A ${serverUrl}${AGENT_BUNDLE_PATH}`;
  return `${agent} join --server ${serverUrl} --token ${secret} && ${agent} run`;
}

/** The ways the join page offers to join a machine with a token. */
export interface JoinCommands {
  /** The one line for Linux and macOS: the installer (/install.sh) joins and starts the agent. */
  sh: string;
  /** The same for Windows PowerShell (/install.ps1). */
  ps1: string;
  /** `deno run` of the bundle, without installing anything (joinCommand). */
  deno: string;
}

/** Every join command for a token, the one-line installer first. */
export function joinCommands(serverUrl: string, secret: string): JoinCommands {
  return {
    sh: `curl -fsSL ${serverUrl}/install.sh | sh -s -- --token ${secret}`,
    ps1: `& ([scriptblock]::Create((irm ${serverUrl}/install.ps1))) -Token ${secret}`,
    deno: joinCommand(serverUrl, secret),
  };
}
