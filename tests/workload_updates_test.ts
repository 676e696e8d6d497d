/**
 * Updating a workload, over real WebSockets with simulated nodes (tests/helpers/workload_sim.ts):
 * the new container starts before the old one is removed, and a change whose containers never
 * come up is rolled back to the previous spec while the old replica keeps serving.
 */
import assert from "node:assert/strict";
import { appTest } from "./helpers/app.ts";
import { type Answer, FAST, okAnswer, withSetup } from "./helpers/workload_sim.ts";
import type { Command } from "../lib/protocol.ts";

type Alloc = { id: string; nodeId: string; state: string; generation: number };
const allocs = (w: Record<string, unknown>) => w.allocations as Alloc[];

type Setup = Parameters<Parameters<typeof withSetup>[1]>[0];

/** A command as the order log records it. */
const describe = (command: Command) =>
  command.action === "deploy"
    ? `deploy ${command.spec.image}`
    : `${command.action} ${command.allocationId}`;

/** One simulated node answering with `answer`, and a busybox workload running on it. */
async function runningWeb(setup: Setup, answer: Answer) {
  await setup.node("alpha", answer);
  const created = await setup.api("/workloads", {
    method: "POST",
    body: JSON.stringify({ name: "web", image: "busybox:1", command: ["sleep", "3600"] }),
  });
  const { workload } = await created.json();
  const first = await setup.until(workload.id, (w) => w.status === "running", "running");
  return { workload, old: allocs(first)[0] };
}

appTest("PATCH rolls the new image out before the old container goes", async (app) => {
  await withSetup(app, async (setup) => {
    const { api, until } = setup;
    const order: string[] = [];
    const answer: Answer = (command: Command) => {
      order.push(describe(command));
      return okAnswer(command);
    };
    const { workload, old } = await runningWeb(setup, answer);

    const patched = await api(`/workloads/${workload.id}`, {
      method: "PATCH",
      body: JSON.stringify({ image: "busybox:2" }),
    });
    assert.equal(patched.status, 200, await patched.clone().text());
    const updated = await until(
      workload.id,
      (w) =>
        w.status === "running" && allocs(w).length === 1 && allocs(w)[0].generation === 2 &&
        allocs(w)[0].state === "running",
      "generation 2 running alone",
    );
    assert.equal((updated.spec as { image: string }).image, "busybox:2");
    assert.notEqual(allocs(updated)[0].id, old.id);
    const deployNew = order.indexOf("deploy busybox:2");
    const removeOld = order.indexOf(`remove ${old.id}`);
    assert.ok(deployNew >= 0 && removeOld > deployNew, order.join(", "));
  });
}, FAST);

appTest(
  "a change that never comes up is rolled back; the old replica serves meanwhile",
  async (app) => {
    await withSetup(app, async (setup) => {
      const { api, until } = setup;
      const order: string[] = [];
      const answer: Answer = (command: Command) => {
        if (command.action === "deploy" && command.spec.image === "busybox:broken") {
          order.push("deploy broken (fails)");
          return { ok: false, error: { code: "no_such_image", message: "manifest unknown" } };
        }
        order.push(describe(command));
        return okAnswer(command);
      };
      const { workload, old } = await runningWeb(setup, answer);

      const patched = await api(`/workloads/${workload.id}`, {
        method: "PATCH",
        body: JSON.stringify({ image: "busybox:broken" }),
      });
      assert.equal(patched.status, 200, await patched.clone().text());
      const back = await until(
        workload.id,
        (w) =>
          w.status === "running" && (w.spec as { image: string }).image === "busybox:1" &&
          allocs(w).length === 1 && allocs(w)[0].state === "running",
        "rolled back and running",
      );
      // Bounded attempts at the broken image (FAST allows 2), and the old replica was only removed
      // after the rolled-back spec ran again.
      assert.equal(order.filter((o) => o === "deploy broken (fails)").length, 2, order.join(", "));
      const lastBroken = order.lastIndexOf("deploy broken (fails)");
      const redeploy = order.indexOf("deploy busybox:1", lastBroken);
      const removeOld = order.indexOf(`remove ${old.id}`);
      assert.ok(redeploy > lastBroken, order.join(", "));
      assert.ok(removeOld === -1 || removeOld > redeploy, order.join(", "));
      assert.ok(allocs(back)[0].generation > 2, "the rollback is a new generation");

      const events = await (await api(`/workloads/${workload.id}/events`)).json();
      const messages = (events.events as { kind: string; message: string }[]).map((e) =>
        `${e.kind}: ${e.message}`
      ).join("\n");
      assert.match(messages, /deploy_failed: .*manifest unknown/);
      // A missing image is not held against the node's rank.
      const failures = (events.events as { kind: string; data: { blame?: string } }[])
        .filter((e) => e.kind === "deploy_failed");
      assert.ok(failures.length > 0);
      assert.ok(failures.every((e) => e.data.blame === "workload"), JSON.stringify(failures));
      assert.match(messages, /roll/i);
    });
  },
  FAST,
);
