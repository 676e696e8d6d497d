// Typed errors for the Docker Engine client. Docker answers failures with `{"message": "..."}`;
// we keep that text verbatim as `message` and add a machine-readable `code` derived from the
// status and, where the status is too coarse (404, 409, 500), from the message itself.

/** What went wrong talking to Docker, as a machine-readable code. */
export type DockerErrorCode =
  | "no_such_image"
  | "no_such_container"
  | "no_such_volume"
  | "no_such_network"
  | "not_found"
  | "port_allocated"
  | "name_conflict"
  | "conflict"
  | "bad_request"
  | "server_error"
  | "pull_failed"
  | "daemon_down"
  | "permission_denied"
  | "api_too_old"
  | "unsupported_host"
  | "timeout";

/** An error from the Docker Engine or from reaching it. */
export class DockerError extends Error {
  constructor(
    readonly code: DockerErrorCode,
    message: string,
    readonly status: number | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "DockerError";
  }
}

/** Docker is not reachable at all (socket missing, connection refused or reset). */
export class DockerDaemonDown extends DockerError {
  constructor(message: string, options?: ErrorOptions) {
    super("daemon_down", message, null, options);
    this.name = "DockerDaemonDown";
  }
}

/** Whether `err` is a DockerError, optionally with the given code. */
export function isDockerError(err: unknown, code?: DockerErrorCode): err is DockerError {
  return err instanceof DockerError && (code === undefined || err.code === code);
}

/** Map an HTTP error status and Docker's message to a DockerError. */
export function errorFromStatus(status: number, message: string): DockerError {
  return new DockerError(codeForStatus(status, message), message, status);
}

/** Classify a Docker error response by status, refined by the message where needed. */
export function codeForStatus(status: number, message: string): DockerErrorCode {
  const m = message.toLowerCase();
  if (status === 404) {
    if (m.includes("no such image")) return "no_such_image";
    if (m.includes("no such container")) return "no_such_container";
    if (m.includes("no such volume")) return "no_such_volume";
    if (m.includes("network") && m.includes("not found")) return "no_such_network";
    return "not_found";
  }
  if (status === 409) {
    return m.includes("is already in use by container") ? "name_conflict" : "conflict";
  }
  if (status >= 500 || status < 400) {
    if (m.includes("port is already allocated") || m.includes("address already in use")) {
      return "port_allocated";
    }
    return "server_error";
  }
  return "bad_request";
}

/** Read Docker's `{"message"}` from an error response body (falling back to the raw text). */
export async function errorFromResponse(res: Response, what: string): Promise<DockerError> {
  const text = await res.text().catch(() => "");
  let message = text.trim();
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string") message = parsed.message;
  } catch {
    // Not JSON (a proxy in between, or a plain-text 404 for an unknown route): keep the text.
  }
  if (message === "") message = `${what} failed with HTTP ${res.status}`;
  return errorFromStatus(res.status, message);
}

const DAEMON_DOWN_OS_ERRORS = new Set([2, 32, 104, 111]); // ENOENT, EPIPE, ECONNRESET, ECONNREFUSED

/**
 * Turn a fetch failure (the request never got an HTTP answer) into a DockerError that says
 * what to do. `target` names where we tried to connect, e.g. `/var/run/docker.sock`.
 */
export function errorFromFetchFailure(err: unknown, target: string): DockerError {
  if (err instanceof DockerError) return err;
  const cause = describeCause(err);
  const osError = /\(os error (\d+)\)/.exec(cause);
  const errno = osError ? Number(osError[1]) : null;
  if (errno === 13 || /permission denied/i.test(cause)) {
    return new DockerError(
      "permission_denied",
      `Permission denied on the Docker socket ${target}: ${cause}. Add your user to the ` +
        "`docker` group (`sudo usermod -aG docker $USER`, then log in again) or run as root.",
      null,
      { cause: err },
    );
  }
  const looksDown = (errno !== null && DAEMON_DOWN_OS_ERRORS.has(errno)) ||
    /connection (refused|reset|closed)|broken pipe|connect|incomplete message/i.test(cause);
  if (looksDown || err instanceof TypeError) {
    return daemonDown(target, cause, err);
  }
  return new DockerError("server_error", `Talking to Docker at ${target} failed: ${cause}`, null, {
    cause: err,
  });
}

/** The daemon_down error with its standard advice. */
export function daemonDown(target: string, cause: string, err?: unknown): DockerDaemonDown {
  return new DockerDaemonDown(
    `Cannot reach Docker at ${target}: ${cause}. ` +
      "Start Docker (e.g. `sudo systemctl start docker`) or set DOCKER_HOST.",
    err === undefined ? undefined : { cause: err },
  );
}

/** The innermost useful text of a fetch error: Deno puts the OS error in `cause`. */
function describeCause(err: unknown): string {
  let text = err instanceof Error ? err.message : String(err);
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && cur instanceof Error && cur.cause !== undefined; depth++) {
    cur = cur.cause;
    if (cur instanceof Error && cur.message) text = cur.message;
  }
  // "error sending request for url (http://docker/_ping): client error (Connect): No such file…"
  return text.replace(/^error sending request for url \([^)]*\):\s*/, "")
    .replace(/^client error \((Connect|SendRequest)\):\s*/, "");
}
