// `lattice-agent onboard` end to end: a real control plane process, the bundled agent (as
// installed) serving the onboarding page, both driven in Chromium (the page, and the dashboard's
// /device page in a second, admin-signed-in context). The started agent talks to the real Docker (it only lists
// containers and watches events).
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { gridToSchedule, HOURS_PRESETS } from "../agent/onboard/hours_grid.ts";
import { type AgentProcess, startAgent } from "./helpers/agent_process.ts";
import { stopBackgroundAgent } from "../agent/reset.ts";
import {
  chromiumPath,
  describeProblems,
  launchChromium,
  type PageProblem,
  signedInPage,
  watchProblems,
} from "./helpers/browser.ts";
import { signUpAdmin, startServer } from "./helpers/server.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DEFAULT_POOL = "00000000-0000-4000-8000-000000000001";
const ADMIN = { email: "admin@example.com", password: "admin password 123" };
const SHOTS = `${ROOT}test-output/screenshots`;

const ONBOARD_URL = /http:\/\/127\.0\.0\.1:\d+\/\?t=\S+/;

/** The agent's `onboard` (from the bundle, as installed) and the page's one-time address. */
async function startOnboard(args: string[]) {
  const agent = await startAgent(["onboard", ...args]);
  await agent.waitForOutput(ONBOARD_URL, 30_000);
  return { agent, url: agent.output().match(ONBOARD_URL)![0] };
}

/** The same step at a desktop and a phone width. */
async function screenshots(page: Page, name: string) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 1280 ? 900 : 844 });
    await page.screenshot({ path: `${SHOTS}/onboard-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

Deno.test("lattice-agent onboard walks a machine from nothing to online in Chromium", async () => {
  chromiumPath();
  await Deno.mkdir(SHOTS, { recursive: true });
  const server = await startServer();
  const stateDir = `${await Deno.makeTempDir({ prefix: "lattice-onboard-" })}/state`;
  const problems: PageProblem[] = [];
  let onboard: AgentProcess | null = null;
  let browser: Browser | undefined;
  try {
    const adminToken = await signUpAdmin(server.url, ADMIN);
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${server.url}/api/v1${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${adminToken}`,
          "content-type": "application/json",
          ...init.headers,
        },
      });
    const patched = await call(`/pools/${DEFAULT_POOL}`, {
      method: "PATCH",
      body: JSON.stringify({ autoApprove: true }),
    });
    assert.equal(patched.status, 200, await patched.clone().text());

    const started = await startOnboard([
      "--no-open",
      "--server",
      server.url,
      "--state-dir",
      stateDir,
    ]);
    onboard = started.agent;
    const url = started.url;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    await watchProblems(page, problems);
    await page.goto(url);
    assert.equal(new URL(page.url()).pathname, "/");
    assert.equal(new URL(page.url()).search, "", "the token left the address bar");

    // 1. System check: Docker is ready here.
    const checks = page.getByTestId("system-checks");
    await checks.getByText("Docker permitted").waitFor();
    const checkText = await checks.innerText();
    assert.match(checkText, /Docker installed: yes/);
    assert.match(checkText, /Docker running: yes/);
    assert.match(checkText, /Docker API: version \d+\.\d+/);
    assert.doesNotMatch(checkText, /\(problem\)/);
    await screenshots(page, "1-system");

    // 2. Sign in with a code, approved on the dashboard by a signed-in admin.
    await page.getByRole("button", { name: "Next" }).first().click();
    await page.getByRole("heading", { name: "2. Sign in" }).waitFor();
    assert.equal(await page.getByLabel("Control plane address").inputValue(), server.url);
    await page.getByRole("button", { name: "Get a code" }).click();
    await page.getByTestId("user-code").filter({ hasText: /^[A-Z0-9]{4}-[A-Z0-9]{4}$/ }).waitFor();
    const code = (await page.getByTestId("user-code").innerText()).trim();
    assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    const approveHref = await page.getByRole("link", { name: "Open the dashboard to approve it" })
      .getAttribute("href");
    assert.equal(approveHref, `${server.url}/device?code=${code}`);
    assert.match(await page.getByTestId("signin-status").innerText(), /Waiting for approval/);
    await screenshots(page, "2-signin");

    const { context: admin, page: dash } = await signedInPage(browser, server.url, ADMIN);
    await dash.goto(approveHref!);
    await dash.getByTestId("device-details").waitFor();
    await dash.getByLabel("Pool").selectOption({ label: "default" });
    await dash.getByRole("button", { name: "Approve" }).click();
    assert.match(await dash.getByTestId("device-result").innerText(), /Approved/);
    await admin.close();

    await page.getByTestId("signin-status").getByText("Approved").waitFor({ timeout: 30_000 });

    // 3. This machine: name and share.
    await page.getByRole("button", { name: "Next" }).first().click();
    await page.getByRole("heading", { name: "3. This machine" }).waitFor();
    await page.getByLabel("Name", { exact: true }).fill("onboarded-box");
    await page.getByLabel(/Maximum CPU/).evaluate((input: HTMLInputElement) => {
      input.value = "50";
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    assert.equal(await page.locator("#m-cpu-out").innerText(), "50%");
    await page.getByLabel("Memory (GiB)").fill("2");
    await screenshots(page, "3-machine");
    await page.getByRole("button", { name: "Join and save" }).click();
    await page.getByTestId("machine-status").getByText(/Joined as “onboarded-box” in pool default/)
      .waitFor();
    await page.getByRole("button", { name: "Save", exact: true }).waitFor();
    assert.equal(await page.locator("#m-pool").innerText(), "default");

    // 4. Hours: a preset plus one cell toggled.
    await page.getByRole("navigation", { name: "Steps" }).getByRole("button", {
      name: /Computation hours/,
    }).click();
    await page.getByRole("button", { name: "Evenings (18:00–08:00) and weekends" }).click();
    const cell = page.getByRole("button", { name: "Mon 09:00", exact: true });
    assert.equal(await cell.getAttribute("aria-pressed"), "false");
    await cell.click();
    assert.equal(await cell.getAttribute("aria-pressed"), "true");
    await screenshots(page, "4-hours");
    await page.getByRole("button", { name: "Save hours" }).click();
    await page.getByTestId("hours-status").getByText(/^Saved/).waitFor();

    // 5. Keep awake on.
    await page.getByRole("navigation", { name: "Steps" }).getByRole("button", {
      name: /Keep awake/,
    }).click();
    assert.match(await page.locator("#awake-explain").innerText(), /systemd-inhibit/);
    await page.getByLabel("Keep this machine awake during its computation hours").check();
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByTestId("awake-status").getByText(/stays awake/).waitFor();
    await screenshots(page, "5-awake");

    // 6. The service cannot be used in this container: the page says why; Start now instead.
    await page.getByRole("navigation", { name: "Steps" }).getByRole("button", {
      name: /Run in the background/,
    }).click();
    await page.getByTestId("service-why").getByText(/cannot be used here/).waitFor();
    assert.match(await page.getByTestId("service-why").innerText(), /systemctl --user|systemd/);
    assert.ok(await page.getByRole("button", { name: "Install", exact: true }).isDisabled());
    await page.getByRole("button", { name: "Start now" }).click();
    await page.getByTestId("bg-status").getByText(/Started the agent \(pid \d+\)/).waitFor();
    await screenshots(page, "6-background");

    // 7. Status reaches online.
    await page.getByRole("navigation", { name: "Steps" }).getByRole("button", {
      name: /Status/,
    }).click();
    await page.locator('#st-conn[data-state="online"]').waitFor({ timeout: 60_000 });
    await page.locator('#st-approval[data-state="approved"]').waitFor();
    assert.match(await page.locator("#st-work").innerText(), /^\d+$/);
    assert.match(await page.locator("#st-rank").innerText(), /^(\d+ of 1000|Not ranked yet: .*)$/);
    await screenshots(page, "7-status");

    // The control plane has what the page set.
    const stateJson = JSON.parse(await Deno.readTextFile(`${stateDir}/state.json`));
    const res = await call(`/nodes/${stateJson.nodeId}`);
    assert.equal(res.status, 200);
    const { node } = await res.json();
    assert.equal(node.name, "onboarded-box");
    assert.deepEqual(node.offer, { cpuPercent: 50, memoryMiB: 2048 });
    const grid = HOURS_PRESETS.find((p) => p.id === "evenings-weekends")!.grid.map((r) =>
      r.slice()
    );
    grid[1][9] = true;
    assert.deepEqual(node.schedule, gridToSchedule(grid, "UTC"));
    const settings = JSON.parse(await Deno.readTextFile(`${stateDir}/settings.json`));
    assert.equal(settings.keepAwake, true);

    // A reload resumes at the status step.
    await page.reload();
    await page.getByRole("heading", { name: "7. Status" }).waitFor();
    // Every step shows done once the status has been polled (online and approved).
    await page.locator(".steps li.done").nth(6).waitFor();
    assert.equal(await page.locator(".steps li.done").count(), 7);

    // Finish stops the page; the started agent keeps running.
    await page.getByRole("button", { name: "Finish" }).click();
    await page.getByRole("heading", { name: "All set" }).waitFor();
    assert.equal(await onboard.status, 0);
    assert.match(onboard.output(), /Onboarding page closed/);
    const pid = Number((await Deno.readTextFile(`${stateDir}/agent.pid`)).trim());
    assert.ok(Deno.readTextFileSync(`/proc/${pid}/stat`), "the agent outlives onboard");
    assert.equal(problems.length, 0, describeProblems(problems));
  } finally {
    await stopBackgroundAgent(stateDir);
    onboard?.kill("SIGTERM");
    await onboard?.status;
    await browser?.close();
    await server.stop();
    await Deno.remove(stateDir.replace(/\/state$/, ""), { recursive: true }).catch(() => {});
    await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
  }
});
