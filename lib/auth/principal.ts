import type { Role } from "../../db/users.ts";

/** Who is making a request, and how they proved it. */
export interface Principal {
  userId: string;
  email: string;
  role: Role;
  /** When the account was created, ISO 8601. */
  createdAt: string;
  /** "session": dashboard sign-in (cookie or its bearer JWT); "token": an API token. */
  method: "session" | "token";
  /** Whether the credential came in a cookie, which is what makes CSRF checks necessary. */
  viaCookie: boolean;
  /** The sign-in family, for sessions. */
  sessionId: string | null;
  /** The API token, for tokens. */
  tokenId: string | null;
}

/** Facts about a request that audit records and rate limits need. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** What the authentication cache holds per credential: a principal, or null for "refused". */
export type CachedPrincipal = Omit<Principal, "viaCookie"> | null;

/** The cached principal for an account found behind a session or an API token. */
export function cachedPrincipal(
  owner: { userId: string; email: string; role: Role; createdAt: Date },
  credential: { sessionId: string } | { tokenId: string },
): NonNullable<CachedPrincipal> {
  return {
    userId: owner.userId,
    email: owner.email,
    role: owner.role,
    createdAt: owner.createdAt.toISOString(),
    method: "sessionId" in credential ? "session" : "token",
    sessionId: "sessionId" in credential ? credential.sessionId : null,
    tokenId: "tokenId" in credential ? credential.tokenId : null,
  };
}
