// The workload pages: /workloads, /workloads/new and /workloads/:id as the server renders them
// (with simulated nodes), and a real Chromium run that deploys Redis from its template card,
// watches it come up, reads its logs and connection, stops it and deletes it.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  ADMIN,
  appTest,
  type CookieJar,
  json,
  signIn,
  signUp,
  startTestApp,
  type TestApp,
  USER,
} from "./helpers/app.ts";
import { FAST, type SimNode, withSetup } from "./helpers/workload_sim.ts";
import {
  describeProblems,
  launchChromium,
  type PageProblem,
  watchProblems,
} from "./helpers/browser.ts";
import { waitFor } from "./helpers/server.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const SCREENSHOTS = `${ROOT}test-output/screenshots`;

async function html(app: TestApp, path: string, jar: CookieJar) {
  const res = await app.request(path, {
    headers: { accept: "text/html", cookie: jar.header() },
    redirect: "manual",
  });
  return { status: res.status, location: res.headers.get("location"), body: await res.text() };
}

/** The text of an element's contents, tags removed: enough to read what a table cell says. */
function text(body: string): string {
  return body.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
}

appTest(
  "the workload pages render what a user may see, and another user's workload is a 404",
  async (app) => {
    await withSetup(app, async ({ api, node, until, token }) => {
      const admin = await signIn(app, ADMIN);
      const empty = await html(app, "/workloads", admin.jar);
      assert.equal(empty.status, 200);
      assert.match(empty.body, /No workloads yet/);
      assert.match(empty.body, /href="\/workloads\/new"/, "the empty state points to Deploy");

      const alpha = await node("alpha");
      const user = await signUp(app, USER);
      const created = await api(
        "/workloads",
        json({ name: "cache", template: "redis" }),
        user.token,
      );
      assert.equal(created.status, 201);
      const cache = (await created.json()).workload;
      await until(cache.id, (w) => w.status === "running", "cache running");
      const theirs = (await (await api(
        "/workloads",
        json({
          name: "big",
          image: "registry.example/big:1",
          resources: { memoryMiB: 200_000 },
        }),
        token,
      )).json()).workload;
      await until(theirs.id, (w) => w.status === "pending" && w.unplaced !== null, "big pending");

      // The list: the user's own workload only, with its status and replicas.
      const list = await html(app, "/workloads", user.jar);
      assert.equal(list.status, 200);
      assert.match(list.body, /<lattice-island data-island="WorkloadList"/);
      assert.match(list.body, new RegExp(`<tr data-workload-id="${cache.id}"`));
      assert.match(list.body, /data-status="running"/);
      assert.match(list.body, /data-testid="workload-replicas"[^>]*>1\/1</);
      assert.match(text(list.body), /Redis redis:7/);
      assert.equal(list.body.includes(theirs.id), false, "another user's workload is not listed");
      assert.equal(list.body.includes(">Owner<"), false, "users get no owner column");
      // Admins see everyone's, with owners; the filter narrows by status.
      const all = await html(app, "/workloads", admin.jar);
      assert.match(all.body, />Owner</);
      assert.match(all.body, new RegExp(USER.email));
      assert.ok(all.body.includes(theirs.id) && all.body.includes(cache.id));
      const pending = await html(app, "/workloads?status=pending", admin.jar);
      assert.ok(pending.body.includes(`data-workload-id="${theirs.id}"`));
      assert.equal(pending.body.includes(`data-workload-id="${cache.id}"`), false);
      assert.match(pending.body, /<option value="pending" selected/);

      // Deploy: four template cards, pools to choose from.
      const form = await html(app, "/workloads/new", user.jar);
      assert.equal(form.status, 200);
      for (const t of ["postgres", "redis", "minio", "custom"]) {
        assert.match(form.body, new RegExp(`name="template" value="${t}"`));
      }
      assert.match(form.body, /<option value="default">default<\/option>/);
      assert.match(form.body, /<form method="post" action="\/workloads\/new"/);

      // The workload page: status, allocation on its node, timeline; no secrets in the HTML.
      const page = await html(app, `/workloads/${cache.id}`, user.jar);
      assert.equal(page.status, 200);
      assert.match(page.body, /<h1>cache<\/h1>/);
      assert.match(page.body, /<title>cache · Workloads · Lattice<\/title>/);
      assert.match(page.body, /data-status="running"/);
      assert.match(text(page.body), /alpha/);
      assert.equal(
        page.body.includes(`href="/nodes/${alpha.agent.nodeId}"`),
        false,
        "users get no node links",
      );
      assert.match(page.body, /data-kind="placed"/);
      assert.match(page.body, /data-kind="deployed"/);
      assert.match(page.body, /data-testid="reveal-connection"/);
      assert.match(page.body, /<lattice-island data-island="WorkloadLogs"/);
      const conn = await (await api(`/workloads/${cache.id}/connection`, {}, user.token)).json();
      assert.ok(conn.password.length >= 12);
      assert.equal(page.body.includes(conn.password), false, "the password is fetched on click");
      const asAdmin = await html(app, `/workloads/${cache.id}`, admin.jar);
      assert.ok(asAdmin.body.includes(`href="/nodes/${alpha.agent.nodeId}"`), "admins get links");

      // A waiting workload says why, filter by filter.
      const waiting = await html(app, `/workloads/${theirs.id}`, admin.jar);
      assert.match(waiting.body, /Why it is not placed yet/);
      assert.match(waiting.body, /1 node lacks free memory/);
      assert.match(waiting.body, /waiting for capacity/);

      // Not yours, or not a workload at all: the 404 page.
      for (const path of [`/workloads/${theirs.id}`, "/workloads/not-an-id"]) {
        const missing = await html(app, path, user.jar);
        assert.equal(missing.status, 404, path);
        assert.match(missing.body, /Page not found/);
        assert.equal(missing.body.includes("big"), false);
      }
      const anonymous = await app.request(`/workloads/${cache.id}`, {
        headers: { accept: "text/html" },
        redirect: "manual",
      });
      assert.equal(anonymous.status, 303);
      await anonymous.body?.cancel();
    });
  },
  FAST,
);

appTest(
  "the Deploy form works as a plain form post, with errors next to their fields",
  async (app) => {
    await withSetup(app, async () => {
      const user = await signUp(app, USER);
      const post = (fields: Record<string, string>) =>
        app.request("/workloads/new", {
          method: "POST",
          headers: {
            accept: "text/html",
            cookie: user.jar.header(),
            "content-type": "application/x-www-form-urlencoded",
            origin: "http://localhost",
          },
          body: new URLSearchParams({ _csrf: user.csrfToken, ...fields }),
          redirect: "manual",
        });
      const bad = await post({
        template: "redis",
        name: "my cache",
        replicas: "0",
        "env.0.key": "1BAD",
        "env.0.value": "x",
      });
      assert.equal(bad.status, 422);
      const body = await bad.text();
      const fieldOf = (name: string) =>
        new RegExp(
          `<div class="field field-invalid[^"]*"><label for="f-${
            name.replace(/\./g, "\\.")
          }"[\\s\\S]*?` +
            `data-field-error="${name.replace(/\./g, "\\.")}"`,
        );
      assert.match(body, fieldOf("name"));
      assert.match(body, /Name must be a DNS label/);
      assert.match(body, fieldOf("replicas"));
      assert.match(body, /Replicas must be a whole number from 1 to 100/);
      assert.match(body, fieldOf("env.0.key"));
      assert.match(body, /value="my cache"/, "what was typed is kept");
      assert.match(body, /value="redis" checked/, "and the template chosen");

      const ok = await post({ template: "redis", name: "cache", replicas: "1" });
      assert.equal(ok.status, 303);
      const location = ok.headers.get("location") ?? "";
      assert.match(location, /^\/workloads\/[0-9a-f-]{36}$/);
      await ok.body?.cancel();
      const again = await post({ template: "redis", name: "cache" });
      assert.equal(again.status, 422);
      assert.match(await again.text(), /You already have a workload named &quot;cache&quot;/);
    });
  },
  FAST,
);

/**
 * Hold `n`'s deploys until `release()` (so a page can watch the status change), and answer
 * followed `logs` commands the way the agent does: the tail at once, then a line every 150 ms
 * until the control plane cancels.
 */
function instrument(n: SimNode) {
  const ws = n.agent.socket!;
  const handle = ws.onmessage!;
  let held: MessageEvent[] | null = [];
  const follows = new Map<string, ReturnType<typeof setInterval>>();
  const line = (text: string) => ({ stream: "stdout" as const, text });
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.type === "command" && msg.command.action === "deploy" && held) {
      held.push(e);
      return;
    }
    if (msg.type === "command" && msg.command.action === "logs" && msg.command.follow) {
      const id = msg.id as string;
      let tick = 0;
      n.agent.send({
        type: "logs",
        id,
        lines: [line("1:M Server initialized"), line("1:M Ready to accept connections tcp")],
        done: false,
      });
      follows.set(
        id,
        setInterval(
          () => n.agent.send({ type: "logs", id, lines: [line(`tick ${++tick}`)], done: false }),
          150,
        ),
      );
      return;
    }
    if (msg.type === "cancel") {
      clearInterval(follows.get(msg.id));
      follows.delete(msg.id);
    }
    handle.call(ws, e);
  };
  return {
    release() {
      const queue = held ?? [];
      held = null;
      for (const e of queue) ws.onmessage!.call(ws, e);
    },
    stop() {
      for (const timer of follows.values()) clearInterval(timer);
      follows.clear();
    },
  };
}

const VIEWPORTS = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
] as const;

Deno.test("in Chromium, a user deploys Redis from its card, watches it run, reads logs, stops and deletes it", async (t) => {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const app = await startTestApp("pglite", FAST);
  const problems: PageProblem[] = [];
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let sim: ReturnType<typeof instrument> | undefined;
  try {
    await withSetup(app, async ({ baseUrl, api, node, token }) => {
      sim = instrument(await node("alpha"));
      const user = await signUp(app, USER);
      // Something waiting, so the pending explanation is on screen for the screenshots.
      const big = (await (await api(
        "/workloads",
        json({
          name: "big-batch",
          image: "registry.example/batch:2",
          resources: { memoryMiB: 200_000 },
        }),
        user.token,
      )).json()).workload;
      assert.ok(big?.id);
      assert.ok(token);

      browser = await launchChromium();
      const open = async (viewport: { width: number; height: number }, dark = false) => {
        const context = await browser!.newContext({
          viewport,
          colorScheme: dark ? "dark" : "light",
        });
        context.setDefaultTimeout(15_000);
        await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
        await context.addCookies(
          [...user.jar.cookies].map(([name, value]) => ({ name, value, url: baseUrl })),
        );
        const page = await context.newPage();
        await watchProblems(page, problems);
        return { context, page };
      };
      const { context, page } = await open({ width: 1280, height: 800 });
      const hydrated = (p: Page, island: string) =>
        p.locator(`lattice-island[data-island="${island}"][data-hydrated="true"]`).waitFor();
      let workloadId = "";

      await t.step(
        "the Deploy form shows the API's field errors next to their fields",
        async () => {
          await page.goto(`${baseUrl}/workloads/new`);
          await hydrated(page, "DeployForm");
          await page.locator('.template-card[data-template="redis"]').click();
          assert.equal(
            await page.locator('input[name="template"][value="redis"]').isChecked(),
            true,
          );
          assert.equal(await page.getByLabel("Memory").getAttribute("placeholder"), "256");
          await page.getByLabel("Name").fill("my cache");
          await page.getByLabel("Replicas").fill("0");
          const answer = page.waitForResponse((r) =>
            r.url() === `${baseUrl}/api/v1/workloads` && r.request().method() === "POST"
          );
          await page.getByRole("button", { name: "Deploy", exact: true }).click();
          assert.equal((await answer).status(), 422);
          const nameError = page.locator('.field:has(#f-name) [data-field-error="name"]');
          await nameError.waitFor();
          assert.match(await nameError.textContent() ?? "", /^Name must be a DNS label/);
          assert.match(
            await page.locator('.field:has(#f-replicas) [data-field-error="replicas"]')
              .textContent() ??
              "",
            /from 1 to 100/,
          );
          assert.equal(await page.locator("#f-name").getAttribute("aria-invalid"), "true");
          assert.match(await page.getByTestId("deploy-errors").textContent() ?? "", /2 fields/);
          assert.equal(page.url(), `${baseUrl}/workloads/new`, "still on the form");
          await page.screenshot({
            path: `${SCREENSHOTS}/workloads-new-errors-desktop-light.png`,
            fullPage: true,
          });
        },
      );

      await t.step(
        "a fixed form deploys and the workload page shows it reach running live",
        async () => {
          await page.getByLabel("Name").fill("cache");
          await page.getByLabel("Replicas").fill("1");
          await page.getByRole("button", { name: "Deploy", exact: true }).click();
          await page.waitForURL(/\/workloads\/[0-9a-f-]{36}$/);
          workloadId = page.url().split("/").pop()!;
          await hydrated(page, "WorkloadDetail");
          await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 7));
          const status = page.locator(".workload-summary [data-testid=workload-status]");
          assert.notEqual(await status.getAttribute("data-status"), "running", "deploys are held");
          sim!.release();
          await page.locator('.workload-summary [data-status="running"]').waitFor().catch(
            async (err) => {
              const server = await (await api(`/workloads/${workloadId}`, {}, user.token)).json();
              const shown = await page.locator(".workload-detail").evaluate((el) =>
                `${el.getAttribute("data-status")}, live=${
                  el.querySelector(".live-dot")?.textContent
                }`
              );
              throw new Error(
                `The page shows ${shown}; the server says ${JSON.stringify(server).slice(0, 800)}`,
                { cause: err },
              );
            },
          );
          await page.locator('.allocation-table [data-status="running"]').waitFor();
          await page.locator('.timeline li[data-kind="deployed"]').waitFor();
          assert.match(await page.getByTestId("detail-replicas").textContent() ?? "", /^1\/1/);
          assert.equal(
            await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker),
            7,
            "the page was not reloaded",
          );
        },
      );

      await t.step("the log tail follows, pauses and resumes", async () => {
        const tail = page.getByTestId("log-tail");
        await tail.filter({ hasText: "Ready to accept connections" }).waitFor();
        await tail.filter({ hasText: "tick 2" }).waitFor();
        await page.getByTestId("log-pause").click();
        const frozen = Number(await tail.getAttribute("data-lines"));
        await page.getByTestId("log-pause").filter({ hasText: /Resume \([1-9]\d* new\)/ })
          .waitFor();
        assert.equal(Number(await tail.getAttribute("data-lines")), frozen, "paused: no new lines");
        await page.getByTestId("log-pause").click();
        await waitFor(async () => Number(await tail.getAttribute("data-lines")) > frozen, {
          what: "lines after resume",
        });
      });

      await t.step("connection details appear on click and copy to the clipboard", async () => {
        assert.equal(await page.getByTestId("connection-url").count(), 0);
        const read = page.waitForResponse((r) => r.url().endsWith(`/${workloadId}/connection`));
        await page.getByTestId("reveal-connection").click();
        assert.equal((await read).status(), 200);
        const url = await page.getByTestId("connection-url").textContent() ?? "";
        assert.match(url, /^redis:\/\/:[^@]+@127\.0\.0\.1:40000\/0$/);
        await page.getByTestId("copy-connection").click();
        await page.locator(".copy-note", { hasText: "Copied" }).waitFor();
        assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
      });

      await t.step(
        "screenshots of the three pages, light and dark, desktop and phone",
        async () => {
          for (const v of VIEWPORTS) {
            for (const dark of [false, true]) {
              const shot = await open({ width: v.width, height: v.height }, dark);
              const suffix = `${v.name}-${dark ? "dark" : "light"}`;
              await shot.page.goto(`${baseUrl}/workloads`);
              await hydrated(shot.page, "WorkloadList");
              await shot.page.locator('.workload-list[data-live="live"]').waitFor();
              await shot.page.screenshot({
                path: `${SCREENSHOTS}/workloads-${suffix}.png`,
                fullPage: true,
              });
              await shot.page.goto(`${baseUrl}/workloads/new?template=redis`);
              await hydrated(shot.page, "DeployForm");
              await shot.page.screenshot({
                path: `${SCREENSHOTS}/workloads-new-${suffix}.png`,
                fullPage: true,
              });
              await shot.page.goto(`${baseUrl}/workloads/${workloadId}`);
              await hydrated(shot.page, "WorkloadDetail");
              await shot.page.getByTestId("log-tail").filter({ hasText: "tick" }).waitFor().catch(
                async (err) => {
                  const logs = await shot.page.locator(".workload-logs").evaluate((el) =>
                    `phase=${el.getAttribute("data-phase")}: ${el.textContent?.slice(0, 300)}`
                  );
                  throw new Error(`No log lines (${suffix}): ${logs}`, { cause: err });
                },
              );
              await shot.page.screenshot({
                path: `${SCREENSHOTS}/workload-detail-${suffix}.png`,
                fullPage: true,
              });
              await shot.page.goto(`${baseUrl}/workloads/${big.id}`);
              await shot.page.getByTestId("why-unplaced").waitFor();
              await shot.page.screenshot({
                path: `${SCREENSHOTS}/workload-pending-${suffix}.png`,
                fullPage: true,
              });
              await shot.context.close();
            }
          }
        },
      );

      await t.step(
        "stop turns it stopped live; delete asks first, then it leaves the list",
        async () => {
          await page.getByRole("button", { name: "Stop", exact: true }).click();
          await page.locator('.workload-summary [data-status="stopped"]').waitFor();
          await page.getByRole("button", { name: "Start", exact: true }).waitFor();

          await page.getByRole("button", { name: "Delete…" }).click();
          const dialog = page.locator("dialog.confirm-dialog");
          await dialog.waitFor();
          assert.match(await dialog.textContent() ?? "", /Delete cache\?/);
          await dialog.getByRole("button", { name: "Cancel" }).click();
          await dialog.waitFor({ state: "hidden" });
          assert.equal(page.url(), `${baseUrl}/workloads/${workloadId}`, "cancel keeps it");

          await page.getByRole("button", { name: "Delete…" }).click();
          await dialog.getByRole("button", { name: "Delete workload" }).click();
          await page.waitForURL(`${baseUrl}/workloads`);
          await hydrated(page, "WorkloadList");
          await page.locator(`tr[data-workload-id="${big.id}"]`).waitFor();
          assert.equal(await page.locator(`tr[data-workload-id="${workloadId}"]`).count(), 0);
          const res = await api(`/workloads/${workloadId}`, {}, user.token);
          assert.equal(res.status, 404);
          await res.body?.cancel();
        },
      );

      await context.close();
      // The only expected console errors are the 422 of the refused deploy.
      const unexpected = problems.filter((p) =>
        !(p.kind === "console" && /status of 422/.test(p.text) &&
          p.location === `${baseUrl}/api/v1/workloads:0`)
      );
      assert.deepEqual(unexpected, [], describeProblems(unexpected));
    });
  } finally {
    sim?.stop();
    await browser?.close();
    await app.close();
  }
});
