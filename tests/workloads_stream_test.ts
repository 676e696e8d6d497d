// GET /api/v1/workloads/stream: a snapshot of what the caller may see, then live changes from
// the workload service and the scheduler, over real HTTP with simulated nodes.
import assert from "node:assert/strict";
import { appTest, errorOf, json, signUp, USER } from "./helpers/app.ts";
import { FAST, withSetup } from "./helpers/workload_sim.ts";
import { EventReader } from "./helpers/event_reader.ts";

interface Dto {
  id: string;
  name: string;
  status: string;
  statusReason: string | null;
  allocations: { state: string }[];
}

const isWorkload =
  (id: string, check: (w: Dto) => boolean = () => true) => (e: { event: string; data: unknown }) =>
    e.event === "workload" && (e.data as Dto).id === id && check(e.data as Dto);

appTest(
  "the workload stream sends the caller's workloads, their status changes and deletions, and never another user's",
  async (app) => {
    await withSetup(app, async ({ api, node, token }) => {
      await node("alpha");
      const user = await signUp(app, USER);
      const open = async (query = "", bearer = user.token) => {
        const res = await api(`/workloads/stream${query}`, {}, bearer);
        assert.equal(res.status, 200, "stream.ts wins over [id].ts");
        assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
        return new EventReader(res);
      };
      const theirs = await (await api("/workloads", json({ name: "admins", image: "a:1" })))
        .json();

      const userEvents = await open();
      const adminEvents = await open("", token);
      try {
        const snapshot = await userEvents.next();
        assert.equal(snapshot.event, "snapshot");
        assert.deepEqual((snapshot.data as { workloads: Dto[] }).workloads, []);
        const adminSnapshot = await adminEvents.next();
        assert.equal(adminSnapshot.event, "snapshot");
        assert.deepEqual(
          (adminSnapshot.data as { workloads: Dto[] }).workloads.map((w) => w.name),
          ["admins"],
        );

        const created = await api(
          "/workloads",
          json({ name: "cache", template: "redis" }),
          user.token,
        );
        assert.equal(created.status, 201);
        const { workload } = await created.json();
        const first = await userEvents.until(isWorkload(workload.id));
        assert.equal((first.data as Dto).name, "cache");
        // Changes within the stream's window arrive as one record: the first may already say
        // running.
        const running = (first.data as Dto).status === "running" ? first : await userEvents.until(
          isWorkload(workload.id, (w) => w.status === "running"),
          20_000,
          "the user's workload running",
        );
        assert.equal((running.data as Dto).allocations[0].state, "running");
        // Admins see everyone's workloads go by.
        await adminEvents.until(
          isWorkload(workload.id, (w) => w.status === "running"),
          20_000,
          "the admin seeing it running",
        );

        const stopped = await api(`/workloads/${workload.id}/stop`, { method: "POST" }, user.token);
        assert.equal(stopped.status, 202);
        await stopped.body?.cancel();
        await userEvents.until(
          isWorkload(workload.id, (w) => w.status === "stopped"),
          20_000,
          "the user's workload stopped",
        );

        // A change to another user's workload reaches its owner's watchers only.
        const touch = await api(`/workloads/${theirs.workload.id}/stop`, { method: "POST" });
        assert.equal(touch.status, 202);
        await touch.body?.cancel();
        await adminEvents.until(
          isWorkload(theirs.workload.id, (w) => w.status === "stopped"),
          20_000,
          "the admin's own workload stopped",
        );

        const deleted = await api(`/workloads/${workload.id}`, { method: "DELETE" }, user.token);
        assert.equal(deleted.status, 202);
        await deleted.body?.cancel();
        const gone = await userEvents.until((e) => e.event === "deleted");
        assert.deepEqual(gone.data, { id: workload.id });
        assert.ok(
          userEvents.seen.every((e) => !JSON.stringify(e.data).includes(theirs.workload.id)),
          "the user never saw the admin's workload",
        );
        assert.ok(
          userEvents.seen.every((e) => !JSON.stringify(e.data).includes('"admins"')),
          "not even its name",
        );
      } finally {
        await userEvents.close();
        await adminEvents.close();
      }
    });
  },
  FAST,
);

appTest("?id= watches one workload; a bad id is a 422 and another user's a 404", async (app) => {
  await withSetup(app, async ({ api }) => {
    const user = await signUp(app, USER);
    const mine = (await (await api("/workloads", json({ name: "one", image: "a:1" }), user.token))
      .json()).workload;
    const other = (await (await api("/workloads", json({ name: "two", image: "a:1" }), user.token))
      .json()).workload;
    const theirs = (await (await api("/workloads", json({ name: "three", image: "a:1" }))).json())
      .workload;

    const bad = await api("/workloads/stream?id=not-a-uuid", {}, user.token);
    assert.equal(bad.status, 422);
    const error = await errorOf(bad);
    assert.equal(error.code, "validation_failed");
    assert.match(JSON.stringify(error.details), /"path":"id"/);

    const hidden = await api(`/workloads/stream?id=${theirs.id}`, {}, user.token);
    assert.equal(hidden.status, 404);
    await hidden.body?.cancel();

    const res = await api(`/workloads/stream?id=${mine.id}`, {}, user.token);
    assert.equal(res.status, 200);
    const events = new EventReader(res);
    try {
      const snapshot = await events.next();
      assert.deepEqual(
        (snapshot.data as { workloads: Dto[] }).workloads.map((w) => w.id),
        [mine.id],
      );
      // A change to the other workload is not sent; one to this workload is.
      for (const id of [other.id, mine.id]) {
        const patched = await api(`/workloads/${id}`, {
          method: "PATCH",
          body: JSON.stringify({ env: { MARK: id } }),
        }, user.token);
        assert.equal(patched.status, 200);
        await patched.body?.cancel();
      }
      const update = await events.until((e) => e.event === "workload");
      assert.equal((update.data as Dto).id, mine.id);
      assert.ok(events.seen.every((e) => !JSON.stringify(e.data).includes(other.id)));
    } finally {
      await events.close();
    }
  });
}, FAST);

appTest("the workload stream ends when the server shuts down", async (app) => {
  const { token } = await signUp(app);
  const res = await app.request("/api/v1/workloads/stream", {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200);
  const events = new EventReader(res);
  assert.equal((await events.next()).event, "snapshot");
  app.plane.endStreams();
  await assert.rejects(() => events.next(), /the stream ended/);
});
