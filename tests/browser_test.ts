// End to end: Debian's real Chromium (through playwright-core) against the real control plane
// process, from the first-run setup page to signing back in. Screenshots of every page go to
// test-output/screenshots/.
import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page, Response } from "playwright-core";
import { startServer } from "./helpers/server.ts";
import {
  chromiumPath,
  describeProblems,
  launchChromium,
  type PageProblem,
  watchProblems,
} from "./helpers/browser.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const SCREENSHOTS = `${ROOT}test-output/screenshots`;
const EMAIL = "admin@example.com";
const PASSWORD = "correct horse battery staple";
/** Deadline for every wait: generous for a busy machine; status events come every 2 s. */
const TIMEOUT_MS = 15_000;
const NAV_LABELS = [
  "Overview",
  "Nodes",
  "Workloads",
  "Pools",
  "Approvals",
  "Leaderboard",
  "Join",
  "Settings",
];
/** Chromium's console line for a document answered with an error status. */
const ERROR_STATUS_LOG = /^Failed to load resource: the server responded with a status of \d{3}\b/;

Deno.test("an administrator sets up Lattice in a real browser, uses every page and signs back in", async (t) => {
  chromiumPath(); // Fails, naming the fix, before anything starts when Chromium is missing.
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const server = await startServer();
  const url = server.url;
  const problems: PageProblem[] = [];
  /** Documents the journey asks for with a wrong form or address (422, 401, 404 answers). */
  const expectedErrorDocuments = new Set<string>();
  let browser: Browser | undefined;
  let exitCode: number | undefined;
  try {
    browser = await launchChromium();
    const newPage = async (context: BrowserContext): Promise<Page> => {
      context.setDefaultTimeout(TIMEOUT_MS);
      const page = await context.newPage();
      await watchProblems(page, problems);
      return page;
    };
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await newPage(context);

    const screenshot = async (p: Page, name: string) => {
      await p.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
    };
    const heading = () => page.getByRole("heading", { level: 1 });
    const nav = () => page.getByRole("navigation", { name: "Main" });
    /** The response to the next `method` request for `path` (call before acting). */
    const nextResponse = (method: string, path: string): Promise<Response> =>
      page.waitForResponse((r) => r.request().method() === method && r.url() === `${url}${path}`);
    /** Wait until the health island shows `state`, saying what it shows instead on timeout. */
    const waitForHealth = async (p: Page, state: string) => {
      try {
        await p.locator(`section.health[data-state="${state}"]`).waitFor();
      } catch (err) {
        const shown = await p.locator("section.health").evaluate((el) =>
          `data-state=${el.getAttribute("data-state")}, ` +
          `data-updates=${el.querySelector("[data-updates]")?.getAttribute("data-updates")}, ` +
          `hydrated=${el.closest("lattice-island")?.getAttribute("data-hydrated") ?? "no"}`
        ).catch(() => "no section.health");
        throw new Error(
          `The health island did not reach data-state="${state}" within ${TIMEOUT_MS} ms ` +
            `(it shows ${shown})`,
          { cause: err },
        );
      }
    };
    /**
     * Run one part of the journey. A failed part fails the test; `fatal` parts also end the
     * journey, because what follows depends on them.
     */
    const step = async (name: string, fn: () => Promise<void>, options = { fatal: false }) => {
      const ok = await t.step(name, fn);
      if (!ok && options.fatal) throw new Error(`Stopping the journey: "${name}" failed`);
    };

    await step(
      "a first visit goes to setup, which refuses a mismatched confirmation and then creates the administrator",
      async () => {
        const visit = await page.goto(`${url}/`);
        assert.ok(visit, "navigating to / gave no response");
        assert.equal(visit.status(), 200);
        assert.equal(visit.request().redirectedFrom()?.url(), `${url}/`, "/ did not redirect");
        assert.equal(page.url(), `${url}/setup`);
        assert.equal(await heading().textContent(), "Set up Lattice");
        assert.match(
          await page.locator(".lede").innerText(),
          /The account you create now is the administrator/,
        );
        await screenshot(page, "01-setup");

        await page.getByLabel("Email").fill(EMAIL);
        await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
        await page.getByLabel("Confirm password").fill(`${PASSWORD} but different`);
        expectedErrorDocuments.add(`${url}/setup`);
        const refused = nextResponse("POST", "/setup");
        await page.getByRole("button", { name: "Create admin account" }).click();
        assert.equal((await refused).status(), 422);
        const error = page.locator('[data-field-error="confirm"]');
        await error.waitFor();
        assert.equal(await error.textContent(), "Confirmation does not match");
        // Next to its field (in the same .field) and announced with it.
        const confirmField = page.locator(".field", { has: page.locator("#f-confirm") });
        assert.equal(await confirmField.locator('[data-field-error="confirm"]').count(), 1);
        const confirm = page.locator("#f-confirm");
        assert.equal(await confirm.getAttribute("aria-invalid"), "true");
        assert.match((await confirm.getAttribute("aria-describedby")) ?? "", /\bf-confirm-error\b/);
        assert.equal(await page.locator("[data-field-error]").count(), 1, "only confirm is wrong");
        assert.equal(await page.getByLabel("Email").inputValue(), EMAIL, "the email was kept");

        await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
        await page.getByLabel("Confirm password").fill(PASSWORD);
        const created = nextResponse("POST", "/setup");
        await page.getByRole("button", { name: "Create admin account" }).click();
        assert.equal((await created).status(), 303);
        await page.waitForURL(`${url}/`);
        assert.equal(await heading().textContent(), "Overview");
      },
      { fatal: true },
    );

    await step(
      "the shell shows the signed-in administrator and marks the current page in the navigation",
      async () => {
        assert.equal(await page.getByTestId("user-email").textContent(), EMAIL);
        const badge = page.locator(".topbar-user .badge");
        assert.equal(await badge.textContent(), "admin");
        assert.match((await badge.getAttribute("class")) ?? "", /\bbadge-admin\b/);

        const labels = (await nav().getByRole("link").allTextContents()).map((s) => s.trim());
        assert.deepEqual(labels.slice(0, NAV_LABELS.length), NAV_LABELS, "nav links in order");
        assert.ok(labels.includes("Audit log"), "admins also see the audit log");
        const current = nav().locator('a[aria-current="page"]');
        assert.equal(await current.count(), 1, "exactly one current link");
        assert.equal(await current.textContent(), "Overview");
        assert.equal(await current.getAttribute("href"), "/");
      },
    );

    await step("the overview's island scripts load and the island hydrates", async () => {
      // What the server sends: not connected, no updates, not hydrated.
      const served = await context.request.get(`${url}/`);
      assert.equal(served.status(), 200);
      const html = await served.text();
      assert.match(html, /<section[^>]*class="panel health"[^>]*data-state="connecting"/);
      assert.match(html, /data-testid="health-updates"[^>]*data-updates="0"/);
      assert.match(html, /<lattice-island data-island="ServerHealth"/);
      assert.doesNotMatch(html, /data-hydrated/);

      const modules = await page.evaluate(() => [
        ...[...document.querySelectorAll<HTMLScriptElement>("script[type=module]")]
          .map((s) => s.src),
        ...[...document.querySelectorAll<HTMLLinkElement>("link[rel=modulepreload]")]
          .map((l) => l.href),
        ...[...document.querySelectorAll<HTMLElement>("lattice-island")]
          .map((el) => new URL(el.dataset.src ?? "", location.href).href),
      ]);
      assert.ok(modules.length >= 2, `module URLs on the overview: ${modules.join(", ")}`);
      for (const src of new Set(modules)) {
        const res = await context.request.get(src);
        assert.equal(res.status(), 200, `${src} answers ${res.status()}`);
        assert.match(res.headers()["content-type"] ?? "", /^text\/javascript/, src);
      }

      await page.locator('lattice-island[data-hydrated="true"]').first()
        .waitFor({ state: "attached" })
        .catch((err) => {
          throw new Error(
            `The island never hydrated (no lattice-island[data-hydrated="true"] within ` +
              `${TIMEOUT_MS} ms)`,
            { cause: err },
          );
        });
    });

    await step(
      "the health island goes live and keeps updating from server-sent events",
      async () => {
        try {
          // Only client code can change data-state and data-updates.
          await waitForHealth(page, "live");
          assert.equal(await page.getByTestId("health-state").textContent(), "Live");
          const updates = page.getByTestId("health-updates");
          const first = Number(await updates.getAttribute("data-updates"));
          const firstTime = await updates.locator("time").getAttribute("datetime");
          assert.ok(first >= 1, `data-updates is ${first} although the island is live`);
          await page.waitForFunction(
            (before) => {
              const el = document.querySelector<HTMLElement>('[data-testid="health-updates"]');
              const n = Number(el?.dataset.updates);
              return n > before && n >= 2;
            },
            first,
            { timeout: TIMEOUT_MS },
          );
          const laterTime = await updates.locator("time").getAttribute("datetime");
          assert.notEqual(laterTime, firstTime, "a later event shows a later server time");
        } finally {
          await screenshot(page, "03-overview");
        }
      },
    );

    await step("only pages with islands ship a script", async () => {
      assert.equal(await page.locator("script").count(), 1, "the overview has one script");
      assert.equal(await page.locator('script[type="module"]').count(), 1);

      await nav().getByRole("link", { name: "Nodes", exact: true }).click();
      await page.waitForURL(`${url}/nodes`);
      assert.equal(await heading().textContent(), "Nodes");
      assert.equal(await page.locator("script").count(), 0, "/nodes has no script element");
      assert.equal(await page.locator('link[rel="modulepreload"]').count(), 0);
    });

    /** Open a dashboard page from the sidebar and check it is the one marked current. */
    const openFromNav = async (label: string, path: string, title: string) => {
      const response = nextResponse("GET", path);
      await nav().getByRole("link", { name: label, exact: true }).click();
      assert.equal((await response).status(), 200, `${path} status`);
      await page.waitForURL(`${url}${path}`);
      assert.equal(await heading().textContent(), title);
      const current = nav().locator('a[aria-current="page"]');
      assert.equal(await current.count(), 1, `exactly one current link on ${path}`);
      assert.equal(await current.textContent(), label);
      // Only pages with islands ship a script.
      if (await page.locator("lattice-island").count() === 0) {
        assert.equal(await page.locator("script").count(), 0, `${path} ships no script`);
      }
    };

    await step("every dashboard page opens from the navigation", async () => {
      await openFromNav("Nodes", "/nodes", "Nodes");
      await screenshot(page, "04-nodes");
      await openFromNav("Workloads", "/workloads", "Workloads");
      await screenshot(page, "05-workloads");
      await openFromNav("Pools", "/pools", "Pools");
      const pools = await page.locator("[data-pool] h2 code").allTextContents();
      assert.ok(pools.includes("default"), `pools listed: ${pools.join(", ")}`);
      await screenshot(page, "06-pools");
      await openFromNav("Approvals", "/approvals", "Approvals");
      await screenshot(page, "07-approvals");
      await openFromNav("Leaderboard", "/leaderboard", "Leaderboard");
      await screenshot(page, "08-leaderboard");
    });

    await step(
      "an API token created in Settings is shown once and works against the JSON API",
      async () => {
        await openFromNav("Settings", "/settings", "Settings");
        await page.getByLabel("Name").fill("ci");
        const created = nextResponse("POST", "/settings");
        await page.getByRole("button", { name: "Create token" }).click();
        assert.equal((await created).status(), 201);
        const shown = page.getByTestId("new-token");
        await shown.waitFor();
        const secret = ((await shown.textContent()) ?? "").trim();
        assert.ok(secret.startsWith("lat_"), `the new token is ${JSON.stringify(secret)}`);
        const names = await page.locator("table tbody tr td:first-child").allTextContents();
        assert.ok(names.includes("ci"), `tokens listed: ${names.join(", ")}`);
        await screenshot(page, "09-settings");

        const res = await fetch(`${url}/api/v1/me`, {
          headers: { Authorization: `Bearer ${secret}` },
        });
        assert.equal(res.status, 200);
        const me = await res.json();
        assert.equal(me.user.email, EMAIL);
        assert.equal(me.user.role, "admin");
        assert.equal(me.auth.method, "token");
      },
    );

    await step("the audit log shows the account, the sign-in and the new token", async () => {
      await openFromNav("Audit log", "/audit", "Audit log");
      const rows = page.locator("table tbody tr");
      const actions = await rows.locator("td:nth-child(3) code").allTextContents();
      for (const action of ["auth.register", "auth.login", "token.create"]) {
        assert.ok(actions.includes(action), `no ${action} in audit actions: ${actions.join(", ")}`);
      }
      const login = rows.filter({ has: page.locator("code", { hasText: /^auth\.login$/ }) })
        .first();
      assert.equal(await login.locator("td:nth-child(2)").textContent(), EMAIL);
      assert.equal(await login.locator(".badge").textContent(), "success");
      await screenshot(page, "10-audit");
    });

    await step("an unknown address shows the 404 page", async () => {
      expectedErrorDocuments.add(`${url}/no-such-page`);
      const res = await page.goto(`${url}/no-such-page`);
      assert.equal(res?.status(), 404);
      assert.equal(await heading().textContent(), "Page not found");
      assert.equal(await page.locator(".error-status").textContent(), "404");
      assert.equal(await page.locator("script").count(), 0);
      await screenshot(page, "11-not-found");
    });

    await step(
      "signing out ends the session, and signing in again returns to the page asked for",
      async () => {
        await page.goto(`${url}/settings`);
        const signedOut = nextResponse("POST", "/logout");
        await page.getByRole("button", { name: "Sign out" }).click();
        assert.equal((await signedOut).status(), 303);
        await page.waitForURL(`${url}/login`);
        assert.equal(await heading().textContent(), "Sign in");
        await screenshot(page, "02-login");
        const me = await context.request.get(`${url}/api/v1/me`);
        assert.equal(me.status(), 401, "the session cookies no longer work");

        const visit = await page.goto(`${url}/settings`);
        assert.equal(visit?.status(), 200);
        assert.equal(page.url(), `${url}/login?next=%2Fsettings`);
        assert.equal(await page.locator('input[name="next"]').inputValue(), "/settings");

        expectedErrorDocuments.add(`${url}/login`);
        await page.getByLabel("Email").fill(EMAIL);
        await page.getByLabel("Password").fill("not the password at all");
        const refused = nextResponse("POST", "/login");
        await page.getByRole("button", { name: "Sign in" }).click();
        assert.equal((await refused).status(), 401);
        const alert = page.locator(".alert-error");
        await alert.waitFor();
        assert.equal(await alert.getAttribute("role"), "alert");
        assert.equal(await alert.textContent(), "Email or password is wrong");
        assert.equal(await page.getByLabel("Email").inputValue(), EMAIL, "the email was kept");
        assert.equal(await page.locator('input[name="next"]').inputValue(), "/settings");

        await page.getByLabel("Password").fill(PASSWORD);
        const accepted = nextResponse("POST", "/login");
        await page.getByRole("button", { name: "Sign in" }).click();
        assert.equal((await accepted).status(), 303);
        await page.waitForURL(`${url}/settings`);
        assert.equal(await heading().textContent(), "Settings");
        assert.equal(await page.getByTestId("user-email").textContent(), EMAIL);
      },
      { fatal: true },
    );

    /** Open the overview in a new context signed in as the main one, and screenshot it. */
    const overviewIn = async (
      name: string,
      options: Parameters<Browser["newContext"]>[0],
      check: (p: Page) => Promise<void> = async () => {},
    ) => {
      const other = await browser!.newContext({
        ...options,
        storageState: await context.storageState(),
      });
      try {
        const p = await newPage(other);
        await p.goto(`${url}/`);
        try {
          await check(p);
          await waitForHealth(p, "live");
        } finally {
          await screenshot(p, name);
        }
      } finally {
        await other.close();
      }
    };

    await step("the overview works at phone width", async () => {
      await overviewIn("12-overview-phone", {
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
      });
    });

    await step("the overview uses the dark palette when the system asks for it", async () => {
      await overviewIn(
        "13-overview-dark",
        { viewport: { width: 1280, height: 800 }, colorScheme: "dark" },
        async (p) => {
          const background = await p.evaluate(() =>
            getComputedStyle(document.body).backgroundColor
          );
          assert.equal(background, "rgb(17, 20, 24)", "the dark palette's --bg applies");
        },
      );
    });

    await step(
      "no page logged a console error, threw, or broke the Content Security Policy",
      () => {
        // Chromium logs every error-status document; only the ones the journey asked for are fine.
        const unexpected = problems.filter((p) =>
          !(p.kind === "console" && ERROR_STATUS_LOG.test(p.text) &&
            expectedErrorDocuments.has((p.location ?? "").replace(/:\d+$/, "")))
        );
        assert.deepEqual(unexpected, [], `problems in pages:\n${describeProblems(unexpected)}`);
        return Promise.resolve();
      },
    );
  } catch (err) {
    if (problems.length) console.error(`Problems seen in pages:\n${describeProblems(problems)}`);
    console.error(
      `Control plane output (last 40 lines):\n${
        server.output().trimEnd().split("\n").slice(-40).join("\n")
      }`,
    );
    throw err;
  } finally {
    await browser?.close();
    exitCode = await server.stop();
  }
  assert.equal(exitCode, 0, `the control plane exited with ${exitCode}:\n${server.output()}`);
});
