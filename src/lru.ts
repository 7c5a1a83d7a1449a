/**
 * A map that keeps at most `capacity` entries, dropping the least recently used first
 * (a Map keeps insertion order: a hit moves its entry to the end, eviction takes the
 * first). For per-process caches whose keys a client can multiply.
 */
export class LruMap<K, V> {
  readonly #entries = new Map<K, V>();

  /** @param capacity the most entries kept (≥ 1) */
  constructor(private readonly capacity: number) {}

  /** The value of `key`, now the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) this.set(key, value);
    return value;
  }

  /** Stores `value` under `key` as the most recently used entry; returns `value`. */
  set(key: K, value: V): V {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    return value;
  }

  /** Forgets `key`; true when it was there. */
  delete(key: K): boolean {
    return this.#entries.delete(key);
  }
}
