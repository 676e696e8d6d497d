import assert from "node:assert/strict";
import {
  formatUserCode,
  newUserCode,
  normaliseUserCode,
  pollOutcome,
  USER_CODE_ALPHABET,
} from "./device_codes.ts";

Deno.test("user codes use the unambiguous alphabet and normalise case and dashes", () => {
  for (let i = 0; i < 200; i++) {
    const code = newUserCode();
    assert.equal(code.length, 8);
    for (const ch of code) assert.ok(USER_CODE_ALPHABET.includes(ch), code);
    assert.equal(normaliseUserCode(formatUserCode(code).toLowerCase()), code);
  }
  assert.equal(formatUserCode("WDJHMKHT"), "WDJH-MKHT");
  assert.equal(normaliseUserCode(" wdjh-mkht "), "WDJHMKHT");
  assert.equal(normaliseUserCode("WDJH-MKH"), null, "too short");
  assert.equal(normaliseUserCode("WDJH-MKH0"), null, "0 is not in the alphabet");
});

Deno.test("pollOutcome answers each state, and unknown reads like expired", () => {
  const now = new Date("2026-01-01T00:10:00Z");
  const later = new Date("2026-01-01T00:15:00Z");
  const base = { status: "pending" as const, expiresAt: later, lastPolledAt: null };
  assert.equal(pollOutcome(null, now), "expired_token");
  assert.equal(pollOutcome(base, now), "authorization_pending");
  assert.equal(
    pollOutcome({ ...base, lastPolledAt: new Date(now.getTime() - 2_000) }, now),
    "slow_down",
  );
  assert.equal(
    pollOutcome({ ...base, lastPolledAt: new Date(now.getTime() - 4_500) }, now),
    "authorization_pending",
    "a little early is on time",
  );
  assert.equal(pollOutcome({ ...base, status: "approved" }, now), "issue");
  assert.equal(pollOutcome({ ...base, status: "denied" }, now), "access_denied");
  assert.equal(pollOutcome({ ...base, status: "consumed" }, now), "expired_token");
  assert.equal(pollOutcome({ ...base, status: "approved" }, later), "expired_token");
});
