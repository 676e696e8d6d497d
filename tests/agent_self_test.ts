// GET /api/v1/agents/self: what the control plane tells a node about itself (signed with the
// node's key), including its rank once the rank job has ranked it; unsigned or forged requests
// get 401.
import assert from "node:assert/strict";
import { appTest, signUp } from "./helpers/app.ts";
import { createJoinToken, SimAgent, simKeys } from "./helpers/sim_agent.ts";
import { signedFetch } from "../agent/signed_fetch.ts";
import { NodeSelf } from "../lib/protocol.ts";

appTest("a node reads its approval, status and rank, signed with its own key", async (app) => {
  const { token } = await signUp(app);
  const baseUrl = app.listen();
  const agent = await SimAgent.join(baseUrl, await createJoinToken(baseUrl, token), "self-box");
  const self = async () => {
    const res = await signedFetch(baseUrl, "/api/v1/agents/self", {
      nodeId: agent.nodeId,
      privateKey: agent.keys.privateKey,
    });
    assert.equal(res.status, 200);
    return NodeSelf.parse(await res.json());
  };
  const fresh = await self();
  assert.equal(fresh.name, "self-box");
  assert.equal(fresh.approval, "pending");
  assert.equal(fresh.rank, null, "not ranked before the rank job has run");

  await app.db.query(`UPDATE nodes SET rank = 732, rank_updated_at = now() WHERE id = $1`, [
    agent.nodeId,
  ]);
  assert.equal((await self()).rank, 732);

  // Another key cannot ask as this node, and an unsigned request is refused.
  const other = await simKeys();
  const forged = await signedFetch(baseUrl, "/api/v1/agents/self", {
    nodeId: agent.nodeId,
    privateKey: other.privateKey,
  });
  assert.equal(forged.status, 401);
  await forged.body?.cancel();
  const unsigned = await fetch(`${baseUrl}/api/v1/agents/self`);
  assert.equal(unsigned.status, 401);
  assert.equal((await unsigned.json()).error.code, "unauthorized");
});
