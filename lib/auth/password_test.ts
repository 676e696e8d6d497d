import assert from "node:assert/strict";
import { hashPassword, needsRehash, PASSWORD_HASH_PARAMS, verifyPassword } from "./password.ts";

Deno.test("hashPassword() makes a salted argon2id hash with OWASP's parameters", async () => {
  const a = await hashPassword("correct horse battery staple");
  const b = await hashPassword("correct horse battery staple");
  assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.notEqual(a, b, "two hashes of one password differ by salt");
  assert.equal(needsRehash(a), false);
});

Deno.test("verifyPassword() accepts the right password and refuses others", async () => {
  const hash = await hashPassword("correct horse battery staple");
  assert.equal(await verifyPassword("correct horse battery staple", hash), true);
  assert.equal(await verifyPassword("correct horse battery stapl", hash), false);
  assert.equal(await verifyPassword("", hash), false);
});

Deno.test("verifyPassword() refuses everything against a malformed stored hash", async () => {
  assert.equal(await verifyPassword("anything", "not-a-hash"), false);
  assert.equal(await verifyPassword("anything", ""), false);
});

Deno.test("needsRehash() flags hashes made with weaker parameters", async () => {
  const weak = await hashPassword("pw", { ...PASSWORD_HASH_PARAMS, memorySize: 1024 });
  assert.equal(needsRehash(weak), true);
  assert.equal(needsRehash("$2b$12$bcrypt"), true);
});
