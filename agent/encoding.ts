/** Byte ↔ text encodings the agent needs (kept here so the agent does not depend on lib/auth). */

/** Encode bytes as standard base64 (with padding). */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  // Chunked so that large inputs do not overflow the argument limit of fromCharCode.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Decode standard base64; throws a SyntaxError-like error on invalid input. */
export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text.trim());
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Encode bytes as unpadded base64url. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decode base64url, with or without padding; throws on characters outside the alphabet. */
export function decodeBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*=*$/.test(text)) {
    throw new Error("Cannot decode base64url: invalid character");
  }
  const standard = text.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  return decodeBase64(standard + "=".repeat((4 - (standard.length % 4)) % 4));
}
