import { createHash } from "node:crypto";

/** Decode unpadded base64url to bytes; null when it is not base64url. */
function decodeBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  try {
    return Uint8Array.from(
      atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)),
      (c) => c.charCodeAt(0),
    );
  } catch {
    return null;
  }
}

/** The raw 32 bytes of an Ed25519 public key in base64url, or null when it is not one. */
export async function parsePublicKey(publicKey: string): Promise<Uint8Array<ArrayBuffer> | null> {
  const raw = decodeBase64url(publicKey);
  if (!raw || raw.length !== 32) return null;
  try {
    await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, true, ["verify"]);
  } catch {
    return null;
  }
  return raw;
}

/** A short, stable fingerprint of a public key: the first 16 hex digits of SHA-256 of its bytes. */
export function publicKeyFingerprint(publicKey: string): string {
  const raw = decodeBase64url(publicKey) ?? new TextEncoder().encode(publicKey);
  return createHash("sha256").update(raw).digest("hex").slice(0, 16);
}
