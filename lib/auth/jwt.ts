import { jwtVerify, SignJWT } from "jose";

/** How long a dashboard access token lives; the refresh token renews it. */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

const ISSUER = "lattice";
const AUDIENCE = "lattice-control-plane";

/** The claims Lattice puts in an access token. */
export interface AccessClaims {
  userId: string;
  /** The sign-in family, checked for revocation on use. */
  sessionId: string;
}

/** Sign an access token for a sign-in. */
export async function signAccessToken(
  key: Uint8Array,
  claims: AccessClaims,
  now: Date = new Date(),
): Promise<{ token: string; expiresAt: Date }> {
  const iat = Math.floor(now.getTime() / 1000);
  const exp = iat + ACCESS_TOKEN_TTL_SECONDS;
  const token = await new SignJWT({ sid: claims.sessionId, typ: "access" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key);
  return { token, expiresAt: new Date(exp * 1000) };
}

/** Verify signature, algorithm, issuer, audience, type and expiry; null when any fails. */
export async function verifyAccessToken(
  key: Uint8Array,
  token: string,
  now: Date = new Date(),
): Promise<AccessClaims | null> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: now,
      requiredClaims: ["sub", "exp", "sid"],
    });
    if (payload.typ !== "access" || typeof payload.sid !== "string" || !payload.sub) return null;
    return { userId: payload.sub, sessionId: payload.sid };
  } catch {
    return null;
  }
}
