/**
 * A map with a size limit that forgets its least recently used entry when full, instead of
 * emptying itself: a flood of new keys then costs old, idle entries, never every entry at once.
 * Recency is the map's insertion order: a read or write moves the entry to the end.
 */
export class LruMap<K, V> {
  readonly #entries = new Map<K, V>();
  /** The most recently used key: reading it again moves nothing (one key read over and over is the common case). */
  #newest: K | undefined = undefined;

  constructor(readonly limit: number) {}

  get size(): number {
    return this.#entries.size;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** The value, marked as just used. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined || key === this.#newest) return value;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    this.#newest = key;
    return value;
  }

  /** Stores the value as the most recently used, forgetting the least recently used entry when full. */
  set(key: K, value: V): void {
    if (!this.#entries.delete(key) && this.#entries.size >= this.limit) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, value);
    this.#newest = key;
  }

  delete(key: K): boolean {
    if (key === this.#newest) this.#newest = undefined;
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#newest = undefined;
  }
}
