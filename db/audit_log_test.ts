import assert from "node:assert/strict";
import { dbTest } from "../tests/helpers/databases.ts";
import { appendAudit, listAudit } from "./audit_log.ts";

dbTest("the audit log keeps entries newest first and pages with `before`", async (db) => {
  for (let i = 0; i < 5; i++) {
    await appendAudit(db, {
      actorId: null,
      actor: "a@x.io",
      action: i % 2 ? "auth.login" : "token.create",
      outcome: "success",
      ip: "127.0.0.1",
      details: { i },
    });
  }
  const page1 = await listAudit(db, { limit: 3 });
  assert.deepEqual(page1.map((e) => e.details?.i), [4, 3, 2]);
  const page2 = await listAudit(db, { limit: 3, before: page1[2].id });
  assert.deepEqual(page2.map((e) => e.details?.i), [1, 0]);
  const logins = await listAudit(db, { limit: 10, action: "auth.login" });
  assert.deepEqual(logins.map((e) => e.details?.i), [3, 1]);
});

dbTest("the audit log refuses updates and deletes", async (db) => {
  await appendAudit(db, { actorId: null, actor: "x", action: "a", outcome: "success" });
  await assert.rejects(() => db.query("UPDATE audit_log SET actor = 'forged'"), /append-only/);
  await assert.rejects(() => db.query("DELETE FROM audit_log"), /append-only/);
  assert.equal((await listAudit(db, { limit: 10 }))[0].actor, "x");
});

dbTest("audit details keep hostile text as data", async (db) => {
  const hostile = "evil\r\nFAKE ENTRY\u001b[31m'); DROP TABLE users; --";
  await appendAudit(db, {
    actorId: null,
    actor: hostile,
    action: "auth.login",
    outcome: "failure",
    details: { note: hostile },
  });
  const [entry] = await listAudit(db, { limit: 1 });
  assert.equal(entry.actor, hostile);
  assert.equal(entry.details?.note, hostile);
  assert.equal((await db.query("SELECT 1 FROM users")).length, 0, "users table still exists");
});
