import { createHmac } from "node:crypto";

/** The master key, and keys derived from it for each purpose so no two uses share a key. */
export interface Keys {
  /** Signs session JWTs (HS256). */
  jwt: Uint8Array;
  /** Derives CSRF tokens from session ids. */
  csrf: Uint8Array;
  /** Encrypts secrets at rest (AES-256-GCM). */
  encryption: Uint8Array;
}

/** Derive per-purpose 32-byte keys from the master secret (HMAC-SHA-256 as a KDF). */
export function deriveKeys(master: string): Keys {
  const derive = (purpose: string) =>
    new Uint8Array(createHmac("sha256", master).update(`lattice/${purpose}/v1`).digest());
  return { jwt: derive("jwt"), csrf: derive("csrf"), encryption: derive("encryption") };
}

/**
 * Return the configured secret, or the one generated into `dataDir/secret.key` (mode 0600)
 * on first start. Back this file up apart from the database: without it, encrypted secrets
 * cannot be read.
 */
export async function loadOrCreateSecret(
  configured: string | undefined,
  dataDir: string,
): Promise<{ secret: string; source: "env" | "file" | "generated" }> {
  if (configured) return { secret: configured, source: "env" };
  const path = `${dataDir}/secret.key`;
  try {
    const secret = (await Deno.readTextFile(path)).trim();
    if (secret.length < 32) {
      throw new Error(`${path} holds fewer than 32 characters: restore it from your backup`);
    }
    return { secret, source: "file" };
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const secret = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  // createNew: if another process won the race, read what it wrote instead of overwriting.
  try {
    const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
    await file.write(new TextEncoder().encode(secret + "\n"));
    file.close();
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return loadOrCreateSecret(undefined, dataDir);
    throw err;
  }
  return { secret, source: "generated" };
}
