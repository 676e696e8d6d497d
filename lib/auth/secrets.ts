import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Prefix of API tokens, so they are recognisable in logs and secret scanners. */
export const API_TOKEN_PREFIX = "lat_";

/** Encode bytes as unpadded base64url. */
export function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

/** A random secret with 256 bits of entropy, base64url-encoded. */
export function randomSecret(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** A new API token: the secret shown once, and the prefix kept for display. */
export function newApiToken(): { secret: string; prefix: string } {
  const secret = API_TOKEN_PREFIX + randomSecret();
  return { secret, prefix: secret.slice(0, API_TOKEN_PREFIX.length + 6) };
}

/** SHA-256 of a token, hex. Tokens are high-entropy, so a fast hash is the right tool. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** HMAC-SHA-256 of `message` under `key`, base64url. */
export function hmac(key: Uint8Array, message: string): string {
  return base64url(new Uint8Array(createHmac("sha256", key).update(message).digest()));
}

/** Compare two strings in time independent of where they differ. */
export function safeEqual(a: string, b: string): boolean {
  const ab = new TextEncoder().encode(a);
  const bb = new TextEncoder().encode(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
