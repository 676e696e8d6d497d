/**
 * Small secrets at rest (DESIGN §6): AES-256-GCM with the `encryption` key from `deriveKeys`
 * (lib/secret_key.ts). A sealed value is one printable string, `v1.<iv>.<ciphertext>` (both
 * unpadded base64url; the ciphertext ends with GCM's 16-byte tag), so it fits a text column.
 *
 * The additional authenticated data binds a ciphertext to the record it belongs to (for example
 * `workload:<id>`): copying a sealed value into another row makes it unreadable instead of
 * quietly handing one workload's password to another.
 */

/** The format written by `seal`; `open` refuses any other. */
const VERSION = "v1";
/** 96-bit IVs are GCM's native size; a fresh random one per seal keeps (key, IV) unique. */
const IV_BYTES = 12;
/** GCM's full 128-bit tag. */
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Why a sealed value could not be opened; the message never contains secret material. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretBoxError";
  }
}

/** Import the 32-byte `encryption` key from `deriveKeys()` as a non-extractable AES-GCM key. */
export async function importEncryptionKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.byteLength !== KEY_BYTES) {
    throw new SecretBoxError(
      `Cannot import the encryption key: it has ${raw.byteLength} bytes, AES-256 needs ${KEY_BYTES}`,
    );
  }
  // Copy into a fresh ArrayBuffer: WebCrypto wants one, and a view of a shared buffer is not.
  return await crypto.subtle.importKey("raw", new Uint8Array(raw), { name: "AES-GCM" }, false, [
    "encrypt",
    "decrypt",
  ]);
}

/** Encrypt `plaintext` bound to `aad` (such as `workload:<id>`) as `v1.<iv>.<ciphertext>`. */
export async function seal(key: CryptoKey, plaintext: string, aad: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encode(aad), tagLength: TAG_BYTES * 8 },
    key,
    encode(plaintext),
  );
  return `${VERSION}.${toBase64url(iv)}.${toBase64url(new Uint8Array(ciphertext))}`;
}

/** Decrypt a value from `seal`; throws SecretBoxError if it was altered or `key`/`aad` differ. */
export async function open(key: CryptoKey, sealed: string, aad: string): Promise<string> {
  const parts = sealed.split(".");
  if (parts.length !== 3 || parts[0] !== VERSION) {
    const version = parts.length > 1 ? `"${parts[0].slice(0, 10)}"` : "none";
    throw new SecretBoxError(
      `Cannot open the sealed secret for ${aad}: expected format ${VERSION}.<iv>.<ciphertext>, got version ${version}`,
    );
  }
  const iv = fromBase64url(parts[1]);
  const ciphertext = fromBase64url(parts[2]);
  if (iv?.byteLength !== IV_BYTES || ciphertext === null || ciphertext.byteLength < TAG_BYTES) {
    throw new SecretBoxError(
      `Cannot open the sealed secret for ${aad}: it is truncated or not base64url`,
    );
  }
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: encode(aad), tagLength: TAG_BYTES * 8 },
      key,
      ciphertext,
    );
  } catch {
    // GCM does not say which: all three mean the bytes must not be trusted.
    throw new SecretBoxError(
      `Cannot open the sealed secret for ${aad}: it was altered, sealed for another record, or sealed with another key (was LATTICE_SECRET_KEY or data/secret.key changed?)`,
    );
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(plaintext);
}

function encode(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}

function toBase64url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/** Strict decoding: null for anything but canonical unpadded base64url. */
function fromBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!BASE64URL.test(text)) return null;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = Uint8Array.fromBase64(text, { alphabet: "base64url" });
  } catch {
    return null;
  }
  // The loose decoder ignores stray low bits in the last character; one spelling per value.
  return toBase64url(bytes) === text ? bytes : null;
}
