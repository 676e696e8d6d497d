// The control plane as a real process (`deno run main.ts`), as a user starts it.
const ROOT = new URL("../../", import.meta.url).pathname;

/** A control plane process listening on a free port. */
export interface ServerProcess {
  url: string;
  dataDir: string;
  /** Everything the process printed so far. */
  output(): string;
  /** Stop with SIGTERM and wait; returns the exit code. */
  stop(): Promise<number>;
}

/** A TCP port nobody is listening on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Poll `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
  throw new Error(
    `Timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${options.what ?? "condition"}`,
  );
}

/** Start `deno task start` on a fresh (or given) data dir and wait until /readyz answers 200. */
export async function startServer(
  options: { env?: Record<string, string>; dataDir?: string; timeoutMs?: number; port?: number } =
    {},
): Promise<ServerProcess> {
  const port = options.port ?? freePort();
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "lattice-server-" });
  const child = new Deno.Command("deno", {
    args: ["task", "start"],
    cwd: ROOT,
    env: {
      LATTICE_PORT: String(port),
      LATTICE_HOSTNAME: "127.0.0.1",
      LATTICE_DATA_DIR: dataDir,
      LATTICE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      NO_COLOR: "1",
      ...options.env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) out += decoder.decode(chunk);
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  try {
    await waitFor(async () => {
      if (exited) throw new Error(`Server exited during start-up:\n${out}`);
      try {
        const res = await fetch(`${url}/readyz`);
        await res.body?.cancel();
        return res.status === 200;
      } catch {
        return false;
      }
    }, { timeoutMs: options.timeoutMs ?? 60_000, what: "/readyz" });
  } catch (err) {
    if (!exited) child.kill("SIGKILL");
    await status;
    await pumps;
    throw err;
  }
  return {
    url,
    dataDir,
    output: () => out,
    async stop() {
      if (!exited) child.kill("SIGTERM");
      const s = await status;
      await pumps;
      return s.code;
    },
  };
}

/** Register the first account (the admin) on a server process and sign in; returns its token. */
export async function signUpAdmin(
  baseUrl: string,
  who = { email: "admin@example.com", password: "admin password 123" },
): Promise<string> {
  const post = (path: string) =>
    fetch(`${baseUrl}/api/v1/auth/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(who),
    });
  const reg = await post("register");
  if (reg.status !== 201) throw new Error(`register answered ${reg.status}: ${await reg.text()}`);
  await reg.body?.cancel();
  const login = await post("login");
  const token = (await login.json()).token;
  if (typeof token !== "string") throw new Error(`login answered ${login.status} without a token`);
  return token;
}
