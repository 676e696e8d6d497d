// What the benchmarks that run a real Lattice server share: starting `main.ts` with the start
// task's permissions on a free port, a scratch PostgreSQL database, the JSON API, and bounded
// parallelism for setup calls.
import postgres from "postgres";
import { freePort, type Spawned, spawnToFile, startTaskFlags } from "./lib.ts";

/** Start the control plane (`entry`, default main.ts) on a free port, logging to `logFile`. */
export function startLattice(options: {
  dataDir: string;
  logFile: string;
  databaseUrl?: string;
  /** More environment (LATTICE_* settings of the run). */
  env?: Record<string, string>;
  /** deno flags before the permissions (e.g. --inspect). */
  denoFlags?: string[];
  entry?: string;
}): Spawned {
  const port = freePort();
  return spawnToFile(
    ["deno", "run", ...(options.denoFlags ?? []), ...startTaskFlags(), options.entry ?? "main.ts"],
    {
      port,
      logFile: options.logFile,
      env: {
        LATTICE_PORT: String(port),
        LATTICE_HOSTNAME: "127.0.0.1",
        LATTICE_DATA_DIR: options.dataDir,
        LATTICE_PUBLIC_URL: `http://127.0.0.1:${port}`,
        // Joins are limited per client address; each simulated agent sends its own.
        LATTICE_TRUST_PROXY: "true",
        ...options.env,
        ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
      },
    },
  );
}

/** Call the JSON API with a bearer token; the body parsed (empty object for no body). */
export async function api(
  base: string,
  token: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/api/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

/** Run `fn` over `items` with at most `concurrency` at a time. */
export async function parallel<T>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** The PostgreSQL postmaster's pid (Debian's cluster layout), or null when it cannot be found. */
export function postmasterPid(): number | null {
  try {
    for (const entry of Deno.readDirSync("/var/run/postgresql")) {
      if (entry.name.endsWith(".pid")) {
        return Number(Deno.readTextFileSync(`/var/run/postgresql/${entry.name}`).split("\n")[0]);
      }
    }
  } catch {
    // Not Debian's layout, or not readable.
  }
  return null;
}

/** A fresh database on the test PostgreSQL server (LATTICE_TEST_DATABASE_URL), and its drop. */
export async function createBenchDatabase(
  prefix: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = Deno.env.get("LATTICE_TEST_DATABASE_URL");
  if (!admin) {
    throw new Error(
      'PostgreSQL runs need LATTICE_TEST_DATABASE_URL: eval "$(bash scripts/provision.sh 2>/dev/null)"',
    );
  }
  const name = `${prefix}_${Date.now()}`;
  const sql = postgres(admin, { max: 1, onnotice: () => {} });
  await sql.unsafe(`CREATE DATABASE ${name}`);
  await sql.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    drop: async () => {
      const s = postgres(admin, { max: 1, onnotice: () => {} });
      await s.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await s.end();
    },
  };
}
