// The locally built postgres:16 and redis:7 images keep the official images' contracts when run
// the way the agent runs them: the create body comes from the real template expansion and
// buildCreateBody (limits, no-new-privileges, a named data volume, a port on 127.0.0.1).
import assert from "node:assert/strict";
import postgres from "postgres";
import { buildCreateBody } from "../agent/container_body.ts";
import { type ContainerCreateBody, DockerClient } from "../agent/docker/mod.ts";
import { toContainerSpec } from "../lib/workloads/container_spec.ts";
import { WorkloadSpec, type WorkloadSpecInput } from "../lib/workloads/spec.ts";
import { type Credentials, expandTemplate } from "../lib/workloads/templates.ts";
import { ensureServiceImage } from "./helpers/service_images.ts";
import { waitFor } from "./helpers/server.ts";

const SOCK = Deno.env.get("LATTICE_TEST_DOCKER_SOCK") ?? "/var/run/docker.sock";
/** Our label instead of Lattice's, so no agent under test mistakes these for its own. */
const TEST_LABELS = { "lattice.test": "service_images_test" };
/** A first start initialises the cluster; under a busy CI box that has taken up to ~5 s. */
const READY_TIMEOUT_MS = 60_000;

/** Containers and volumes of one test, removed at the end whatever happened. */
class Deployment {
  readonly containers: string[] = [];
  readonly volumes = new Set<string>();

  constructor(readonly docker: DockerClient, readonly workloadId = crypto.randomUUID()) {}

  /** Create and start one allocation of `input` as the agent would; returns its host port. */
  async start(
    input: WorkloadSpecInput,
    credentials: Credentials | null = null,
  ): Promise<{ id: string; image: string; port: number; credentials: Credentials }> {
    const spec = WorkloadSpec.parse(input);
    const expanded = expandTemplate(spec, { workloadId: this.workloadId, credentials });
    const allocationId = crypto.randomUUID();
    const container = toContainerSpec(expanded, spec, {
      workloadId: this.workloadId,
      allocationId,
    });
    // Host port 0: Docker picks a free one, so parallel test files never collide.
    const { name, body, volumes } = buildCreateBody(container, {
      nodeId: "service-images-test",
      allocationId,
      workloadId: this.workloadId,
      hostPorts: container.ports.map(() => 0),
    });
    for (const volume of volumes) {
      await this.docker.volumeCreate({ ...volume, Labels: TEST_LABELS });
      this.volumes.add(volume.Name);
    }
    // The same cast as agent/commands.ts: the body's NetworkingConfig is typed more loosely.
    const { id } = await this.docker.containerCreate(name, {
      ...body,
      Labels: TEST_LABELS,
    } as ContainerCreateBody);
    this.containers.push(id);
    await this.docker.containerStart(id);
    const info = await this.docker.containerInspect(id);
    const key = `${container.ports[0].container}/tcp`;
    const hostPort = Number(info?.NetworkSettings.Ports?.[key]?.[0]?.HostPort);
    assert.ok(hostPort > 0, `Docker published no host port for ${key}`);
    return { id, image: container.image, port: hostPort, credentials: expanded.credentials! };
  }

  /** Stop (SIGTERM, as the agent does) and remove a container, keeping its volumes. */
  async stop(id: string): Promise<void> {
    await this.docker.containerStop(id, { timeoutSeconds: 10 });
    const info = await this.docker.containerInspect(id);
    // A clean shutdown on SIGTERM exits 0; 137 would mean Docker had to SIGKILL it.
    assert.equal(info?.State.ExitCode, 0, `exit code after stop:\n${await output(this, id)}`);
    await this.docker.containerRemove(id, { force: true });
    this.containers.splice(this.containers.indexOf(id), 1);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const errors: unknown[] = [];
    for (const id of this.containers) {
      await this.docker.containerRemove(id, { force: true }).catch((err) => errors.push(err));
    }
    for (const name of this.volumes) {
      await this.docker.volumeRemove(name, { force: true }).catch((err) => errors.push(err));
    }
    if (errors.length > 0) throw new AggregateError(errors, "Cannot clean up the test containers");
  }
}

async function output(deployment: Deployment, id: string): Promise<string> {
  const lines: string[] = [];
  try {
    for await (const line of deployment.docker.containerLogs(id, { tail: 50 })) {
      lines.push(line.text);
    }
  } catch (err) {
    lines.push(`(no logs: ${(err as Error).message})`);
  }
  return lines.join("\n");
}

/** Poll `attempt` until it resolves; on timeout fail with its last error and the container's logs. */
async function untilReady<T>(
  deployment: Deployment,
  id: string,
  attempt: () => Promise<T>,
): Promise<T> {
  let result: { value: T } | null = null;
  let last: unknown = null;
  try {
    await waitFor(async () => {
      try {
        result = { value: await attempt() };
        return true;
      } catch (err) {
        last = err;
        const state = (await deployment.docker.containerInspect(id))?.State;
        if (state && !state.Running) throw new Error(`Container exited with ${state.ExitCode}`);
        return false;
      }
    }, { timeoutMs: READY_TIMEOUT_MS, intervalMs: 250, what: "the service to answer" });
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; last attempt: ${(last as Error | null)?.message}\n` +
        `container output:\n${await output(deployment, id)}`,
    );
  }
  return result!.value;
}

async function connectDocker(): Promise<DockerClient> {
  // Fail, never skip: these images are what the agent's postgres and redis tests run.
  const version = await new Deno.Command("debootstrap", { args: ["--version"], stdout: "null" })
    .output().catch((err) => {
      throw new Error(
        `debootstrap is needed to build the service images (${err.message}); ` +
          "run `bash scripts/provision.sh`",
      );
    });
  assert.ok(version.success, "`debootstrap --version` failed");
  return await DockerClient.connect({ socketPath: SOCK });
}

async function queryPostgres<T>(
  port: number,
  credentials: Credentials,
  run: (sql: postgres.Sql) => Promise<T>,
): Promise<T> {
  const sql = postgres({
    host: "127.0.0.1",
    port,
    user: credentials.user!,
    pass: credentials.password,
    database: credentials.database!,
    max: 1,
    connect_timeout: 5,
    onnotice: () => {},
  });
  try {
    return await run(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

Deno.test("postgres:16 initialises user, database and password once and keeps data on its volume", async () => {
  using docker = await connectDocker();
  const image = await ensureServiceImage(docker, "postgres:16");
  await using deployment = new Deployment(docker);
  // The template's own image, user "lattice" (not "postgres") and database "shop_db".
  const input: WorkloadSpecInput = { name: "shop-db", template: "postgres" };

  const first = await deployment.start(input);
  assert.equal(first.image, image);
  assert.equal(first.credentials.user, "lattice");
  const who = await untilReady(
    deployment,
    first.id,
    () =>
      queryPostgres(
        first.port,
        first.credentials,
        (sql) => sql`SELECT current_user AS "user", current_database() AS db`,
      ),
  );
  assert.deepEqual([...who], [{ user: "lattice", db: "shop_db" }]);
  await queryPostgres(first.port, first.credentials, async (sql) => {
    await sql`CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL)`;
    await sql`INSERT INTO orders VALUES (1, 'tea')`;
  });
  await assert.rejects(
    queryPostgres(first.port, { ...first.credentials, password: "wrong" }, (sql) => sql`SELECT 1`),
    /password authentication failed/,
  );
  await deployment.stop(first.id);

  // No credentials passed back: a new password in the environment. The volume is initialised
  // already, so it is ignored and the first password still holds, as with the official image.
  const second = await deployment.start(input);
  assert.notEqual(second.credentials.password, first.credentials.password);
  const rows = await untilReady(
    deployment,
    second.id,
    () => queryPostgres(second.port, first.credentials, (sql) => sql`SELECT id, item FROM orders`),
  );
  assert.deepEqual([...rows], [{ id: 1, item: "tea" }]);
  await deployment.stop(second.id);
});

Deno.test("postgres:16 refuses to initialise without POSTGRES_PASSWORD", async () => {
  using docker = await connectDocker();
  const image = await ensureServiceImage(docker, "postgres:16");
  const { id } = await docker.containerCreate(undefined, {
    Image: image,
    Labels: TEST_LABELS,
  });
  try {
    await docker.containerStart(id);
    await waitFor(async () => !(await docker.containerInspect(id))?.State.Running, {
      timeoutMs: 30_000,
      what: "the container to exit",
    });
    assert.equal((await docker.containerInspect(id))?.State.ExitCode, 1);
  } finally {
    await docker.containerRemove(id, { force: true, volumes: true });
  }
});

/** Send RESP commands on one connection and read as many replies. */
async function redis(port: number, ...commands: string[][]): Promise<string[]> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const wire = commands.map((args) =>
    `*${args.length}\r\n` + args.map((a) => `$${new TextEncoder().encode(a).length}\r\n${a}\r\n`)
      .join("")
  ).join("");
  await conn.write(new TextEncoder().encode(wire));
  const replies: string[] = [];
  let buffer = "";
  const decoder = new TextDecoder();
  const chunk = new Uint8Array(4096);
  const deadline = AbortSignal.timeout(5_000);
  while (replies.length < commands.length) {
    const parsed = parseReply(buffer);
    if (parsed) {
      replies.push(parsed.reply);
      buffer = buffer.slice(parsed.length);
      continue;
    }
    if (deadline.aborted) {
      throw new Error(`No complete reply from redis; got ${JSON.stringify(buffer)}`);
    }
    const n = await conn.read(chunk);
    if (n === null) throw new Error(`Redis closed the connection; got ${JSON.stringify(buffer)}`);
    buffer += decoder.decode(chunk.subarray(0, n), { stream: true });
  }
  return replies;
}

/** One simple (+OK, -ERR, :1) or bulk ($3 abc → "abc", $-1 → "(nil)") reply. */
function parseReply(buffer: string): { reply: string; length: number } | null {
  const end = buffer.indexOf("\r\n");
  if (end < 0) return null;
  const line = buffer.slice(0, end);
  if (!line.startsWith("$")) return { reply: line, length: end + 2 };
  const size = Number(line.slice(1));
  if (size < 0) return { reply: "(nil)", length: end + 2 };
  if (buffer.length < end + 2 + size + 2) return null;
  return { reply: buffer.slice(end + 2, end + 2 + size), length: end + 2 + size + 2 };
}

Deno.test("redis:7 runs the template's command: password required, data kept on its volume", async () => {
  using docker = await connectDocker();
  const image = await ensureServiceImage(docker, "redis:7");
  await using deployment = new Deployment(docker);
  const input: WorkloadSpecInput = { name: "cache", template: "redis" };

  const first = await deployment.start(input);
  assert.equal(first.image, image);
  const password = first.credentials.password;
  const pong = await untilReady(deployment, first.id, async () => {
    const replies = await redis(first.port, ["AUTH", password], ["PING"]);
    // Redis answers -LOADING while it replays its append-only file.
    if (replies[1] !== "+PONG") throw new Error(`PING answered ${replies[1]}`);
    return replies;
  });
  assert.deepEqual(pong, ["+OK", "+PONG"]);
  assert.match((await redis(first.port, ["PING"]))[0], /^-NOAUTH/);
  assert.match((await redis(first.port, ["AUTH", "wrong"]))[0], /^-(WRONGPASS|ERR)/);
  assert.deepEqual(await redis(first.port, ["AUTH", password], ["SET", "greeting", "hello"]), [
    "+OK",
    "+OK",
  ]);
  await deployment.stop(first.id);

  // The redeploy path: the stored credentials go back in, the append-only file comes back.
  const second = await deployment.start(input, first.credentials);
  const value = await untilReady(deployment, second.id, async () => {
    const replies = await redis(second.port, ["AUTH", password], ["GET", "greeting"]);
    if (replies[0] !== "+OK" || replies[1].startsWith("-")) throw new Error(replies.join(" "));
    return replies[1];
  });
  assert.equal(value, "hello");
  await deployment.stop(second.id);
});
