import assert from "node:assert/strict";
import { SignJWT, UnsecuredJWT } from "jose";
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken, verifyAccessToken } from "./jwt.ts";

const KEY = new Uint8Array(32).fill(7);
const OTHER = new Uint8Array(32).fill(8);
const CLAIMS = { userId: "u-1", sessionId: "s-1" };

Deno.test("verifyAccessToken() accepts a token it signed, until it expires", async () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const { token, expiresAt } = await signAccessToken(KEY, CLAIMS, now);
  assert.equal(expiresAt.getTime() - now.getTime(), ACCESS_TOKEN_TTL_SECONDS * 1000);
  assert.deepEqual(await verifyAccessToken(KEY, token, now), CLAIMS);
  const later = new Date(expiresAt.getTime() + 1000);
  assert.equal(await verifyAccessToken(KEY, token, later), null);
});

Deno.test("verifyAccessToken() refuses tokens signed with another key", async () => {
  const { token } = await signAccessToken(OTHER, CLAIMS);
  assert.equal(await verifyAccessToken(KEY, token), null);
});

Deno.test("verifyAccessToken() refuses alg:none and tampered payloads", async () => {
  const none = new UnsecuredJWT({ sid: "s-1", typ: "access" }).setSubject("u-1")
    .setIssuer("lattice").setAudience("lattice-control-plane").setExpirationTime("1h").encode();
  assert.equal(await verifyAccessToken(KEY, none), null);
  const { token } = await signAccessToken(KEY, CLAIMS);
  const [h, p, s] = token.split(".");
  const payload = JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/")));
  payload.sub = "someone-else";
  const forged = [h, btoa(JSON.stringify(payload)).replace(/=+$/, ""), s].join(".");
  assert.equal(await verifyAccessToken(KEY, forged), null);
});

Deno.test("verifyAccessToken() refuses the wrong audience or token type", async () => {
  const wrongAud = await new SignJWT({ sid: "s-1", typ: "access" })
    .setProtectedHeader({ alg: "HS256" }).setSubject("u-1").setIssuer("lattice")
    .setAudience("someone-else").setExpirationTime("1h").sign(KEY);
  assert.equal(await verifyAccessToken(KEY, wrongAud), null);
  const wrongTyp = await new SignJWT({ sid: "s-1", typ: "refresh" })
    .setProtectedHeader({ alg: "HS256" }).setSubject("u-1").setIssuer("lattice")
    .setAudience("lattice-control-plane").setExpirationTime("1h").sign(KEY);
  assert.equal(await verifyAccessToken(KEY, wrongTyp), null);
});

Deno.test("verifyAccessToken() refuses garbage", async () => {
  assert.equal(await verifyAccessToken(KEY, "not.a.jwt"), null);
  assert.equal(await verifyAccessToken(KEY, ""), null);
});
