// Stop and start the real Docker daemon (dockerd from Debian's docker.io), for the tests of how
// the agent lives through Docker going away. Only for test machines: it stops every container.
import { waitFor } from "./server.ts";

const SOCK = Deno.env.get("LATTICE_TEST_DOCKER_SOCK") ?? "/var/run/docker.sock";

async function ping(): Promise<boolean> {
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path: SOCK } });
  try {
    const res = await fetch(
      "http://docker/_ping",
      { client, signal: AbortSignal.timeout(1000) } as RequestInit,
    );
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** Stop dockerd with SIGTERM and wait until its socket no longer answers. */
export async function stopDockerd(): Promise<void> {
  const res = await new Deno.Command("pkill", { args: ["-TERM", "-x", "dockerd"] }).output();
  if (!res.success) throw new Error("pkill dockerd failed: is dockerd running?");
  await waitFor(async () => !(await ping()), { timeoutMs: 30_000, what: "dockerd to stop" });
  // dockerd removes its pid file last; starting again before that fails.
  await waitFor(async () => {
    try {
      await Deno.stat("/var/run/docker.pid");
      return false;
    } catch {
      return true;
    }
  }, { timeoutMs: 30_000, what: "dockerd pid file to go" });
}

/** Start dockerd the way scripts/provision.sh does and wait until it answers. */
export async function startDockerd(): Promise<void> {
  await new Deno.Command("bash", {
    args: [
      "-c",
      `setsid nohup dockerd --host unix://${SOCK} >>/var/log/dockerd.log 2>&1 < /dev/null &`,
    ],
    stdout: "null",
    stderr: "null",
  }).output();
  await waitFor(ping, { timeoutMs: 60_000, what: "dockerd to start" });
}
