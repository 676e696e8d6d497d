/**
 * The owner's computation hours, as `lattice-agent join --hours …` sends them in the hello: a
 * node outside its hours takes no new placement (work goes elsewhere, or waits with the reason),
 * over real WebSockets with simulated nodes (tests/helpers/workload_sim.ts).
 */
import assert from "node:assert/strict";
import { appTest } from "./helpers/app.ts";
import { FAST, okAnswer, withSetup } from "./helpers/workload_sim.ts";
import { parseHours } from "../agent/settings_flags.ts";

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

appTest("a node outside its owner's hours takes no new placement", async (app) => {
  await withSetup(app, async ({ api, node, until }) => {
    // Hours on another day of the week only (UTC): now is outside them.
    const otherDay = DAYS[(new Date().getUTCDay() + 3) % 7];
    const schedule = parseHours(`${otherDay} 00:00-01:00`, "UTC")!;
    const resting = await node("resting", okAnswer, {
      settings: { schedule },
      labels: { owner: "ada" },
    });
    const busy = await node("busy");

    for (const name of ["one", "two", "three"]) {
      const res = await api("/workloads", {
        method: "POST",
        body: JSON.stringify({ name, image: "busybox:1", command: ["sleep", "3600"] }),
      });
      assert.equal(res.status, 201, await res.clone().text());
      const { workload } = await res.json();
      const running = await until(workload.id, (w) => w.status === "running", `${name} running`);
      const [alloc] = running.allocations as { nodeId: string }[];
      assert.equal(alloc.nodeId, busy.agent.nodeId, `${name} is placed on the node in its hours`);
    }
    assert.equal(resting.deploys().length, 0, "the resting node got no deploy");

    // Work that may only run on the resting node waits, and says why.
    const pinned = await api("/workloads", {
      method: "POST",
      body: JSON.stringify({
        name: "pinned",
        image: "busybox:1",
        command: ["sleep", "3600"],
        constraints: [{ label: "owner", operator: "=", value: "ada" }],
      }),
    });
    assert.equal(pinned.status, 201, await pinned.clone().text());
    const { workload } = await pinned.json();
    const waiting = await until(
      workload.id,
      (w) => typeof w.statusReason === "string" && /computation hours/.test(w.statusReason),
      "the reason names the hours",
    );
    assert.equal(waiting.status, "pending");
    assert.equal(resting.deploys().length, 0);
  });
}, FAST);
