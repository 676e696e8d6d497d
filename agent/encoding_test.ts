import assert from "node:assert/strict";
import { decodeBase64, decodeBase64Url, encodeBase64, encodeBase64Url } from "./encoding.ts";

Deno.test("encodeBase64Url() uses the URL alphabet without padding", () => {
  assert.equal(encodeBase64Url(new Uint8Array([0xfb, 0xff, 0xbf])), "-_-_");
  assert.equal(encodeBase64Url(new Uint8Array([1])), "AQ");
  assert.equal(encodeBase64(new Uint8Array([1])), "AQ==");
});

Deno.test("base64 and base64url round-trip every length up to 70 000 bytes", () => {
  for (const length of [0, 1, 2, 3, 31, 32, 33, 70_000]) {
    const bytes = crypto.getRandomValues(new Uint8Array(Math.min(length, 65536)));
    const big = length > 65536 ? new Uint8Array(length).map((_, i) => i % 251) : bytes;
    assert.deepEqual(decodeBase64Url(encodeBase64Url(big)), big);
    assert.deepEqual(decodeBase64(encodeBase64(big)), big);
  }
});

Deno.test("decodeBase64Url() refuses characters outside the alphabet", () => {
  assert.throws(() => decodeBase64Url("ab+c"), /invalid character/);
  assert.throws(() => decodeBase64Url("a b"), /invalid character/);
});
