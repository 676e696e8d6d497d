import assert from "node:assert/strict";
import { userChangeProblem } from "./user_admin.ts";

const admin = { id: "a", role: "admin" as const, disabledAt: null };
const user = { id: "u", role: "user" as const, disabledAt: null };

Deno.test("userChangeProblem() keeps at least one admin who can sign in", () => {
  const cases: [string, Parameters<typeof userChangeProblem>, RegExp | null][] = [
    ["demoting the last admin", ["x", admin, { role: "user" }, 1], /last admin/],
    ["disabling the last admin", ["x", admin, { disabled: true }, 1], /last admin/],
    ["demoting one of two admins", ["x", admin, { role: "user" }, 2], null],
    ["promoting a user", ["a", user, { role: "admin" }, 1], null],
    ["disabling a user", ["a", user, { disabled: true }, 1], null],
    ["disabling yourself", ["a", admin, { disabled: true }, 3], /your own account/],
    ["demoting yourself with another admin", ["a", admin, { role: "user" }, 2], null],
    ["re-enabling a disabled admin", ["x", { ...admin, disabledAt: new Date() }, {
      disabled: false,
    }, 1], null],
    ["setting the last admin's role to admin", ["x", admin, { role: "admin" }, 1], null],
  ];
  for (const [name, args, expected] of cases) {
    const problem = userChangeProblem(...args);
    if (expected) assert.match(problem ?? "", expected, name);
    else assert.equal(problem, null, name);
  }
});
