/** A fixed-window limit: at most `limit` events per `windowMs`. */
export interface Limit {
  limit: number;
  windowMs: number;
}

/** What a limiter says about one key now. */
export interface LimitState {
  count: number;
  allowed: boolean;
  /** Seconds until the window resets (at least 1). */
  retryAfter: number;
}

function windowKey(scope: readonly string[], limit: Limit, now: number) {
  const start = Math.floor(now / limit.windowMs) * limit.windowMs;
  return { key: ["ratelimit", ...scope, start], start };
}

function stateOf(count: number, start: number, limit: Limit, now: number): LimitState {
  return {
    count,
    allowed: count <= limit.limit,
    retryAfter: Math.max(1, Math.ceil((start + limit.windowMs - now) / 1000)),
  };
}

/** Count one event against `scope` in Deno KV and say whether it is within the limit. */
export async function hitLimit(
  kv: Deno.Kv,
  scope: readonly string[],
  limit: Limit,
  now: number = Date.now(),
): Promise<LimitState> {
  const { key, start } = windowKey(scope, limit, now);
  // A compare-and-set loop rather than `sum`, because only `set` can make the counter expire
  // with its window (KV would otherwise fill with stale keys).
  for (let attempt = 0; attempt < 20; attempt++) {
    const entry = await kv.get<number>(key);
    const count = (entry.value ?? 0) + 1;
    const res = await kv.atomic().check(entry).set(key, count, { expireIn: limit.windowMs })
      .commit();
    if (res.ok) return stateOf(count, start, limit, now);
  }
  throw new Error(`Rate limit counter ${key.join("/")} is too contended`);
}

/** Read how many events `scope` has had in the current window, without counting one. */
export async function peekLimit(
  kv: Deno.Kv,
  scope: readonly string[],
  limit: Limit,
  now: number = Date.now(),
): Promise<LimitState> {
  const { key, start } = windowKey(scope, limit, now);
  const entry = await kv.get<number>(key);
  const count = entry.value ?? 0;
  return { ...stateOf(count, start, limit, now), allowed: count < limit.limit };
}

/** Forget `scope`'s count in the current window (after a successful sign-in). */
export async function resetLimit(
  kv: Deno.Kv,
  scope: readonly string[],
  limit: Limit,
  now: number = Date.now(),
): Promise<void> {
  await kv.delete(windowKey(scope, limit, now).key);
}
