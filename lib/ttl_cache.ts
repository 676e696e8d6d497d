/** A bounded map whose entries expire `ttlMs` after they were set. Oldest entries go first. */
export class TtlCache<K, V> {
  #entries = new Map<K, { value: V; expires: number }>();

  constructor(
    readonly ttlMs: number,
    readonly maxEntries: number,
    readonly now: () => number = Date.now,
  ) {}

  /** The live value for `key`, or undefined when absent or expired. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Store `value` under `key` for `ttlMs`. */
  set(key: K, value: V): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expires: this.now() + this.ttlMs });
  }

  /** Drop `key` at once (after a revocation). */
  delete(key: K): void {
    this.#entries.delete(key);
  }

  /** Drop every entry whose value matches. */
  deleteWhere(match: (value: V) => boolean): void {
    for (const [k, e] of this.#entries) if (match(e.value)) this.#entries.delete(k);
  }

  /** How many entries are held, expired ones included. */
  get size(): number {
    return this.#entries.size;
  }
}
