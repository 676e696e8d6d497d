import assert from "node:assert/strict";
import { dbTest } from "../tests/helpers/databases.ts";
import { ConflictError } from "../lib/errors.ts";
import { createUser, findUserForLogin, getUser, hasUsers, listUsers } from "./users.ts";

dbTest("createUser() makes the first account admin and later ones users", async (db) => {
  assert.equal(await hasUsers(db), false);
  const first = await createUser(db, { email: "a@x.io", passwordHash: "h", allowOthers: false });
  assert.equal(first?.role, "admin");
  assert.equal(await hasUsers(db), true);
  const refused = await createUser(db, { email: "b@x.io", passwordHash: "h", allowOthers: false });
  assert.equal(refused, null, "registration closed");
  const second = await createUser(db, { email: "b@x.io", passwordHash: "h", allowOthers: true });
  assert.equal(second?.role, "user");
  assert.deepEqual((await listUsers(db, { limit: 10 })).map((u) => u.email), ["a@x.io", "b@x.io"]);
});

dbTest("createUser() makes exactly one admin when first accounts race", async (db) => {
  const made = await Promise.all(
    ["1", "2", "3", "4"].map((n) =>
      createUser(db, { email: `u${n}@x.io`, passwordHash: "h", allowOthers: true })
    ),
  );
  assert.equal(made.filter((u) => u?.role === "admin").length, 1);
});

dbTest("emails are unique regardless of case", async (db) => {
  await createUser(db, { email: "Ada@Example.com", passwordHash: "h", allowOthers: true });
  await assert.rejects(
    () => createUser(db, { email: "ada@example.COM", passwordHash: "h", allowOthers: true }),
    ConflictError,
  );
  const found = await findUserForLogin(db, "ADA@example.com");
  assert.equal(found?.email, "Ada@Example.com");
  assert.equal(found?.passwordHash, "h");
  assert.equal((await getUser(db, found!.id))?.email, "Ada@Example.com");
  assert.equal(await getUser(db, crypto.randomUUID()), null);
});
