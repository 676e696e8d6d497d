/**
 * Creates without an Idempotency-Key share transactions (the group commit in
 * lib/workloads/service.ts): every request still gets its own answer, its own event and audit
 * record, and a name used twice is a 409 for every request but one, even in one batch.
 */
import assert from "node:assert/strict";
import { appTest, errorOf, json, signUp } from "./helpers/app.ts";

appTest("concurrent creates are stored together and answered one by one", async (app) => {
  const { token } = await signUp(app);
  const post = (name: string) =>
    app.request(
      "/api/v1/workloads",
      json({ name, image: "busybox:1" }, { headers: { authorization: `Bearer ${token}` } }),
    );
  const names = [...Array.from({ length: 40 }, (_, i) => `w${i}`), "dup", "dup", "dup"];
  const answers = await Promise.all(names.map(post));
  const created: { id: string; name: string }[] = [];
  const conflicts: string[] = [];
  for (const res of answers) {
    if (res.status === 201) {
      const { workload } = await res.json();
      assert.equal(workload.status, "pending");
      assert.equal(workload.owner.email, "admin@example.com");
      created.push(workload);
    } else {
      assert.equal(res.status, 409);
      const error = await errorOf(res);
      assert.equal(error.code, "conflict");
      assert.equal((error.details as { field?: string } | null)?.field, "name");
      conflicts.push("dup");
    }
  }
  assert.equal(created.length, 41);
  assert.equal(conflicts.length, 2);
  assert.deepEqual(
    created.map((w) => w.name).sort(),
    [...names.slice(0, 40), "dup"].sort(),
  );
  const ids = created.map((w) => w.id);
  const events = await app.db.query(
    `SELECT workload_id, kind FROM workload_events WHERE workload_id = ANY($1::uuid[])
       AND kind = 'created'`,
    [ids],
  );
  assert.equal(events.length, 41);
  const audits = await app.db.query(
    `SELECT target_id, details FROM audit_log WHERE action = 'workload.create'`,
  );
  assert.deepEqual(audits.map((a) => a.target_id).sort(), [...ids].sort());
  assert.ok(audits.every((a) => (a.details as { image: string }).image === "busybox:1"));
  // Each answer is the stored record.
  const one = created[0];
  const read = await app.request(`/api/v1/workloads/${one.id}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal((await read.json()).workload.name, one.name);
});
