// The control plane in process, on a test database, answering Requests through app.fetch —
// the same code path Deno.serve uses, without a socket.
import { loadConfig } from "../../lib/config.ts";
import { createLogger, createMemorySink } from "../../lib/log.ts";
import { APP_DIRS, buildControlPlane, type ControlPlane } from "../../lib/server.ts";
import { type Assets, buildAssets } from "../../lib/web/assets.ts";
import { deriveKeys } from "../../lib/secret_key.ts";
import { signAccessToken } from "../../lib/auth/jwt.ts";
import { type DbKind, openTestDb, type TestDb } from "./databases.ts";

let assets: Promise<Assets> | null = null;

/** The secret test apps use, so tests can forge and verify tokens with the real keys. */
export const TEST_SECRET = "test-secret-0123456789abcdef0123456789abcdef";
export const TEST_KEYS = deriveKeys(TEST_SECRET);

/** A running in-process control plane. */
export interface TestApp {
  plane: ControlPlane;
  db: TestDb;
  logs: string[];
  /** Send a request as if from `ip` (default 127.0.0.1). */
  request(path: string, init?: RequestInit & { ip?: string }): Promise<Response>;
  /** Serve the app on a real loopback port (for WebSockets and real agents); returns its URL. */
  listen(): string;
  close(): Promise<void>;
}

/** Start a control plane on a fresh database of `kind`. */
export async function startTestApp(
  kind: DbKind,
  options: {
    env?: Record<string, string>;
    loginLimits?: Parameters<typeof buildControlPlane>[1]["loginLimits"];
    rotationGraceMs?: number;
    hub?: Parameters<typeof buildControlPlane>[1]["hub"];
    scheduler?: Parameters<typeof buildControlPlane>[1]["scheduler"];
    /** Rank job timings; by default it never runs on its own (call `plane.ranks.runOnce()`). */
    rank?: Parameters<typeof buildControlPlane>[1]["rank"];
  } = {},
): Promise<TestApp> {
  const dataDir = await Deno.makeTempDir({ prefix: "lattice-test-" });
  const config = loadConfig({
    LATTICE_DATA_DIR: dataDir,
    LATTICE_KV_PATH: ":memory:",
    LATTICE_SECRET_KEY: TEST_SECRET,
    LATTICE_LOG_LEVEL: "debug",
    ...options.env,
  });
  const db = await openTestDb(kind);
  const sink = createMemorySink();
  assets ??= buildAssets(APP_DIRS);
  const plane = await buildControlPlane(config, {
    log: createLogger({ level: config.logLevel, sink }),
    db,
    assets: await assets,
    loginLimits: options.loginLimits,
    rotationGraceMs: options.rotationGraceMs,
    hub: options.hub,
    scheduler: options.scheduler,
    // Postponed past any test, so rank updates never interleave with other tests' events.
    rank: options.rank ?? { firstRunAfterMs: 3_600_000 },
  });
  let server: Deno.HttpServer | null = null;
  return {
    plane,
    db,
    logs: sink.lines,
    listen() {
      server ??= Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen: () => {} },
        plane.fetch,
      );
      return `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
    },
    request(path, init = {}) {
      const { ip = "127.0.0.1", ...rest } = init;
      const info = {
        remoteAddr: { hostname: ip, port: 40000, transport: "tcp" as const },
        completed: Promise.resolve(),
      };
      return Promise.resolve(plane.fetch(new Request(`http://localhost${path}`, rest), info));
    },
    async close() {
      plane.endStreams();
      await plane.close();
      await server?.shutdown();
      await db.drop();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** A cookie jar for one browser-like client of a TestApp. */
export class CookieJar {
  cookies = new Map<string, string>();

  /** Remember cookies set (and forget cookies cleared) by `res`. */
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0/i.test(a)) ||
        attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** A copy holding the same cookies, to replay later. */
  clone(): CookieJar {
    const copy = new CookieJar();
    copy.cookies = new Map(this.cookies);
    return copy;
  }

  /** The Cookie header to send. */
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/** JSON request init with a body. */
export function json(body: unknown, init: RequestInit & { ip?: string } = {}) {
  return {
    method: "POST",
    ...init,
    headers: { "content-type": "application/json", ...(init.headers ?? {}) },
    body: JSON.stringify(body),
  };
}

/** Register `fn` as one test per database kind, each with a fresh in-process app. */
export function appTest(
  name: string,
  fn: (app: TestApp) => Promise<void>,
  options: Parameters<typeof startTestApp>[1] = {},
): void {
  for (const kind of ["pglite", "postgres"] as const) {
    Deno.test(`${name} [${kind}]`, async () => {
      const app = await startTestApp(kind, options);
      try {
        await fn(app);
      } finally {
        await app.close();
      }
    });
  }
}

/** The admin credentials tests sign up with. */
export const ADMIN = { email: "admin@example.com", password: "admin password 123" };
export const USER = { email: "user@example.com", password: "user password 1234" };

/** Register `who` and sign in; returns the bearer access token and the cookie jar. */
export async function signUp(
  app: TestApp,
  who: { email: string; password: string } = ADMIN,
): Promise<{ token: string; csrfToken: string; jar: CookieJar; userId: string }> {
  const reg = await app.request("/api/v1/auth/register", json(who));
  if (reg.status !== 201) throw new Error(`register ${reg.status}: ${await reg.text()}`);
  return await signIn(app, who);
}

/** Sign in `who`; returns the bearer access token and the cookie jar. */
export async function signIn(
  app: TestApp,
  who: { email: string; password: string },
): Promise<{ token: string; csrfToken: string; jar: CookieJar; userId: string }> {
  const res = await app.request("/api/v1/auth/login", json(who));
  if (res.status !== 200) throw new Error(`login ${res.status}: ${await res.text()}`);
  const jar = new CookieJar();
  jar.take(res);
  const body = await res.json();
  return { token: body.token, csrfToken: body.csrfToken, jar, userId: body.user.id };
}

/** Read a JSON error body and check its shape. */
export async function errorOf(
  res: Response,
): Promise<{ code: string; message: string; details: unknown }> {
  const body = await res.json();
  if (
    !body?.error || typeof body.error.code !== "string" || typeof body.error.message !== "string"
  ) {
    throw new Error(`Not an error body: ${JSON.stringify(body)}`);
  }
  if (!("details" in body.error)) throw new Error("error.details missing");
  return body.error;
}

/** The test app's only sign-in, and an access token for it that expired an hour ago. */
export async function expiredAccessToken(app: TestApp, userId: string) {
  const [{ family_id: sessionId }] = await app.db.query<{ family_id: string }>(
    "SELECT family_id FROM refresh_sessions LIMIT 1",
  );
  const { token } = await signAccessToken(
    TEST_KEYS.jwt,
    { userId, sessionId },
    new Date(Date.now() - 3600_000),
  );
  return { sessionId, token };
}
