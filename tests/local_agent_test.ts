// "Add this machine" end to end: a real server started with `deno task start` (so its real
// permissions, --allow-run=deno included), an admin in Chromium clicks the button, and a real
// agent joins, is approved and comes online against the real Docker (it only lists containers
// and watches events). Then the server restarts on the same data dir and the agent comes back
// without a click, and SIGTERM to the server ends the agent.
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import {
  freePort,
  type ServerProcess,
  signUpAdmin,
  startServer,
  waitFor,
} from "./helpers/server.ts";
import { appTest, errorOf, json, signUp } from "./helpers/app.ts";
import {
  chromiumPath,
  describeProblems,
  launchChromium,
  type PageProblem,
  signedInPage,
} from "./helpers/browser.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const SCREENSHOTS = `${ROOT}test-output/screenshots`;
const ADMIN = { email: "admin@example.com", password: "admin password 123" };
const USER = { email: "user@example.com", password: "user password 1234" };

async function login(url: string, who: { email: string; password: string }): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(who),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.token;
}

async function api(url: string, token: string, path: string, init: RequestInit = {}) {
  const res = await fetch(`${url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });
  return { status: res.status, body: await res.json() };
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

async function signInPage(browser: Browser, url: string, problems: PageProblem[]) {
  return (await signedInPage(browser, url, ADMIN, { problems })).page;
}

Deno.test("Add this machine: one click joins this server's machine, and it survives a restart", async () => {
  chromiumPath();
  const port = freePort();
  const env = { LATTICE_REGISTRATION: "open" };
  const problems: PageProblem[] = [];
  let server: ServerProcess | null = await startServer({ port, env });
  const dataDir = server.dataDir;
  let browser: Browser | undefined;
  const pids: number[] = [];
  try {
    await signUpAdmin(server.url, ADMIN);
    const admin = await login(server.url, ADMIN);
    const before = await api(server.url, admin, "/api/v1/local-agent");
    assert.equal(before.status, 200);
    assert.equal(before.body.available, true, `not available: ${before.body.reason}`);
    assert.equal(before.body.state, "none");

    // A non-admin may neither look nor click.
    const reg = await fetch(`${server.url}/api/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(USER),
    });
    assert.equal(reg.status, 201);
    await reg.body?.cancel();
    const user = await login(server.url, USER);
    for (const method of ["GET", "POST"]) {
      const res = await api(server.url, user, "/api/v1/local-agent", {
        method,
        body: method === "POST" ? "{}" : undefined,
      });
      assert.equal(res.status, 403, `${method}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, "forbidden");
    }

    browser = await launchChromium();
    const page = await signInPage(browser, server.url, problems);
    const card = page.getByTestId("add-this-machine");
    await card.waitFor();
    assert.match(await card.innerText(), /Try it on this computer/);
    await Deno.mkdir(SCREENSHOTS, { recursive: true });
    await card.screenshot({ path: `${SCREENSHOTS}/add-this-machine-ready.png` });
    await page.getByRole("button", { name: "Add this machine" }).click();
    await page.getByTestId("local-agent-progress").waitFor();
    await page.locator('[data-testid="add-this-machine"][data-online="true"]').waitFor({
      timeout: 90_000,
    });
    const link = page.getByTestId("local-agent-node");
    const href = await link.getAttribute("href");
    assert.match(href ?? "", /^\/nodes\/[0-9a-f-]{36}$/);
    await card.screenshot({ path: `${SCREENSHOTS}/add-this-machine.png` });

    const status = await api(server.url, admin, "/api/v1/local-agent");
    assert.equal(status.body.state, "running");
    assert.equal(typeof status.body.pid, "number");
    pids.push(status.body.pid);
    const nodeId = status.body.nodeId;
    assert.equal(href, `/nodes/${nodeId}`);
    const nodes = await api(server.url, admin, "/api/v1/nodes");
    const node = nodes.body.nodes.find((n: { id: string }) => n.id === nodeId);
    assert.ok(node, "the node is listed");
    assert.equal(node.approval, "approved");
    assert.equal(node.status, "online");
    assert.equal(nodes.body.nodes.length, 1);

    // A second click changes nothing.
    const again = await api(server.url, admin, "/api/v1/local-agent", {
      method: "POST",
      body: "{}",
    });
    assert.equal(again.status, 202);
    assert.equal(again.body.pid, status.body.pid);
    assert.equal((await api(server.url, admin, "/api/v1/nodes")).body.nodes.length, 1);

    // The dashboard shows it online on the node's page.
    await link.click();
    await page.waitForURL(`${server.url}${href}`);
    assert.match(await page.locator("main").innerText(), /online/i);
    await page.context().close();

    // SIGTERM to the server ends the agent too.
    assert.equal(await server.stop(), 0);
    server = null;
    assert.equal(alive(pids[0]), false, "the agent process ended with the server");

    // The same data dir again: the agent comes back without a click.
    server = await startServer({ port, env, dataDir });
    const admin2 = await login(server.url, ADMIN);
    let back: { body: Record<string, unknown> } | null = null;
    await waitFor(async () => {
      back = await api(server!.url, admin2, "/api/v1/local-agent");
      const n = back.body.node as { status?: string } | null;
      return back.body.state === "running" && n?.status === "online";
    }, { timeoutMs: 60_000, intervalMs: 250, what: "the local agent back online" });
    const resumed = back!.body;
    assert.equal(resumed.nodeId, nodeId);
    assert.notEqual(resumed.pid, pids[0]);
    pids.push(resumed.pid as number);
    assert.ok(server.output().includes('"component":"local-agent"'), "child lines are logged");
    assert.equal(await server.stop(), 0);
    server = null;
    assert.equal(alive(pids[1]), false, "the resumed agent ended with the server");
    assert.equal(problems.length, 0, describeProblems(problems));
  } finally {
    await browser?.close();
    if (server) await server.stop();
    for (const pid of pids) if (alive(pid)) Deno.kill(pid, "SIGKILL");
  }
});

Deno.test("with LATTICE_LOCAL_AGENT=off the API says why and the pages offer no button", async () => {
  chromiumPath();
  const server = await startServer({ env: { LATTICE_LOCAL_AGENT: "off" } });
  let browser: Browser | undefined;
  const problems: PageProblem[] = [];
  try {
    await signUpAdmin(server.url, ADMIN);
    const admin = await login(server.url, ADMIN);
    const status = await api(server.url, admin, "/api/v1/local-agent");
    assert.equal(status.status, 200);
    assert.equal(status.body.available, false);
    assert.match(status.body.reason, /LATTICE_LOCAL_AGENT=off/);
    const add = await api(server.url, admin, "/api/v1/local-agent", {
      method: "POST",
      body: "{}",
    });
    assert.equal(add.status, 409);
    assert.equal(add.body.error.code, "conflict");
    assert.match(add.body.error.details.reason, /LATTICE_LOCAL_AGENT=off/);

    browser = await launchChromium();
    const page = await signInPage(browser, server.url, problems);
    await page.getByTestId("nodes-online").waitFor();
    assert.equal(await page.getByTestId("add-this-machine").count(), 0, "overview: no card");
    await page.goto(`${server.url}/join`);
    await page.getByTestId("local-agent-reason").waitFor();
    assert.match(await page.getByTestId("local-agent-reason").innerText(), /turned off/);
    assert.equal(await page.getByRole("button", { name: "Add this machine" }).count(), 0);
    await Deno.mkdir(SCREENSHOTS, { recursive: true });
    await page.getByTestId("add-this-machine").screenshot({
      path: `${SCREENSHOTS}/add-this-machine-off.png`,
    });
    assert.equal(problems.length, 0, describeProblems(problems));
  } finally {
    await browser?.close();
    await server.stop();
  }
});

appTest(
  "the local agent API checks CSRF and input, and DELETE on nothing changes nothing",
  async (app) => {
    const { jar, csrfToken, token } = await signUp(app);
    const anonymous = await app.request("/api/v1/local-agent");
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const noCsrf = await app.request(
      "/api/v1/local-agent",
      json({}, { headers: { cookie: jar.header() } }),
    );
    assert.equal(noCsrf.status, 403);
    assert.equal((await errorOf(noCsrf)).code, "csrf_failed");
    const badPool = await app.request(
      "/api/v1/local-agent",
      json({ poolId: "nope" }, { headers: { cookie: jar.header(), "x-csrf-token": csrfToken } }),
    );
    assert.equal(badPool.status, 422);
    assert.equal((await errorOf(badPool)).code, "validation_failed");
    const removed = await app.request("/api/v1/local-agent", {
      method: "DELETE",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(removed.status, 200);
    assert.equal((await removed.json()).state, "none");
    const doc = await (await app.request("/api/v1/openapi.json")).json();
    for (const method of ["get", "post", "delete"]) {
      assert.ok(doc.paths["/api/v1/local-agent"]?.[method], method);
    }
    assert.ok(doc.components.schemas.LocalAgentStatus.properties.reason);
  },
);
