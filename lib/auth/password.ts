import { argon2id, argon2Verify } from "hash-wasm";

/** OWASP's argon2id baseline: 19 MiB of memory, 2 passes, 1 lane. */
export const PASSWORD_HASH_PARAMS = { memorySize: 19_456, iterations: 2, parallelism: 1 };

/** Hash a password with argon2id into a PHC string that records its parameters and salt. */
export function hashPassword(
  password: string,
  params: typeof PASSWORD_HASH_PARAMS = PASSWORD_HASH_PARAMS,
): Promise<string> {
  return argon2id({
    password,
    salt: crypto.getRandomValues(new Uint8Array(16)),
    ...params,
    hashLength: 32,
    outputType: "encoded",
  });
}

/** Check a password against a stored PHC string in constant time. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  try {
    return await argon2Verify({ password, hash: encoded });
  } catch {
    // A malformed stored hash must never let anyone in.
    return false;
  }
}

/** True when a stored hash was made with weaker parameters than today's and should be redone. */
export function needsRehash(encoded: string): boolean {
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(encoded);
  if (!m) return true;
  return Number(m[1]) < PASSWORD_HASH_PARAMS.memorySize ||
    Number(m[2]) < PASSWORD_HASH_PARAMS.iterations ||
    Number(m[3]) < PASSWORD_HASH_PARAMS.parallelism;
}
