/**
 * The one-line installer against a real control plane: exactly the line the Join page shows,
 * `curl -fsSL <server>/install.sh | sh -s -- --token T`, run by `sh` in a fresh home. It installs
 * the agent (the Deno bundle plus a wrapper, as no compiled build exists here), joins an
 * auto-approving pool and starts the agent in the background (no systemd user manager in a
 * container), so the node comes online; a second run changes nothing; a tampered download or a
 * machine without Deno installs nothing. Also the routes: /downloads/…, /install.sh, /install.ps1.
 */
import assert from "node:assert/strict";
import { sha256Hex } from "../lib/agents/downloads.ts";
import { stopBackgroundAgent } from "../agent/reset.ts";
import { type ServerProcess, signUpAdmin, startServer, waitFor } from "./helpers/server.ts";

const SOCK = Deno.env.get("LATTICE_TEST_DOCKER_SOCK") ?? "/var/run/docker.sock";
const DENO_DIR = Deno.execPath().replace(/\/[^/]+$/, "");

interface Ran {
  code: number;
  output: string;
}

/** Run the Join page's one line with `sh` in `home`, as a person with only deno, curl and coreutils. */
async function runOneLine(
  server: string,
  secret: string,
  home: string,
  path = `${DENO_DIR}:/usr/bin:/bin`,
  env: Record<string, string> = {},
): Promise<Ran> {
  const line = `curl -fsSL ${server}/install.sh | sh -s -- --token ${secret}`;
  const out = await new Deno.Command("sh", {
    args: ["-c", line],
    clearEnv: true,
    env: { ...personEnv(home, path), ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

/** The environment of a person with only deno, curl and coreutils, living in `home`. */
function personEnv(home: string, path = `${DENO_DIR}:/usr/bin:/bin`): Record<string, string> {
  return {
    HOME: home,
    PATH: path,
    // The tests run as root, whose default state dir is /var/lib/lattice-agent.
    LATTICE_AGENT_STATE_DIR: `${home}/.lattice-agent`,
    DOCKER_HOST: `unix://${SOCK}`,
    NO_COLOR: "1",
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Whether `pid` is a live process (not gone, not a zombie waiting for its parent). */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function readPid(home: string): Promise<number | null> {
  try {
    return Number((await Deno.readTextFile(`${home}/.lattice-agent/agent.pid`)).trim());
  } catch {
    return null;
  }
}

/** A server in front of `upstream` that points the installer at itself and flips a bundle byte. */
function tamperingProxy(upstream: string) {
  let self = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const res = await fetch(`${upstream}${path}`);
    if (path === "/install.sh") {
      return new Response((await res.text()).replaceAll(upstream, self), { status: res.status });
    }
    if (path === "/downloads/lattice-agent.js") {
      const bytes = await res.bytes();
      bytes[1000] ^= 0x01;
      return new Response(bytes, { status: res.status });
    }
    return new Response(res.body, { status: res.status });
  });
  self = `http://127.0.0.1:${server.addr.port}`;
  return { url: self, close: () => server.shutdown() };
}

Deno.test("the one-line installer installs, joins and starts the agent, and refuses a bad download", async (t) => {
  const server: ServerProcess = await startServer({
    env: { LATTICE_HEARTBEAT_INTERVAL_MS: "1000" },
  });
  const homes: string[] = [];
  const newHome = async () => {
    const home = await Deno.makeTempDir({ prefix: "lattice-install-home-" });
    homes.push(home);
    return home;
  };
  const proxy = tamperingProxy(server.url);
  try {
    const admin = await signUpAdmin(server.url);
    const api = async (path: string, body?: unknown) => {
      const res = await fetch(`${server.url}/api/v1${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = await res.json();
      assert.ok(res.ok, `${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const { pool } = await api("/pools", { name: "volunteers", autoApprove: true });
    const { secret } = await api("/join-tokens", { poolId: pool.id, maxUses: 5 });
    const nodes = async () =>
      (await api("/nodes")).nodes as { id: string; status: string; approval: string }[];

    const sums = await (await fetch(`${server.url}/downloads/SHA256SUMS`)).text();
    const bundleSum = /^([0-9a-f]{64}) {2}lattice-agent\.js$/m.exec(sums)?.[1];

    await t.step("the downloads and the installers are served", async () => {
      assert.ok(bundleSum, `SHA256SUMS lists the bundle:\n${sums}`);
      const bundle = await fetch(`${server.url}/downloads/lattice-agent.js`);
      assert.equal(bundle.status, 200);
      assert.match(bundle.headers.get("content-type") ?? "", /^text\/javascript/);
      assert.equal(bundle.headers.get("cache-control"), "no-cache");
      const bytes = await bundle.bytes();
      assert.equal(Number(bundle.headers.get("content-length")), bytes.byteLength);
      assert.equal(await sha256Hex(bytes), bundleSum, "SHA256SUMS matches the served bytes");
      // No compiled build here: every line of the list names a file that is served as listed.
      for (const [, sum, name] of sums.matchAll(/^([0-9a-f]{64}) {2}(\S+)$/gm)) {
        const res = await fetch(`${server.url}/downloads/${name}`);
        assert.equal(await sha256Hex(await res.bytes()), sum, name);
      }

      for (const name of ["lattice-agent-x86_64-unknown-freebsd", "passwd", "..%2Fdeno.json"]) {
        const res = await fetch(`${server.url}/downloads/${name}`);
        assert.equal(res.status, 404, name);
        assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
        assert.equal((await res.json()).error.code, "not_found");
      }

      const sh = await fetch(`${server.url}/install.sh`);
      assert.match(sh.headers.get("content-type") ?? "", /^text\/x-shellscript/);
      assert.ok((await sh.text()).includes(`SERVER='${server.url}'`), "the public URL is baked in");
      const ps1 = await (await fetch(`${server.url}/install.ps1`)).text();
      assert.ok(ps1.includes(`$Server = '${server.url}'`));
    });

    const home = await newHome();
    let firstPid = 0;
    await t.step("the one line installs the agent, joins and the node comes online", async () => {
      const started = performance.now();
      const ran = await runOneLine(server.url, secret, home);
      assert.equal(ran.code, 0, ran.output);
      assert.ok(ran.output.includes(`Checksum verified (SHA-256 ${bundleSum})`), ran.output);

      const wrapper = `${home}/.local/bin/lattice-agent`;
      const info = await Deno.stat(wrapper);
      assert.ok(info.mode !== null && (info.mode & 0o111) === 0o111, "the wrapper is executable");
      const text = await Deno.readTextFile(wrapper);
      assert.match(text, /run --no-config --allow-net --allow-read --allow-write --allow-env/);
      assert.ok(text.includes(`'${home}/.local/share/lattice/lattice-agent.js'`), text);
      assert.equal(
        await sha256Hex(await Deno.readFile(`${home}/.local/share/lattice/lattice-agent.js`)),
        bundleSum,
      );
      assert.match(ran.output, /\.local\/bin is not on your PATH/, "it says how to add it");
      assert.match(ran.output, /the agent now runs in the background \(pid \d+/);

      firstPid = (await readPid(home))!;
      assert.ok(firstPid && await alive(firstPid), "the background agent runs");
      await waitFor(async () => {
        const list = await nodes();
        return list.length === 1 && list[0].status === "online" && list[0].approval === "approved";
      }, { timeoutMs: 60_000, what: "the node to be online and approved" });
      console.log(`one line → online: ${Math.round(performance.now() - started)} ms`);

      // The installed command works as a person would use it.
      const version = await new Deno.Command(wrapper, { args: ["version"] }).output();
      assert.equal(version.code, 0);
      assert.match(new TextDecoder().decode(version.stdout), /^lattice-agent \d+\.\d+\.\d+/);
    });

    await t.step("running the line again keeps the node and the running agent", async () => {
      const ran = await runOneLine(server.url, secret, home);
      assert.equal(ran.code, 0, ran.output);
      assert.match(ran.output, /already joined/);
      assert.match(ran.output, new RegExp(`already running in the background \\(pid ${firstPid}`));
      assert.equal(await readPid(home), firstPid);
      assert.ok(await alive(firstPid));
      const list = await nodes();
      assert.equal(list.length, 1, "no second node");
      assert.equal(list[0].status, "online");
    });

    await t.step(
      "without a working Docker the node joins and the script says how to fix it",
      async () => {
        const other = await newHome();
        const ran = await runOneLine(server.url, secret, other, undefined, {
          DOCKER_HOST: `unix://${other}/no-docker.sock`,
        });
        assert.equal(ran.code, 0, ran.output);
        assert.match(ran.output, /Docker is not ready on this machine/);
        assert.match(ran.output, /FAIL {2}Docker socket: /);
        assert.match(ran.output, /fix: start Docker/);
        assert.match(ran.output, /run: lattice-agent onboard/);
        assert.doesNotMatch(ran.output, /Done: this machine is a Lattice node/);
        await waitFor(async () => (await nodes()).length === 2, { what: "the second node" });
      },
    );

    await t.step("--onboard installs the agent and opens the guided setup page", async () => {
      const other = await newHome();
      const child = new Deno.Command("sh", {
        args: ["-c", `curl -fsSL ${server.url}/install.sh | sh -s -- --onboard --no-open`],
        clearEnv: true,
        env: personEnv(other),
        stdin: "null",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      let output = "";
      try {
        const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
        let url: string | undefined;
        const deadline = Date.now() + 60_000;
        while (!url && Date.now() < deadline) {
          const { value, done } = await reader.read();
          if (done) break;
          output += value;
          url = /http:\/\/127\.0\.0\.1:\d+\/\?t=[A-Za-z0-9_-]+/.exec(output)?.[0];
        }
        assert.ok(url, `the page's address is printed:\n${output}`);
        assert.match(output, /Checksum verified/);
        assert.match(output, /Opening the guided setup/);
        const page = await fetch(url, { redirect: "manual" });
        assert.equal(page.status, 302);
        assert.match(page.headers.get("set-cookie") ?? "", /HttpOnly/i);
        await page.body?.cancel();
        reader.releaseLock();
      } finally {
        // The page runs in the piped `sh`, which `exec`ed the agent: not a child of this `sh`.
        await new Deno.Command("pkill", {
          args: ["-TERM", "-f", `${other}/.local/share/lattice/lattice-agent.js onboard`],
        }).output();
        child.kill("SIGTERM");
        await child.status;
        await child.stdout.cancel().catch(() => {});
      }
      assert.equal(await exists(`${other}/.lattice-agent/state.json`), false, "not joined yet");
    });

    await t.step("a tampered download fails the checksum and installs nothing", async () => {
      const other = await newHome();
      const ran = await runOneLine(proxy.url, secret, other);
      assert.notEqual(ran.code, 0, ran.output);
      assert.match(ran.output, /checksum mismatch for lattice-agent\.js: expected [0-9a-f]{64}/);
      assert.match(ran.output, /nothing was installed/);
      assert.equal(await exists(`${other}/.local`), false, "no bin or share dir");
      assert.equal(await exists(`${other}/.lattice-agent`), false, "no state");
      assert.equal((await nodes()).length, 2, "no node joined");
    });

    await t.step("without Deno (and no build for this machine) it says how to get it", async () => {
      const other = await newHome();
      // Every command of /usr/bin but deno.
      const bin = `${other}/bin`;
      await Deno.mkdir(bin);
      for await (const entry of Deno.readDir("/usr/bin")) {
        if (entry.name !== "deno") {
          await Deno.symlink(`/usr/bin/${entry.name}`, `${bin}/${entry.name}`);
        }
      }
      const ran = await runOneLine(server.url, secret, other, bin);
      assert.notEqual(ran.code, 0, ran.output);
      assert.match(ran.output, /`npm install -g deno` \(or see https:\/\/deno\.com\)/);
      assert.equal(await exists(`${other}/.local`), false, "nothing installed");
      assert.equal((await nodes()).length, 2);
    });
  } finally {
    for (const home of homes) await stopBackgroundAgent(`${home}/.lattice-agent`);
    await proxy.close();
    await server.stop();
    for (const home of homes) await Deno.remove(home, { recursive: true }).catch(() => {});
  }
});
