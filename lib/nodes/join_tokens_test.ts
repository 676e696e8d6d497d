import assert from "node:assert/strict";
import { joinTokenState, newJoinToken } from "./join_tokens.ts";

Deno.test("joinTokenState() ranks revoked over used up over expired", () => {
  const now = new Date("2030-01-01T00:00:00Z");
  const past = new Date("2029-01-01T00:00:00Z");
  const future = new Date("2031-01-01T00:00:00Z");
  const cases: [Parameters<typeof joinTokenState>[0], string][] = [
    [{ revokedAt: null, uses: 0, maxUses: 1, expiresAt: future }, "active"],
    [{ revokedAt: null, uses: 0, maxUses: 1, expiresAt: now }, "expired"],
    [{ revokedAt: null, uses: 1, maxUses: 1, expiresAt: future }, "used_up"],
    [{ revokedAt: null, uses: 1, maxUses: 1, expiresAt: past }, "used_up"],
    [{ revokedAt: past, uses: 1, maxUses: 1, expiresAt: past }, "revoked"],
  ];
  for (const [token, expected] of cases) assert.equal(joinTokenState(token, now), expected);
});

Deno.test("newJoinToken() makes ljt_ secrets whose prefix is their first ten characters", () => {
  const a = newJoinToken();
  const b = newJoinToken();
  assert.match(a.secret, /^ljt_[A-Za-z0-9_-]{43}$/);
  assert.equal(a.prefix, a.secret.slice(0, 10));
  assert.notEqual(a.secret, b.secret);
});
