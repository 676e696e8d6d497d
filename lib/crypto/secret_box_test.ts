import assert from "node:assert/strict";
import { deriveKeys } from "../secret_key.ts";
import { importEncryptionKey, open, seal, SecretBoxError } from "./secret_box.ts";

const MASTER = "a-master-secret-of-at-least-32-characters!";
const key = await importEncryptionKey(deriveKeys(MASTER).encryption);
const AAD = "workload:0f8fad5b-d9cb-469f-a165-70867728950e";

/** Flip one bit of the character at `index` of a base64url string, keeping it base64url. */
function flipChar(text: string, index: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const swapped = alphabet[alphabet.indexOf(text[index]) ^ 0b100000];
  return text.slice(0, index) + swapped + text.slice(index + 1);
}

Deno.test("seal() and open() round-trip secrets, including empty and non-ASCII ones", async () => {
  for (const secret of ["", "hunter2", "pässwörd 🔑", "x".repeat(10_000)]) {
    const sealed = await seal(key, secret, AAD);
    assert.match(sealed, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    assert.equal(await open(key, sealed, AAD), secret);
  }
});

Deno.test("seal() gives a different string each time for the same secret", async () => {
  const a = await seal(key, "same", AAD);
  const b = await seal(key, "same", AAD);
  assert.notEqual(a, b);
  assert.notEqual(a.split(".")[1], b.split(".")[1]);
});

Deno.test("open() refuses a sealed value with any part altered", async () => {
  const sealed = await seal(key, "correct horse battery staple", AAD);
  const [version, iv, ciphertext] = sealed.split(".");
  const cases: [string, string][] = [
    ["first ciphertext byte", `${version}.${iv}.${flipChar(ciphertext, 0)}`],
    ["a middle ciphertext byte", `${version}.${iv}.${flipChar(ciphertext, 20)}`],
    ["the tag", `${version}.${iv}.${flipChar(ciphertext, ciphertext.length - 3)}`],
    ["the iv", `${version}.${flipChar(iv, 2)}.${ciphertext}`],
    ["a truncated ciphertext", `${version}.${iv}.${ciphertext.slice(0, -4)}`],
  ];
  for (const [what, tampered] of cases) {
    await assert.rejects(() => open(key, tampered, AAD), SecretBoxError, what);
  }
});

Deno.test("open() refuses a value sealed for another record or with another key", async () => {
  const sealed = await seal(key, "secret", AAD);
  await assert.rejects(
    () => open(key, sealed, "workload:another"),
    (err: Error) => err instanceof SecretBoxError && /sealed for another record/.test(err.message),
  );
  const otherKey = await importEncryptionKey(deriveKeys(`${MASTER}-rotated`).encryption);
  await assert.rejects(() => open(otherKey, sealed, AAD), SecretBoxError);
});

Deno.test("open() refuses malformed values with a message that names the record", async () => {
  const sealed = await seal(key, "secret", AAD);
  const [, iv, ciphertext] = sealed.split(".");
  const cases: [string, string, RegExp][] = [
    ["an empty string", "", /expected format v1/],
    ["plain text", "not sealed", /expected format v1/],
    ["an unknown version", `v2.${iv}.${ciphertext}`, /got version "v2"/],
    ["an extra part", `${sealed}.AA`, /expected format v1/],
    ["padding", `v1.${iv}.${ciphertext}==`, /not base64url/],
    ["standard base64", `v1.${iv}.${ciphertext}+/`, /not base64url/],
    ["a short iv", `v1.${iv.slice(0, 8)}.${ciphertext}`, /truncated/],
    ["a ciphertext shorter than the tag", `v1.${iv}.AAAA`, /truncated/],
  ];
  for (const [what, value, message] of cases) {
    await assert.rejects(
      () => open(key, value, AAD),
      (err: Error) =>
        err instanceof SecretBoxError && message.test(err.message) && err.message.includes(AAD),
      what,
    );
  }
});

Deno.test("importEncryptionKey() accepts only 32-byte keys and keeps them non-extractable", async () => {
  for (const size of [0, 16, 31, 33, 64]) {
    await assert.rejects(() => importEncryptionKey(new Uint8Array(size)), /AES-256 needs 32/);
  }
  assert.equal(key.extractable, false);
  assert.deepEqual(key.usages.toSorted(), ["decrypt", "encrypt"]);
});
