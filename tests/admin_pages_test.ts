// The admin pages (overview, pools, approvals, leaderboard, join, settings, audit) and the APIs
// behind them: server-rendered HTML, who may see what, the role API, the overview stream, and a
// real Chromium clicking through them at desktop and phone widths, light and dark.
import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page } from "playwright-core";
import {
  ADMIN,
  appTest,
  type CookieJar,
  errorOf,
  json,
  signIn,
  signUp,
  startTestApp,
  type TestApp,
  USER,
} from "./helpers/app.ts";
import { createJoinToken, SimAgent } from "./helpers/sim_agent.ts";
import { waitFor } from "./helpers/server.ts";
import {
  chromiumPath,
  describeProblems,
  launchChromium,
  type PageProblem,
  signedInPage,
} from "./helpers/browser.ts";

const OPEN = { env: { LATTICE_REGISTRATION: "open" } };
const ROOT = new URL("../", import.meta.url).pathname;
const SCREENSHOTS = `${ROOT}test-output/screenshots`;

/** GET a dashboard page with a cookie jar; returns status and HTML. */
async function pageOf(app: TestApp, jar: CookieJar, path: string) {
  const res = await app.request(path, { headers: { cookie: jar.header() } });
  return { status: res.status, html: await res.text() };
}

/** A bearer-authenticated JSON API call. */
function api(app: TestApp, token: string, path: string, init: RequestInit = {}) {
  return app.request(`/api/v1${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      ...init.headers,
    },
  });
}

/** An admin and a user, both signed in. */
async function people(app: TestApp) {
  const admin = await signUp(app, ADMIN);
  const user = await signUp(app, USER);
  return { admin, user };
}

/** A simulated node that joined and said hello, so it waits on Approvals with capabilities. */
async function pendingNode(app: TestApp, adminToken: string, name: string): Promise<SimAgent> {
  const url = app.listen();
  const agent = await SimAgent.join(url, await createJoinToken(url, adminToken), name);
  assert.equal((await agent.handshake({}, [])).type, "pending");
  await waitFor(async () => {
    const [row] = await app.db.query("SELECT capabilities FROM nodes WHERE id = $1", [
      agent.nodeId,
    ]);
    return row?.capabilities != null;
  }, { timeoutMs: 5000, what: `${name}'s capabilities to be recorded` });
  return agent;
}

appTest("every admin page renders on the server with its data", async (app) => {
  const { admin } = await people(app);
  const pool = await api(
    app,
    admin.token,
    "/pools",
    json({
      name: "gpu-lab",
      description: "Machines with GPUs",
      criteria: { gpu: true, region: "eu" },
    }),
  );
  assert.equal(pool.status, 201);
  const agent = await pendingNode(app, admin.token, "sim-pending");
  try {
    const overview = await pageOf(app, admin.jar, "/");
    assert.equal(overview.status, 200);
    assert.match(overview.html, /<h1>Overview<\/h1>/);
    assert.match(overview.html, /data-island="OverviewLive"/);
    assert.match(overview.html, /data-testid="nodes-pending"[^>]*>1 waiting for approval/);
    assert.match(overview.html, /data-step="approve"/, "a pending node asks for approval");
    assert.match(overview.html, /data-step="deploy"/, "no workloads: deploy is a next step");
    assert.doesNotMatch(overview.html, /data-step="join"/, "a node exists, so no join step");
    assert.doesNotMatch(overview.html, /Get started/);
    assert.match(overview.html, /data-testid="nav-pending"[^>]*>.*1.*<\/span>/s);

    const pools = await pageOf(app, admin.jar, "/pools");
    assert.equal(pools.status, 200);
    assert.match(pools.html, /data-pool="gpu-lab"/);
    assert.match(pools.html, /Machines with GPUs/);
    assert.match(pools.html, /region eu/);
    assert.match(pools.html, /has a GPU/);
    assert.match(pools.html, /data-pool="default"/);

    const approvals = await pageOf(app, admin.jar, "/approvals");
    assert.equal(approvals.status, 200);
    assert.match(approvals.html, /data-node="sim-pending"/);
    assert.match(approvals.html, /4 cores/);
    assert.match(approvals.html, /8 GiB/);
    assert.match(approvals.html, /Simulated Linux/);
    assert.match(approvals.html, /20\.10\.24/, "the Docker version");
    assert.match(approvals.html, /zone=test/, "the labels");
    const [{ public_key }] = await app.db.query<{ public_key: string }>(
      "SELECT public_key FROM nodes WHERE id = $1",
      [agent.nodeId],
    );
    const { publicKeyFingerprint } = await import("../lib/nodes/keys.ts");
    assert.ok(approvals.html.includes(publicKeyFingerprint(public_key)), "the fingerprint");

    const join = await pageOf(app, admin.jar, "/join");
    assert.equal(join.status, 200);
    assert.match(join.html, /data-island="JoinTokens"/);
    assert.match(join.html, /ljt_[A-Za-z0-9_-]{6}…/, "the token made for the node is listed");
    assert.match(join.html, /<option value="[^"]+">gpu-lab<\/option>/);
    assert.match(
      join.html,
      /<code>curl -fsSL http:\/\/localhost:8000\/install\.sh \| sh -s -- --onboard<\/code>/,
      "the guided setup's line",
    );

    const settings = await pageOf(app, admin.jar, "/settings");
    assert.equal(settings.status, 200);
    assert.match(settings.html, /Users and roles/);
    assert.match(settings.html, /data-user="user@example.com"/);
    assert.match(settings.html, /Make admin/);

    const leaderboard = await pageOf(app, admin.jar, "/leaderboard");
    assert.equal(leaderboard.status, 200);
    assert.match(leaderboard.html, /No ranked nodes yet/, "pending nodes are not ranked");

    const audit = await pageOf(app, admin.jar, "/audit?area=pool.");
    assert.equal(audit.status, 200);
    assert.match(audit.html, /<code>pool\.create<\/code>/);
    assert.doesNotMatch(audit.html, /<code>auth\.login<\/code>/, "the filter leaves sign-ins out");
    assert.match(audit.html, /<option value="pool\." selected/);
    const denied = await pageOf(app, admin.jar, "/audit?outcome=denied");
    assert.doesNotMatch(denied.html, /<code>pool\.create<\/code>/);

    const alerts = await pageOf(app, admin.jar, "/alerts");
    assert.equal(alerts.status, 200);
    assert.match(alerts.html, /No open alerts/);
  } finally {
    agent.close();
  }
}, OPEN);

appTest("a non-admin gets 403 on admin pages and sees only their own data", async (app) => {
  const { admin, user } = await people(app);
  for (const path of ["/pools", "/approvals", "/join", "/audit"]) {
    const res = await pageOf(app, user.jar, path);
    assert.equal(res.status, 403, `${path} answers ${res.status} to a user`);
  }
  const mine = await api(app, user.token, "/workloads", json({ name: "mine", image: "busybox:1" }));
  assert.equal(mine.status, 201, await mine.clone().text());
  const theirs = await api(app, admin.token, "/workloads", json({ name: "theirs", image: "a:1" }));
  assert.equal(theirs.status, 201);

  const home = await pageOf(app, user.jar, "/");
  assert.equal(home.status, 200);
  assert.match(home.html, /data-testid="workloads-total"[^>]*>1</, "users count their own");
  assert.doesNotMatch(home.html, /theirs/);
  assert.doesNotMatch(home.html, /nodes-pending/, "users do not see approvals");
  for (const hidden of ["/pools", "/approvals", "/join", "/audit"]) {
    assert.doesNotMatch(home.html, new RegExp(`<a href="${hidden}"`), `${hidden} hidden`);
  }
  for (const shown of ["/nodes", "/workloads", "/leaderboard", "/settings"]) {
    assert.match(home.html, new RegExp(`<a href="${shown}"`), `${shown} shown`);
  }
  assert.match(home.html, /data-step="wait-for-nodes"/);

  const overview = await (await api(app, user.token, "/overview")).json();
  assert.equal(overview.scope, "own");
  assert.equal(overview.workloads.total, 1);
  assert.deepEqual(overview.events.map((e: { subject: string }) => e.subject), ["mine"]);
  const all = await (await api(app, admin.token, "/overview")).json();
  assert.equal(all.scope, "all");
  assert.equal(all.workloads.total, 2);
  assert.equal(all.workloads.byStatus.pending + all.workloads.byStatus.scheduled, 2);

  assert.equal((await pageOf(app, user.jar, "/leaderboard")).status, 200);
  const settings = await pageOf(app, user.jar, "/settings");
  assert.equal(settings.status, 200);
  assert.doesNotMatch(settings.html, /Users and roles/);
}, OPEN);

appTest(
  "PATCH /api/v1/users/{id} changes roles and disables accounts, never the last admin",
  async (app) => {
    const { admin, user } = await people(app);
    const patch = (token: string, id: string, body: unknown) =>
      api(app, token, `/users/${id}`, { method: "PATCH", body: JSON.stringify(body) });

    const bad = await patch(admin.token, user.userId, { role: "root" });
    assert.equal(bad.status, 422);
    assert.equal((await errorOf(bad)).code, "validation_failed");
    assert.equal((await patch(admin.token, user.userId, {})).status, 422);
    assert.equal((await patch(admin.token, user.userId, { role: "admin", extra: 1 })).status, 422);
    assert.equal((await patch(admin.token, "not-a-uuid", { role: "admin" })).status, 422);
    assert.equal((await patch(admin.token, crypto.randomUUID(), { role: "user" })).status, 404);

    const forbidden = await patch(user.token, user.userId, { role: "admin" });
    assert.equal(forbidden.status, 403);
    await forbidden.body?.cancel();

    const last = await patch(admin.token, admin.userId, { role: "user" });
    assert.equal(last.status, 409);
    assert.match((await errorOf(last)).message, /last admin/);
    const self = await patch(admin.token, admin.userId, { disabled: true });
    assert.equal(self.status, 409);
    assert.match((await errorOf(self)).message, /your own account/);

    const promoted = await patch(admin.token, user.userId, { role: "admin" });
    assert.equal(promoted.status, 200);
    assert.equal((await promoted.json()).user.role, "admin");
    // The new role applies at once, without waiting for the authentication cache.
    const users = await api(app, user.token, "/users");
    assert.equal(users.status, 200);
    await users.body?.cancel();

    // With two admins, one may step down; then the other is the last again.
    assert.equal((await patch(user.token, admin.userId, { role: "user" })).status, 200);
    const lastAgain = await patch(user.token, user.userId, { role: "user" });
    assert.equal(lastAgain.status, 409);
    await lastAgain.body?.cancel();

    // Disabling ends the account's sign-ins and tokens at once, and it cannot sign in again.
    const disabled = await patch(user.token, admin.userId, { disabled: true });
    assert.equal(disabled.status, 200);
    assert.ok((await disabled.json()).user.disabledAt);
    assert.equal((await api(app, admin.token, "/me")).status, 401);
    const cookie = await app.request("/api/v1/me", { headers: { cookie: admin.jar.header() } });
    assert.equal(cookie.status, 401);
    await assert.rejects(signIn(app, ADMIN), /login 401/);
    const enabled = await patch(user.token, admin.userId, { disabled: false });
    assert.equal(enabled.status, 200);
    assert.equal((await enabled.json()).user.disabledAt, null);
    await signIn(app, ADMIN);

    const rows = await app.db.query<{ outcome: string; details: Record<string, unknown> }>(
      "SELECT outcome, details FROM audit_log WHERE action = 'user.update' ORDER BY id",
    );
    assert.deepEqual(rows.map((r) => r.outcome), [
      "denied",
      "denied",
      "success",
      "success",
      "denied",
      "success",
      "success",
    ]);
    assert.equal(rows[2].details.to_role, "admin");
  },
  OPEN,
);

appTest(
  "the overview stream sends the overview and again when a node asks to join",
  async (app) => {
    const { admin } = await signUp(app).then((a) => ({ admin: a }));
    const url = app.listen();
    const res = await fetch(`${url}/api/v1/overview/stream`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    const nextOverview = async () => {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split("\n").find((l) => l.startsWith("data:"));
          if (frame.includes("event: overview") && data) return JSON.parse(data.slice(5));
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("the stream ended");
        buffer += value;
      }
      throw new Error("no overview event within 10 s");
    };
    try {
      const first = await nextOverview();
      assert.equal(first.nodes.pending, 0);
      assert.deepEqual(first.nextSteps.map((s: { id: string }) => s.id), ["join", "deploy"]);
      const agent = await SimAgent.join(url, await createJoinToken(url, admin.token), "sim-live");
      try {
        const second = await nextOverview();
        assert.equal(second.nodes.pending, 1);
        assert.deepEqual(second.nextSteps.map((s: { id: string }) => s.id), ["approve", "deploy"]);
      } finally {
        agent.close();
      }
    } finally {
      await reader.cancel();
    }
  },
);

Deno.test("the join command's agent bundle is served and starts with deno run", async () => {
  const app = await startTestApp("pglite");
  try {
    const url = app.listen();
    const res = await fetch(`${url}/agent/lattice-agent.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/javascript/);
    const body = await res.text();
    assert.ok(body.length > 10_000, `the bundle is ${body.length} bytes`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--reload", `${url}/agent/lattice-agent.js`, "version"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    assert.match(text, /\d+\.\d+\.\d+/, "it prints its version");
  } finally {
    await app.close();
  }
});

/** Sizes and schemes every page is photographed in. */
const VIEWS = [
  { width: 1280, height: 800, scheme: "light" },
  { width: 1280, height: 800, scheme: "dark" },
  { width: 390, height: 844, scheme: "light" },
  { width: 390, height: 844, scheme: "dark" },
] as const;
const PAGES = [
  ["overview", "/"],
  ["pools", "/pools"],
  ["approvals", "/approvals"],
  ["leaderboard", "/leaderboard"],
  ["join", "/join"],
  ["settings", "/settings"],
  ["audit", "/audit"],
] as const;
const TIMEOUT_MS = 15_000;

Deno.test("an admin uses the admin pages in Chromium on desktop and phone", async (t) => {
  chromiumPath();
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const app = await startTestApp("pglite", OPEN);
  const url = app.listen();
  const problems: PageProblem[] = [];
  let browser: Browser | undefined;
  const agents: SimAgent[] = [];
  try {
    const admin = await signUp(app, ADMIN);
    await signUp(app, USER);
    const joinToken = await createJoinToken(url, admin.token, { maxUses: 10 });
    const join = async (name: string) => {
      const agent = await SimAgent.join(url, joinToken, name);
      agents.push(agent);
      assert.equal((await agent.handshake()).type, "pending");
      return agent;
    };
    // A ranked, approved node for the leaderboard and the overview's capacity.
    const ranked = await join("sim-ranked");
    const approve = await api(app, admin.token, `/nodes/${ranked.nodeId}/approve`, json({}));
    assert.equal(approve.status, 200);
    await approve.body?.cancel();
    await ranked.next("welcome");
    await app.plane.ranks.runOnce();
    const waiting = await join("sim-waiting");

    browser = await launchChromium();
    const newContext = async (
      view: { width: number; height: number; scheme: "light" | "dark" },
    ): Promise<{ context: BrowserContext; page: Page }> => {
      return await signedInPage(browser!, url, ADMIN, {
        viewport: { width: view.width, height: view.height },
        colorScheme: view.scheme,
        problems,
        timeoutMs: TIMEOUT_MS,
      });
    };
    const { context, page } = await newContext({ width: 1280, height: 800, scheme: "light" });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: url });
    const nav = () => page.locator("aside").getByRole("navigation", { name: "Main" });
    const heading = () => page.getByRole("heading", { level: 1 });

    await t.step("the sidebar leads to every section and marks the current one", async () => {
      const labels = (await nav().getByRole("link").allTextContents()).map((s) =>
        s.replace(/\d+\s*\(\d+ waiting\)$/, "").trim()
      );
      assert.deepEqual(labels, [
        "Overview",
        "Nodes",
        "Workloads",
        "Pools",
        "Approvals",
        "Leaderboard",
        "Join",
        "Settings",
        "Audit log",
      ]);
      const pending = await nav().getByTestId("nav-pending").textContent();
      assert.equal(pending?.replace(/\s+/g, " ").trim(), "1 (1 waiting)");
      for (
        const [label, path] of [
          ["Nodes", "/nodes"],
          ["Workloads", "/workloads"],
          ["Pools", "/pools"],
          ["Leaderboard", "/leaderboard"],
          ["Join", "/join"],
          ["Settings", "/settings"],
          ["Audit log", "/audit"],
          ["Overview", "/"],
        ]
      ) {
        await nav().getByRole("link", { name: label, exact: true }).click();
        await page.waitForURL(`${url}${path}`);
        const current = nav().locator('a[aria-current="page"]');
        assert.equal(await current.count(), 1, `one current link on ${path}`);
        assert.equal(await current.getAttribute("href"), path);
      }
      // Keyboard: the skip link comes first and focus is visible on the links.
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement?.className), "skip-link");
      const outline = await page.evaluate(() => {
        const link = document.querySelector<HTMLAnchorElement>("aside .nav a")!;
        link.focus();
        return getComputedStyle(link).outlineStyle;
      });
      assert.notEqual(outline, "none", "focused links show an outline");
    });

    await t.step("the overview updates live when a node comes online", async () => {
      await page.goto(`${url}/`);
      await page.locator('.overview[data-state="live"]').waitFor();
      assert.equal(await page.getByTestId("nodes-online").innerText(), "1\n/ 1".replace("\n", ""));
      const res = await api(app, admin.token, `/nodes/${waiting.nodeId}/approve`, json({}));
      assert.equal(res.status, 200);
      await res.body?.cancel();
      await waiting.next("welcome");
      await page.waitForFunction(() =>
        document.querySelector('[data-testid="nodes-online"]')?.textContent?.startsWith("2")
      );
      assert.equal(await page.getByTestId("nodes-pending").innerText(), "0 waiting for approval");
    });

    await t.step(
      "a pool with a bad name shows the error by its field, then a good one is made",
      async () => {
        await page.goto(`${url}/pools`);
        await page.getByRole("button", { name: "New pool" }).click();
        const form = page.getByRole("form", { name: "New pool" });
        await form.getByLabel("Name").fill("Bad Name!");
        await form.getByLabel("Region").fill("eu-west");
        await form.getByRole("button", { name: "Create pool" }).click();
        const error = form.locator('[data-field-error="name"]');
        await error.waitFor();
        assert.match(await error.innerText(), /^Name must be a DNS label/);
        assert.equal(await form.getByLabel("Name").getAttribute("aria-invalid"), "true");
        await form.getByLabel("Name").fill("eu-lab");
        await form.getByLabel("Labels").fill("zone=a\nrack=3");
        await form.getByRole("button", { name: "Create pool" }).click();
        await page.waitForURL(`${url}/pools?saved=eu-lab`);
        const card = page.locator('[data-pool="eu-lab"]');
        assert.match(await card.innerText(), /region eu-west/);
        assert.match(await card.innerText(), /zone=a/);
        // Delete asks once more in place.
        await card.getByRole("button", { name: "Delete" }).click();
        await card.getByRole("button", { name: "Delete pool" }).click();
        await page.waitForURL(`${url}/pools?deleted=eu-lab`);
        assert.equal(await page.locator('[data-pool="eu-lab"]').count(), 0);
      },
    );

    await t.step(
      "a node that asks to join appears live on Approvals and leaves when approved",
      async () => {
        await page.goto(`${url}/approvals`);
        await page.locator('.approvals[data-state="live"]').waitFor();
        assert.equal(await page.locator(".approval-card").count(), 0);
        await join("sim-new");
        const card = page.locator('[data-node="sim-new"]');
        await card.waitFor();
        await page.waitForFunction(() =>
          document.querySelector('[data-node="sim-new"]')?.textContent?.includes("4 cores")
        );
        await screenshotAll(page, "approvals-live");
        await card.getByRole("button", { name: "Approve" }).click();
        await card.waitFor({ state: "detached" });
        assert.match(await page.getByTestId("approvals-announce").innerText(), /Approved sim-new/);
      },
    );

    await t.step(
      "a join token shows the one-line command, which the copy button copies",
      async () => {
        await page.goto(`${url}/join`);
        await page.getByLabel("Max uses").fill("3");
        await page.getByRole("button", { name: "Create join token" }).click();
        const command = page.getByTestId("join-command");
        await command.waitFor();
        const text = await command.innerText();
        // The server's public address (LATTICE_PUBLIC_URL; tests keep the default).
        const server = "http://localhost:8000";
        assert.match(
          text,
          new RegExp(`^curl -fsSL ${server}/install\\.sh \\| sh -s -- --token ljt_\\S+$`),
        );
        const secret = text.split(" ").at(-1);
        const alternatives = page.locator(".join-alternatives");
        await alternatives.locator("summary").click();
        assert.equal(
          await page.getByTestId("join-command-ps1").innerText(),
          `& ([scriptblock]::Create((irm ${server}/install.ps1))) -Token ${secret}`,
        );
        assert.equal(
          await page.getByTestId("join-command-deno").innerText(),
          `deno run -A ${server}/agent/lattice-agent.js join --server ${server} ` +
            `--token ${secret} && deno run -A ${server}/agent/lattice-agent.js run`,
        );
        await page.getByTestId("join-watch").getByText("Waiting for the machine…").waitFor();
        // Creating the token copied the line already: one click, then paste.
        await page.getByTestId("join-autocopied").waitFor();
        assert.equal(await page.evaluate(() => navigator.clipboard.readText()), text);
        await page.evaluate(() => navigator.clipboard.writeText(""));
        const copy = page.locator(".command-line", { has: command }).getByTestId("copy-button");
        await copy.click();
        await copy.getByText("Copied").waitFor();
        assert.equal(await page.evaluate(() => navigator.clipboard.readText()), text);
        assert.match(await page.locator("tbody tr").first().innerText(), /3/);
        // The machine shows up under the command, live, as soon as it joins.
        agents.push(await SimAgent.join(url, secret!, "sim-from-join-page"));
        const joined = page.getByTestId("join-watch").locator('[data-node="sim-from-join-page"]');
        await joined.waitFor();
        assert.match(await joined.innerText(), /sim-from-join-page joined/);
        assert.match(await joined.getByTestId("node-status").innerText(), /\S/);
        assert.equal(await page.getByText("Waiting for the machine…").count(), 0);
      },
    );

    await t.step("the phone menu opens and navigates", async () => {
      const phone = await newContext({ width: 390, height: 844, scheme: "light" });
      try {
        const p = phone.page;
        assert.equal(await p.locator("aside .nav").isVisible(), false, "no sidebar on a phone");
        const menu = p.locator(".nav-menu");
        await menu.locator("summary").click();
        await menu.getByRole("link", { name: "Leaderboard" }).click();
        await p.waitForURL(`${url}/leaderboard`);
        await menu.locator("summary").click();
        assert.equal(
          await menu.locator('a[aria-current="page"]').getAttribute("href"),
          "/leaderboard",
        );
        const width = await p.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 390, `the page is ${width}px wide on a 390px phone`);
      } finally {
        await phone.context.close();
      }
    });

    await t.step("screenshots of every page at both widths and both schemes", async () => {
      for (const view of VIEWS) {
        const { context: ctx, page: p } = await newContext(view);
        try {
          for (const [name, path] of PAGES) {
            await p.goto(`${url}${path}`);
            assert.equal(await p.getByRole("heading", { level: 1 }).count(), 1);
            await p.locator("lattice-island[data-island]:not([data-hydrated])").count()
              .then(async (n) => {
                if (n > 0) {
                  await p.waitForFunction(() =>
                    [...document.querySelectorAll("lattice-island")].every((el) =>
                      (el as HTMLElement).dataset.hydrated === "true"
                    )
                  );
                }
              });
            await p.screenshot({
              path: `${SCREENSHOTS}/${name}-${view.width}-${view.scheme}.png`,
              fullPage: true,
            });
          }
        } finally {
          await ctx.close();
        }
      }
      assert.equal(await heading().count(), 1);
    });

    await t.step("no page logged an error, threw, or broke the Content Security Policy", () => {
      // The one refused request the journey makes on purpose: the pool with a bad name.
      const unexpected = problems.filter((p) =>
        !(p.kind === "console" && /status of 422/.test(p.text) &&
          p.location?.startsWith(`${url}/api/v1/pools`))
      );
      assert.deepEqual(unexpected, [], `problems in pages:\n${describeProblems(unexpected)}`);
      return Promise.resolve();
    });
  } finally {
    for (const a of agents) a.close();
    await browser?.close();
    await app.close();
  }
});

async function screenshotAll(page: Page, name: string) {
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}
