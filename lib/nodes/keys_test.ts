import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { base64url } from "../auth/secrets.ts";
import { parsePublicKey, publicKeyFingerprint } from "./keys.ts";

Deno.test("parsePublicKey() accepts a real Ed25519 key and refuses other lengths", async () => {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  assert.deepEqual(await parsePublicKey(base64url(raw)), raw);
  assert.equal(await parsePublicKey(base64url(raw.slice(0, 31))), null);
  assert.equal(await parsePublicKey("not base64!"), null);
});

Deno.test("publicKeyFingerprint() is the first 16 hex digits of SHA-256 of the key bytes", async () => {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const expected = createHash("sha256").update(raw).digest("hex").slice(0, 16);
  assert.equal(publicKeyFingerprint(base64url(raw)), expected);
});
