// The Nodes pages: server-rendered HTML of /nodes (filter, sort, pagination, access) and
// /nodes/:id, the batched node stream they use, and a real Chromium run (live status, drain,
// label edit with a field error, screenshots at desktop and phone widths, light and dark).
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { appTest, json, signUp, startTestApp, type TestApp, USER } from "./helpers/app.ts";
import { seedNodes } from "./helpers/node_seed.ts";
import { EventReader } from "./helpers/event_reader.ts";
import { createJoinToken, SimAgent, simMetrics } from "./helpers/sim_agent.ts";
import {
  chromiumPath,
  describeProblems,
  launchChromium,
  type PageProblem,
  watchProblems,
} from "./helpers/browser.ts";

/** The admin's cookie headers for page requests. */
async function adminPages(app: TestApp) {
  const admin = await signUp(app);
  return {
    admin,
    get: (path: string) => app.request(path, { headers: { cookie: admin.jar.header() } }),
  };
}

/** Node names of the rows of a rendered list, in order. */
function rowNames(html: string): string[] {
  return [...html.matchAll(/<a href="\/nodes\/[0-9a-f-]{36}" class="node-name">([^<]+)<\/a>/g)]
    .map((m) => m[1]);
}

/** The props the server gave island `name` (its first use on the page). */
function islandProps(html: string, name: string): Record<string, unknown> {
  const m = new RegExp(`<lattice-island data-island="${name}"[^>]*data-props="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no ${name} island`);
  const text = m[1].replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
  return JSON.parse(text);
}

/** The status badges of the rows, in order. */
function rowStatuses(html: string): string[] {
  return [...html.matchAll(/data-testid="node-status" data-status="([^"]+)"/g)].map((m) => m[1]);
}

appTest("GET /nodes pages, sorts and filters 120 nodes on the server", async (app) => {
  const { get } = await adminPages(app);
  await seedNodes(app.db, 120, { metricsSeconds: 300, intervalSeconds: 10 });

  const first = await get("/nodes");
  assert.equal(first.status, 200);
  const html = await first.text();
  assert.equal(rowNames(html).length, 50, "50 rows a page");
  assert.equal(rowNames(html)[0], "node-0001", "sorted by name by default");
  assert.match(html, /data-testid="nodes-range">1–50 of 120</);
  assert.match(html, /<a class="button button-small" rel="next" href="\/nodes\?page=2">/);
  assert.match(html, /<lattice-island data-island="NodeTable"/);
  assert.doesNotMatch(html, /col-cluster|node-cluster/, "no Cluster column while no node has one");
  // Sparklines are drawn from the seeded heartbeats, and each row shows a tier badge.
  assert.ok((html.match(/<polyline points="[\d.]+,[\d.]+ /g) ?? []).length >= 100);
  assert.match(html, /class="tier tier-(new|bronze|silver|gold|platinum)"/);
  // Computation hours summarised: node-0005 has weekday hours.
  assert.match(html, /Mon–Fri 09:00–17:00 \(Europe\/Berlin\)/);
  // The live island subscribes to exactly the rows on the page, batched.
  const stream = islandProps(html, "NodeTable").streamUrl as string;
  assert.ok(stream.startsWith("/api/v1/nodes/stream?batchMs=500&ids="), stream);
  assert.equal(stream.split("ids=")[1].split(",").length, 50);

  const third = await (await get("/nodes?page=3")).text();
  assert.equal(rowNames(third).length, 20);
  assert.equal(rowNames(third)[0], "node-0101");
  assert.match(third, /<a class="button button-small" rel="prev" href="\/nodes\?page=2">/);
  assert.match(third, /<span class="button button-small" aria-disabled="true">Next<\/span>/);

  const desc = rowNames(await (await get("/nodes?sort=name&order=desc")).text());
  assert.equal(desc[0], "node-0120");

  const byRank = await (await get("/nodes?sort=rank")).text();
  const ranks = [...byRank.matchAll(/class="node-rank-value">(\d+)</g)].map((m) => Number(m[1]));
  assert.equal(ranks.length, 50);
  assert.deepEqual(ranks, [...ranks].sort((a, b) => b - a), "best rank first");
  // The header links to the other direction of the current sort, without JavaScript.
  assert.match(byRank, /aria-sort="descending"><a href="\/nodes\?sort=rank&amp;order=asc"/);

  const offline = await (await get("/nodes?status=offline")).text();
  assert.equal(rowNames(offline).length, 12, "every tenth node is offline");
  // node-0050 and node-0100 are offline too, but waiting for approval says more.
  assert.equal(rowStatuses(offline).filter((s) => s === "Offline").length, 10);
  assert.equal(rowStatuses(offline).filter((s) => s === "Pending").length, 2);
  assert.match(offline, /<option value="offline" selected>/);

  const pending = rowNames(await (await get("/nodes?approval=pending")).text());
  assert.deepEqual(pending, ["node-0025", "node-0050", "node-0075", "node-0100"]);

  assert.equal(rowNames(await (await get("/nodes?q=zone%3Dz1")).text()).length, 30);
  assert.deepEqual(
    rowNames(await (await get("/nodes?q=NODE-011")).text()),
    Array.from({ length: 10 }, (_, i) => `node-011${i}`),
    "search by part of the name, case-insensitive",
  );
  // A search with LIKE wildcards matches them literally.
  const none = await (await get("/nodes?q=%25")).text();
  assert.equal(rowNames(none).length, 0);
  assert.match(none, /No nodes match/);

  // Bad parameters are ignored, not refused: the list still shows.
  const lenient = await get("/nodes?sort=bogus&status=nope&page=-3&pool=not-a-uuid");
  assert.equal(lenient.status, 200);
  assert.equal(rowNames(await lenient.text())[0], "node-0001");
});

appTest(
  "machines of one cluster are shown together, filtered in the page and the API",
  async (app) => {
    const { admin, get } = await adminPages(app);
    await seedNodes(app.db, 8);
    // node-0002, -0005 and -0007 joined with --cluster lab; node-0003 with --cluster attic.
    const join = async (cluster: string, names: string[]) => {
      await app.db.query(
        `UPDATE nodes SET labels = labels || jsonb_build_object('lattice.cluster', $1::text)
       WHERE name = ANY($2::text[])`,
        [cluster, names],
      );
    };
    await join("lab", ["node-0002", "node-0005", "node-0007"]);
    await join("attic", ["node-0003"]);

    const html = await (await get("/nodes?sort=cluster")).text();
    assert.deepEqual(
      rowNames(html).slice(0, 4),
      ["node-0003", "node-0002", "node-0005", "node-0007"],
      "clusters A to Z, a cluster's machines together, nodes outside any cluster after",
    );
    assert.match(
      html,
      /<td class="node-cluster" data-label="Cluster"><a href="\/nodes\?cluster=lab">lab<\/a>/,
    );
    assert.match(html, /<option value="lab">lab \(3\)<\/option>/);
    assert.match(html, /<option value="attic">attic \(1\)<\/option>/);
    assert.deepEqual(rowNames(await (await get("/nodes?cluster=lab")).text()), [
      "node-0002",
      "node-0005",
      "node-0007",
    ]);

    const api = async (query: string) =>
      await app.request(`/api/v1/nodes?${query}`, {
        headers: { authorization: `Bearer ${admin.token}` },
      });
    const listed = await (await api("cluster=lab&sort=name")).json();
    assert.deepEqual(listed.nodes.map((n: { name: string }) => n.name), [
      "node-0002",
      "node-0005",
      "node-0007",
    ]);
    const bad = await api("cluster=Not%20A%20Label");
    assert.equal(bad.status, 422);
    assert.equal((await bad.json()).error.details[0].path, "cluster");
  },
);

appTest("GET /nodes without nodes says how to add one", async (app) => {
  const { get } = await adminPages(app);
  const html = await (await get("/nodes")).text();
  assert.match(html, /No nodes yet/);
  assert.match(html, /<a href="\/join">Join<\/a>/);
  assert.doesNotMatch(html, /data-island="NodeTable"/);
});

appTest(
  "node pages are for admins: others get 403, signed-out visitors go to sign in",
  async (app) => {
    const { admin } = await adminPages(app);
    const [id] = await seedNodes(app.db, 1);
    const user = await signUp(app, USER);
    for (const path of ["/nodes", `/nodes/${id}`]) {
      const res = await app.request(path, { headers: { cookie: user.jar.header() } });
      assert.equal(res.status, 403, path);
      await res.body?.cancel();
      const anon = await app.request(path);
      assert.equal(anon.status, 303, path);
      assert.match(anon.headers.get("location") ?? "", /^\/login\?next=/);
    }
    const metrics = await app.request(`/api/v1/nodes/${id}/metrics`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    assert.equal(metrics.status, 403);
    await metrics.body?.cancel();
    assert.ok(admin.token);
  },
  { env: { LATTICE_REGISTRATION: "open" } },
);

appTest(
  "GET /nodes/:id shows capabilities, charts, rank parts, events and the admin panel",
  async (app) => {
    const { get } = await adminPages(app);
    const [id] = await seedNodes(app.db, 1, { metricsSeconds: 600, intervalSeconds: 10 });
    await app.db.query(
      `UPDATE nodes SET rank_parts = $2::text::jsonb WHERE id = $1`,
      [
        id,
        JSON.stringify({
          availability: 0.9,
          jobSuccess: 0.5,
          resources: 0.25,
          heartbeatStability: 1,
          tenure: 0.1,
        }),
      ],
    );
    await app.db.query(
      `INSERT INTO node_events (node_id, seq, at, kind, data)
     VALUES ($1, 1, now(), 'docker', '{"message":"Docker is back"}'::jsonb)`,
      [id],
    );
    const res = await get(`/nodes/${id}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<h1>node-0001<\/h1>/);
    assert.match(html, /8 cores · Seeded CPU/);
    assert.match(html, /120 GiB free of 200 GiB/);
    assert.match(html, /24\.0\.7 \(API 1\.43\)/);
    assert.match(html, /↓ 100 Mbit\/s · ↑ 40 Mbit\/s/);
    for (const chart of ["chart-cpu", "chart-memory", "chart-network"]) {
      const at = html.indexOf(`data-testid="${chart}"`);
      assert.ok(at > 0, chart);
      assert.match(html.slice(at, at + 3000), /class="chart-line/, `${chart} has a line`);
    }
    assert.match(html, /Availability \(30 days\)[\s\S]*?90%/);
    assert.match(html, /Docker is back/);
    assert.match(html, /<lattice-island data-island="NodeAdmin"/);
    assert.match(html, /<lattice-island data-island="NodeLive"/);
    assert.match(html, /Nothing runs here yet/);

    assert.equal((await get("/nodes/not-a-uuid")).status, 404);
    assert.equal((await get(`/nodes/${crypto.randomUUID()}`)).status, 404);
  },
);

appTest("GET /api/v1/nodes/:id/metrics returns buckets and refuses bad minutes", async (app) => {
  const { admin } = await adminPages(app);
  const auth = { authorization: `Bearer ${admin.token}` };
  const [id] = await seedNodes(app.db, 1, { metricsSeconds: 600, intervalSeconds: 10 });
  const res = await app.request(`/api/v1/nodes/${id}/metrics?minutes=5`, { headers: auth });
  assert.equal(res.status, 200);
  const body = await res.json();
  // 5 minutes in about 120 buckets, but never below the 5 s heartbeat.
  assert.equal(body.bucketSeconds, 5);
  assert.ok(body.points.length >= 25 && body.points.length <= 32, String(body.points.length));
  assert.equal(body.points[0].memoryTotalBytes, 8 * 1024 ** 3);
  assert.ok(Date.parse(body.points[0].at) < Date.parse(body.points.at(-1).at));

  const bad = await app.request(`/api/v1/nodes/${id}/metrics?minutes=0`, { headers: auth });
  assert.equal(bad.status, 422);
  assert.equal((await bad.json()).error.details[0].path, "minutes");
  const missing = await app.request(`/api/v1/nodes/${crypto.randomUUID()}/metrics`, {
    headers: auth,
  });
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

appTest(
  "the node stream in batch mode sends only the requested nodes, several per event",
  async (app) => {
    const { admin } = await adminPages(app);
    const auth = { authorization: `Bearer ${admin.token}` };
    const ids = await seedNodes(app.db, 5);
    const watched = ids.slice(0, 3);

    const bad = await app.request("/api/v1/nodes/stream?ids=nope&batchMs=10", { headers: auth });
    assert.equal(bad.status, 422);
    const paths = (await bad.json()).error.details.map((d: { path: string }) => d.path).sort();
    assert.deepEqual(paths, ["batchMs", "ids"]);

    const controller = new AbortController();
    const res = await app.request(`/api/v1/nodes/stream?batchMs=200&ids=${watched.join(",")}`, {
      headers: auth,
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    const events = new EventReader(res);
    try {
      const snapshot = await events.next();
      assert.equal(snapshot.event, "snapshot");
      const snapIds = (snapshot.data as { nodes: { id: string }[] }).nodes.map((n) => n.id);
      assert.deepEqual(snapIds.sort(), [...watched].sort());

      // Changes to two watched nodes and one other, within one batch window.
      for (const id of [watched[0], watched[1], ids[4]]) {
        const r = await app.request(
          `/api/v1/nodes/${id}`,
          json({ drained: true }, { method: "PATCH", headers: auth }),
        );
        assert.equal(r.status, 200);
        await r.body?.cancel();
      }
      const got = new Map<string, boolean>();
      const deadline = Date.now() + 5000;
      while (got.size < 2 && Date.now() < deadline) {
        const e = await events.next(deadline - Date.now());
        assert.equal(e.event, "nodes");
        const data = e.data as { nodes: { id: string; drained: boolean }[]; deleted: string[] };
        assert.deepEqual(data.deleted, []);
        for (const n of data.nodes) got.set(n.id, n.drained);
      }
      assert.deepEqual([...got.keys()].sort(), [watched[0], watched[1]].sort());
      assert.ok([...got.values()].every(Boolean));
    } finally {
      controller.abort();
      await events.close();
    }
  },
);

// ---------------------------------------------------------------- in Chromium

const SCREENSHOTS = new URL("../test-output/screenshots/", import.meta.url).pathname;
const TIMEOUT_MS = 15_000;

Deno.test("in Chromium, the Nodes pages update live and their admin actions persist", async (t) => {
  chromiumPath();
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const app = await startTestApp("pglite");
  const problems: PageProblem[] = [];
  let browser: Browser | undefined;
  let agent: SimAgent | undefined;
  try {
    const base = app.listen();
    const admin = await signUp(app);
    const auth = { authorization: `Bearer ${admin.token}` };
    const ids = await seedNodes(app.db, 60, { metricsSeconds: 600, intervalSeconds: 10 });
    // A simulated agent (real protocol over a real WebSocket), named to sort first.
    agent = await SimAgent.join(
      base,
      await createJoinToken(base, admin.token, { maxUses: 1 }),
      "alpha-live",
    );
    const approved = await app.request(`/api/v1/nodes/${agent.nodeId}/approve`, {
      method: "POST",
      headers: auth,
    });
    assert.equal(approved.status, 200);
    await approved.body?.cancel();
    assert.equal((await agent.handshake()).type, "welcome");
    await agent.acked(agent.heartbeat(simMetrics(30)));

    browser = await launchChromium();
    const open = async (viewport: { width: number; height: number }, dark = false) => {
      const context = await browser!.newContext({
        viewport,
        colorScheme: dark ? "dark" : "light",
      });
      context.setDefaultTimeout(TIMEOUT_MS);
      await context.addCookies(
        [...admin.jar.cookies].map(([name, value]) => ({ name, value, url: base })),
      );
      const page = await context.newPage();
      await watchProblems(page, problems);
      return { context, page };
    };
    const { context, page } = await open({ width: 1280, height: 800 });
    const row = (id: string) => page.locator(`tr[data-node-id="${id}"]`);

    await t.step("a node going offline changes its badge without a reload", async () => {
      await page.goto(`${base}/nodes`);
      await page.locator('lattice-island[data-island="NodeTable"][data-hydrated="true"]').waitFor();
      await page.locator('.node-table[data-live="live"]').waitFor();
      assert.equal(await row(agent!.nodeId).locator(".node-name").textContent(), "alpha-live");
      assert.equal(await row(agent!.nodeId).getByTestId("node-status").textContent(), "Online");
      await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
      const before = await row(agent!.nodeId).boundingBox();

      // A heartbeat moves the CPU figure; then the agent leaves and the node goes offline.
      await agent!.acked(agent!.heartbeat(simMetrics(77)));
      await row(agent!.nodeId).locator(".sparkline-value", { hasText: "77%" }).waitFor();
      agent!.close();
      await row(agent!.nodeId).locator('[data-status="Offline"]').waitFor();
      assert.equal(
        await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker),
        42,
        "the page was not reloaded",
      );
      const after = await row(agent!.nodeId).boundingBox();
      assert.deepEqual(after, before, "the row kept its place and size");
    });

    await t.step("filtering and paging work as plain links and forms", async () => {
      await page.getByLabel("Status").selectOption("offline");
      await page.getByRole("button", { name: "Apply" }).click();
      await page.waitForURL(/status=offline/);
      const statuses = await page.getByTestId("node-status").allTextContents();
      assert.ok(statuses.length > 0 && statuses.every((s) => s === "Offline" || s === "Pending"));
      await page.goto(`${base}/nodes`);
      await page.getByRole("link", { name: "Next" }).click();
      await page.waitForURL(`${base}/nodes?page=2`);
      assert.match(await page.getByTestId("nodes-range").textContent() ?? "", /^51–61 of 61$/);
    });

    await t.step(
      "drain and labels are saved through the API; a bad label shows its error",
      async () => {
        const id = ids[1];
        await page.goto(`${base}/nodes/${id}`);
        await page.locator('lattice-island[data-island="NodeAdmin"][data-hydrated="true"]')
          .waitFor();
        await page.getByTestId("drain-toggle").click();
        await page.getByTestId("saved-drain").filter({ hasText: "Drained" }).waitFor();
        assert.equal(await page.getByTestId("drain-toggle").textContent(), "Undrain");
        const drained = await (await app.request(`/api/v1/nodes/${id}`, { headers: auth })).json();
        assert.equal(drained.node.drained, true);

        const labels = page.getByLabel("One key=value per line");
        await labels.fill("zone=eu-west\nbad key!=x");
        await page.getByRole("button", { name: "Save labels" }).click();
        const error = page.locator('[data-field-error="labels"]');
        await error.waitFor();
        assert.match(await error.textContent() ?? "", /^"bad key!" is not a valid label key/);
        assert.equal(await labels.getAttribute("aria-invalid"), "true");
        const unchanged = await (await app.request(`/api/v1/nodes/${id}`, { headers: auth }))
          .json();
        assert.equal(unchanged.node.labels.zone, "z2", "nothing was saved");

        await labels.fill("zone=eu-west\nrole=db");
        await page.getByRole("button", { name: "Save labels" }).click();
        await page.getByTestId("saved-labels").filter({ hasText: "Labels saved" }).waitFor();
        assert.equal(await error.count(), 0, "the error is gone");
        const saved = await (await app.request(`/api/v1/nodes/${id}`, { headers: auth })).json();
        assert.deepEqual(saved.node.labels, { zone: "eu-west", role: "db" });
        assert.equal(saved.node.labelsPinned, true);
      },
    );

    await t.step("screenshots at desktop and phone widths, light and dark", async () => {
      await context.close();
      for (
        const [width, viewport] of [["desktop", { width: 1280, height: 800 }], [
          "phone",
          { width: 390, height: 844 },
        ]] as const
      ) {
        for (const scheme of ["light", "dark"] as const) {
          const shot = await open(viewport, scheme === "dark");
          for (const [name, path] of [["nodes", "/nodes"], ["node-detail", `/nodes/${ids[4]}`]]) {
            await shot.page.goto(`${base}${path}`);
            await shot.page.locator("lattice-island[data-hydrated]").first().waitFor();
            await shot.page.locator('[data-live="live"]').first().waitFor();
            await shot.page.screenshot({
              path: `${SCREENSHOTS}${name}-${width}-${scheme}.png`,
              fullPage: true,
            });
          }
          await shot.context.close();
        }
      }
    });

    // The refused label save answers 422 on purpose; Chromium logs every error status.
    const unexpected = problems.filter((p) =>
      !(p.kind === "console" && /status of 422/.test(p.text) &&
        p.location?.startsWith(`${base}/api/v1/nodes/${ids[1]}`))
    );
    assert.deepEqual(unexpected, [], describeProblems(unexpected));
  } finally {
    agent?.close();
    await browser?.close();
    await app.close();
  }
});
