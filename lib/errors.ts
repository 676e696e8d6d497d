/** Machine-readable error codes the API answers with. */
export type ErrorCode =
  | "bad_request"
  | "invalid_json"
  | "validation_failed"
  | "unauthorized"
  | "forbidden"
  | "csrf_failed"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "registration_closed"
  | "internal_error"
  | "unavailable"
  // Domain codes (join_token_expired, node_offline…) are open-ended.
  | (string & Record<never, never>);

/** An error that maps to an HTTP status and the `{error: {code, message, details}}` body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: unknown = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** The request is malformed or fails validation (422 for schema failures). */
export class ValidationError extends HttpError {
  constructor(message: string, details: unknown = null) {
    super(422, "validation_failed", message, details);
    this.name = "ValidationError";
  }
}

/** No valid credentials came with the request. */
export class UnauthorizedError extends HttpError {
  constructor(message = "Sign in first: send a valid session cookie or a bearer token") {
    super(401, "unauthorized", message, null, { "WWW-Authenticate": 'Bearer realm="lattice"' });
    this.name = "UnauthorizedError";
  }
}

/** The caller is known but may not do this. */
export class ForbiddenError extends HttpError {
  constructor(message: string, code: ErrorCode = "forbidden") {
    super(403, code, message);
    this.name = "ForbiddenError";
  }
}

/** The thing named does not exist (or is not visible to the caller). */
export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, "not_found", message);
    this.name = "NotFoundError";
  }
}

/** The request conflicts with the current state. */
export class ConflictError extends HttpError {
  constructor(message: string, details: unknown = null) {
    super(409, "conflict", message, details);
    this.name = "ConflictError";
  }
}

/** Too many attempts; `retryAfter` is in seconds. */
export class RateLimitedError extends HttpError {
  constructor(message: string, readonly retryAfter: number) {
    super(429, "rate_limited", message, { retryAfterSeconds: retryAfter }, {
      "Retry-After": String(retryAfter),
    });
    this.name = "RateLimitedError";
  }
}

/** The JSON body every error response carries. */
export function errorBody(code: string, message: string, details: unknown = null) {
  return { error: { code, message, details } };
}
