import type { Queryable } from "../../db/db.ts";
import { getNodeForSession, type SessionNodeRecord } from "../../db/nodes.ts";
import { UnauthorizedError } from "../errors.ts";
import { NODE_AUTH_HEADERS, NODE_AUTH_MAX_SKEW_MS, requestSignatureMessage } from "../protocol.ts";
import { verifyProof } from "./session.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Authenticate an HTTP request signed with a node's Ed25519 key. Rejected and revoked nodes
 * still authenticate (so the agent can be told why); callers decide what each approval allows.
 */
export async function authenticateNodeRequest(
  db: Queryable,
  req: Request,
  now = Date.now(),
): Promise<SessionNodeRecord> {
  const nodeId = req.headers.get(NODE_AUTH_HEADERS.node) ?? "";
  const time = Number(req.headers.get(NODE_AUTH_HEADERS.time));
  const signature = req.headers.get(NODE_AUTH_HEADERS.signature) ?? "";
  if (!UUID.test(nodeId) || !Number.isSafeInteger(time) || !signature) {
    throw new UnauthorizedError(
      `Sign the request with the node key: ${NODE_AUTH_HEADERS.node}, ${NODE_AUTH_HEADERS.time} and ${NODE_AUTH_HEADERS.signature} headers`,
    );
  }
  if (Math.abs(now - time) > NODE_AUTH_MAX_SKEW_MS) {
    throw new UnauthorizedError(
      "The request's time is more than 5 minutes from the server's clock; fix the node's clock (NTP)",
    );
  }
  const node = await getNodeForSession(db, nodeId);
  const url = new URL(req.url);
  if (
    !node ||
    !(await verifyProof(
      node.publicKey,
      signature,
      requestSignatureMessage(req.method, url.pathname, time, nodeId),
    ))
  ) {
    throw new UnauthorizedError("The node signature is not valid for a registered node");
  }
  return node;
}
