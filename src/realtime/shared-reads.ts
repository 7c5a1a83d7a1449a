/**
 * Shared reads: subscribers of the same stream, woken by the same bus message, read the
 * store once between them. A read is identified by a key naming what it reads (the
 * stream and its cursor); a caller joins a read of the same key that is still in flight
 * if that read started after the wake-up the caller is answering arrived, so the shared
 * result is at least as new as the change that woke it. Otherwise it starts a read of its
 * own, which later callers may join. Nothing is kept once a read settles: this is
 * request coalescing ("single flight"), not a cache.
 */

/** A monotonic instant in ms (performance.now()), comparable across one process. */
export type Instant = number;

/** The current {@link Instant}. */
export const instant = (): Instant => performance.now();

export class SharedReads {
  private readonly inFlight = new Map<string, { startedAt: Instant; result: Promise<unknown> }>();

  /**
   * The result of `load`, or of an in-flight read of `key` that started at or after
   * `notBefore` (typically the arrival of the wake-up being answered, see WakeUp.arrivedAt).
   * Rejects as the shared read does; the failed read is not kept.
   */
  read<T>(key: string, notBefore: Instant, load: () => Promise<T>): Promise<T> {
    const current = this.inFlight.get(key);
    if (current && current.startedAt >= notBefore) return current.result as Promise<T>;
    const entry = { startedAt: instant(), result: load() as Promise<unknown> };
    this.inFlight.set(key, entry);
    const forget = () => {
      if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
    };
    entry.result.then(forget, forget);
    return entry.result as Promise<T>;
  }
}
