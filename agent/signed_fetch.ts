import { NODE_AUTH_HEADERS, requestSignatureMessage } from "../lib/protocol.ts";
import { encodeBase64Url } from "./encoding.ts";

/** Who signs: the node and its private key. */
export interface NodeIdentity {
  nodeId: string;
  privateKey: CryptoKey;
}

/** `fetch` a control-plane path with the node's signature headers. */
export async function signedFetch(
  serverUrl: string,
  path: string,
  identity: NodeIdentity,
  init: RequestInit = {},
): Promise<Response> {
  const method = (init.method ?? "GET").toUpperCase();
  const time = Date.now();
  const url = new URL(path, serverUrl);
  const signature = new Uint8Array(
    await crypto.subtle.sign(
      "Ed25519",
      identity.privateKey,
      requestSignatureMessage(method, url.pathname, time, identity.nodeId),
    ),
  );
  const headers = new Headers(init.headers);
  headers.set(NODE_AUTH_HEADERS.node, identity.nodeId);
  headers.set(NODE_AUTH_HEADERS.time, String(time));
  headers.set(NODE_AUTH_HEADERS.signature, encodeBase64Url(signature));
  return await fetch(url, { ...init, method, headers });
}
