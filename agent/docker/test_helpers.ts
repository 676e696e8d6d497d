// Shared fixtures of the integration tests against the real Docker Engine: one client per
// test, the busybox image, labelled containers removed afterwards, and polling with a deadline.

import { ensureBusyboxImage } from "../../tests/helpers/images.ts";
import { DockerClient } from "./client.ts";
import { isDockerError } from "./errors.ts";
import type { LogLine } from "./streams.ts";
import type { ContainerCreateBody } from "./types.ts";

/** The socket under test (scripts/provision.sh sets LATTICE_TEST_DOCKER_SOCK). */
export const SOCKET = Deno.env.get("LATTICE_TEST_DOCKER_SOCK") ?? "/var/run/docker.sock";
/** A random id of this test run, used in names and the dev.lattice.test label. */
export const RUN = crypto.randomUUID().slice(0, 8);
/** The labels every container and volume made by these tests carries. */
export const MANAGED = { "dev.lattice.managed": "true", "dev.lattice.test": RUN };
/** Bytes in a mebibyte. */
export const MiB = 1024 * 1024;
/** Docker's RFC3339Nano log timestamps. */
export const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z$/;

/** A container/volume name unique to this run. */
export function uniqueName(what: string): string {
  return `lattice-test-${what}-${RUN}-${crypto.randomUUID().slice(0, 6)}`;
}

/** Connect, make sure the busybox image exists, run `fn`, then remove what it registered and close. */
export async function withDocker(
  fn: (docker: DockerClient, image: string, cleanup: string[]) => Promise<void>,
): Promise<void> {
  const docker = await DockerClient.connect({ socketPath: SOCKET });
  const cleanup: string[] = [];
  try {
    const image = await ensureBusyboxImage(docker);
    await fn(docker, image, cleanup);
  } finally {
    for (const id of cleanup) {
      await docker.containerRemove(id, { force: true }).catch((err) => {
        if (!isDockerError(err, "no_such_container")) throw err;
      });
    }
    docker.close();
  }
}

/** Create a labelled container (removed by withDocker) and return its id. */
export async function create(
  docker: DockerClient,
  cleanup: string[],
  body: ContainerCreateBody,
  name = uniqueName("c"),
): Promise<string> {
  const { id } = await docker.containerCreate(name, { Labels: MANAGED, ...body });
  cleanup.push(id);
  return id;
}

/** Poll `probe` until it returns something other than undefined, or fail after `ms`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  for (let wait = 20; Date.now() < deadline; wait = Math.min(wait * 2, 250)) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, wait));
  }
  throw new Error(`Timed out after ${ms} ms waiting for ${what}`, { cause: lastError });
}

/** Wait for a container to exit and return its exit code. */
export function exited(docker: DockerClient, id: string): Promise<number> {
  return eventually(`container ${id} to exit`, async () => {
    const info = await docker.containerInspect(id);
    return info && !info.State.Running ? info.State.ExitCode : undefined;
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Read a finite log stream to its end. */
export async function collect(lines: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

/** The texts of the lines of one stream. */
export const texts = (lines: LogLine[], stream: "stdout" | "stderr") =>
  lines.filter((l) => l.stream === stream).map((l) => l.text);
