import assert from "node:assert/strict";
import { type ApprovalAction, nextApproval } from "./approval.ts";
import type { Approval } from "../../db/nodes.ts";

Deno.test("nextApproval() allows the documented moves and explains the refused ones", () => {
  const cases: [Approval, ApprovalAction, string][] = [
    ["pending", "approve", "approved"],
    ["rejected", "approve", "approved"],
    ["approved", "approve", "unchanged"],
    ["revoked", "approve", "refused: revoked nodes must join again with a new key"],
    ["pending", "reject", "rejected"],
    ["rejected", "reject", "unchanged"],
    ["approved", "reject", "refused: an approved node cannot be rejected; revoke it instead"],
    ["revoked", "reject", "refused: revoked nodes must join again with a new key"],
    ["pending", "revoke", "revoked"],
    ["approved", "revoke", "revoked"],
    ["rejected", "revoke", "revoked"],
    ["revoked", "revoke", "unchanged"],
  ];
  for (const [from, action, expected] of cases) {
    const next = nextApproval(from, action);
    const got = next === "unchanged"
      ? "unchanged"
      : "refused" in next
      ? `refused: ${next.refused}`
      : next.approval;
    assert.equal(got, expected, `${action} when ${from}`);
  }
});
