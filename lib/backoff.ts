/**
 * Exponential backoff with full jitter: the delay before retry `attempt` is uniform in
 * [0, min(cap, base · 2^attempt)). Full jitter spreads a crowd of agents that lost the same
 * server at the same moment, so they do not all reconnect in lockstep.
 */

/** Tuning for {@linkcode backoffDelay}; `random` is injected so tests are deterministic. */
export interface BackoffOptions {
  /** Delay ceiling of the first retry (attempt 0), in milliseconds. */
  baseMs?: number;
  /** Largest delay ceiling, however many attempts have failed, in milliseconds. */
  capMs?: number;
  /** A source of uniform numbers in [0, 1). */
  random?: () => number;
}

/** The delay in milliseconds before retry number `attempt` (0-based), with full jitter. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { baseMs = 500, capMs = 30_000, random = Math.random } = options;
  // Clamp the exponent: 2^1100 is Infinity, and min(cap, Infinity) is still the cap, but a
  // negative or fractional attempt would otherwise produce odd ceilings.
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 1000);
  const ceiling = Math.min(capMs, baseMs * 2 ** exponent);
  return random() * ceiling;
}
