/**
 * The whole journey in Debian's Chromium, with real parts: a control-plane process, the agent
 * it serves (run with the exact command the Join page shows) on the real Docker Engine, and a
 * Postgres image built locally and tagged `postgres:16`. First-run admin → join token → agent
 * joins → approved on Approvals → Postgres deployed from its template card → running → the
 * copied connection string answers a query → logs live → a second, non-admin user can reach
 * neither admin pages nor the workload → stop → delete. Screenshots of each page go to
 * test-output/screenshots/journey-*.png.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import type { Browser, Page } from "playwright-core";
import { DockerClient } from "../agent/docker/mod.ts";
import { LABELS } from "../lib/protocol.ts";
import { ensureServiceImage } from "./helpers/service_images.ts";
import {
  describeProblems,
  launchChromium,
  type PageProblem,
  watchProblems,
} from "./helpers/browser.ts";
import { type ServerProcess, startServer, waitFor } from "./helpers/server.ts";

const SOCK = Deno.env.get("LATTICE_TEST_DOCKER_SOCK") ?? "/var/run/docker.sock";
const SHOTS = new URL("../test-output/screenshots/", import.meta.url).pathname;
const ADMIN = { email: "owner@example.com", password: "a long passphrase 123" };
const USER = { email: "guest@example.com", password: "another passphrase 456" };

/** A long-running process started from a command line the page showed. */
function spawn(args: string[], env: Record<string, string>) {
  const child = new Deno.Command(args[0], {
    args: args.slice(1),
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let out = "";
  const decoder = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) out += decoder.decode(chunk, { stream: true });
  };
  const done = Promise.all([pump(child.stdout), pump(child.stderr)]).then(() => child.status);
  return {
    output: () => out,
    done,
    kill() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
    },
  };
}

async function shoot(page: Page, name: string) {
  await Deno.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}journey-${name}.png`, fullPage: true });
}

Deno.test("the whole journey in Chromium: setup, join, approve, deploy Postgres, connect, logs, stop, delete", async (t) => {
  const docker = await DockerClient.connect({ socketPath: SOCK });
  await ensureServiceImage(docker, "postgres:16");
  const managed = () => docker.containerList({ all: true, labels: { [LABELS.managed]: "true" } });
  for (const c of await managed()) {
    await docker.containerRemove(c.Id, { force: true, volumes: true });
  }

  const server: ServerProcess = await startServer({
    env: { LATTICE_HEARTBEAT_INTERVAL_MS: "1000", LATTICE_REGISTRATION: "open" },
  });
  const stateDir = await Deno.makeTempDir({ prefix: "lattice-journey-agent-" });
  const agentEnv = { LATTICE_AGENT_STATE_DIR: stateDir, DOCKER_HOST: `unix://${SOCK}` };
  let agent: ReturnType<typeof spawn> | null = null;
  let browser: Browser | null = null;
  const problems: PageProblem[] = [];
  const url = server.url;

  try {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(20_000);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: url });
    const page = await context.newPage();
    await watchProblems(page, problems);
    const phone = async (name: string, path: string) => {
      const p = await browser!.newPage({
        viewport: { width: 390, height: 844 },
        storageState: await context.storageState(),
      });
      await p.goto(`${url}${path}`);
      // Hydrated and live, so the picture shows what a person sees after a moment.
      await p.getByText("Live", { exact: true }).first().waitFor();
      await shoot(p, `${name}-phone`);
      await p.close();
    };
    let workloadPath = "";

    await t.step("the first visit creates the administrator", async () => {
      await page.goto(url);
      await page.waitForURL(`${url}/setup`);
      await page.getByLabel("Email").fill(ADMIN.email);
      await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
      await page.getByLabel("Confirm password").fill(ADMIN.password);
      await page.getByRole("button", { name: "Create admin account" }).click();
      await page.waitForURL(`${url}/`);
      await shoot(page, "overview");
    });

    await t.step("a join token's one line joins an agent, which waits for approval", async () => {
      await page.goto(`${url}/join`);
      await page.getByLabel("Max uses").fill("1");
      await page.getByRole("button", { name: "Create join token" }).click();
      // The "with Deno" alternative: this test runs the agent itself (install_script_test.ts
      // runs the one-line installer the page shows first).
      const line = (await page.getByTestId("join-command-deno").textContent() ?? "").trim();
      await shoot(page, "join");
      const [join, run] = line.split(" && ").map((part) => part.split(/\s+/));
      assert.deepEqual(join.slice(0, 4), ["deno", "run", "-A", `${url}/agent/lattice-agent.js`]);
      assert.equal(join[4], "join");
      assert.deepEqual(run.slice(4), ["run"]);
      const joined = spawn([...join, "--name", "journey-node"], agentEnv);
      const code = (await joined.done).code;
      assert.equal(code, 0, joined.output());
      agent = spawn(run, agentEnv);
    });

    await t.step("the node is approved on Approvals and comes online", async () => {
      await page.goto(`${url}/approvals`);
      const card = page.locator('[data-node="journey-node"]');
      await card.waitFor({ timeout: 30_000 });
      await shoot(page, "approvals");
      await card.getByRole("button", { name: "Approve" }).click();
      await card.waitFor({ state: "detached" });
      await page.goto(`${url}/nodes`);
      await page.locator("tr", { hasText: "journey-node" }).getByText("Online").waitFor({
        timeout: 30_000,
      });
      await shoot(page, "nodes");
    });

    await t.step("Postgres from its template card reaches running live", async () => {
      await page.goto(`${url}/workloads/new`);
      await page.locator('.template-card[data-template="postgres"]').click();
      await page.getByLabel("Name").fill("journey-db");
      await shoot(page, "deploy");
      await page.getByRole("button", { name: "Deploy", exact: true }).click();
      await page.waitForURL(/\/workloads\/[0-9a-f-]{36}$/);
      workloadPath = new URL(page.url()).pathname;
      await page.locator('.workload-summary [data-status="running"]').waitFor({
        timeout: 120_000,
      });
    });

    await t.step("the copied connection string answers a query", async () => {
      await page.getByTestId("reveal-connection").click();
      await page.getByTestId("connection-url").waitFor();
      await page.getByTestId("copy-connection").click();
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      assert.match(copied, /^postgres:\/\/lattice:[^@]+@127\.0\.0\.1:\d+\/journey_db$/);
      let answer: unknown = null;
      await waitFor(async () => {
        const sql = postgres(copied, { max: 1, connect_timeout: 2, onnotice: () => {} });
        try {
          [answer] = await sql`SELECT current_database() AS d, 6 * 7 AS n`;
          return true;
        } catch {
          return false;
        } finally {
          await sql.end({ timeout: 1 });
        }
      }, { timeoutMs: 60_000, what: "postgres accepting connections" });
      assert.deepEqual(answer, { d: "journey_db", n: 42 });
    });

    await t.step("its logs arrive live", async () => {
      await page.getByTestId("log-tail").filter({ hasText: "ready to accept connections" })
        .waitFor({ timeout: 60_000 });
      await shoot(page, "workload");
      await phone("workload", workloadPath);
    });

    await t.step(
      "a second, non-admin user reaches neither admin pages nor the workload",
      async () => {
        const reg = await fetch(`${url}/api/v1/auth/register`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(USER),
        });
        assert.equal(reg.status, 201);
        await reg.body?.cancel();
        const other = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
        const p = await other.newPage();
        await p.goto(`${url}/login`);
        await p.getByLabel("Email").fill(USER.email);
        await p.getByLabel("Password").fill(USER.password);
        await p.getByRole("button", { name: "Sign in" }).click();
        await p.waitForURL(`${url}/`);
        for (const path of ["/approvals", "/nodes", "/pools", "/join", "/audit"]) {
          const res = await p.goto(`${url}${path}`);
          assert.equal(res?.status(), 403, path);
        }
        assert.equal((await p.goto(`${url}${workloadPath}`))?.status(), 404);
        const api = await p.request.get(`${url}/api/v1${workloadPath}`);
        assert.equal(api.status(), 404);
        const list = await (await p.request.get(`${url}/api/v1/workloads`)).json();
        assert.deepEqual(list.workloads, []);
        await other.close();
      },
    );

    await t.step("stop, then delete with confirmation: its container goes", async () => {
      await page.goto(`${url}${workloadPath}`);
      await page.getByRole("button", { name: "Stop", exact: true }).click();
      await page.locator('.workload-summary [data-status="stopped"]').waitFor({ timeout: 60_000 });
      await page.getByRole("button", { name: "Delete…" }).click();
      const dialog = page.locator("dialog.confirm-dialog");
      await dialog.getByRole("button", { name: "Delete workload" }).click();
      await page.waitForURL(`${url}/workloads`);
      await shoot(page, "workloads-after-delete");
      await waitFor(async () => (await managed()).length === 0, {
        timeoutMs: 60_000,
        what: "the workload's container removed from Docker",
      });
    });

    assert.deepEqual(problems, [], describeProblems(problems));
  } finally {
    await browser?.close();
    (agent as ReturnType<typeof spawn> | null)?.kill();
    await (agent as ReturnType<typeof spawn> | null)?.done;
    await server.stop();
    for (const c of await managed()) {
      await docker.containerRemove(c.Id, { force: true, volumes: true });
    }
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    docker.close();
  }
});
