/**
 * Long-lived connections (graphql-ws sockets, server-sent events subscriptions through
 * stream-revocation.ts) authenticate once; this watch ends them when their key stops
 * being usable:
 *
 * - at once when the key is revoked or changed: access.ts calls {@link KeyWatch.recheck}
 *   for the key named by `apiKey:changed` on the bus (one query, for that key);
 * - when the key expires, from the expiry time read at authentication (no SQL);
 * - and, in case a bus message was lost, by one batched query for every watched key
 *   (`id in (…)`) every `recheckMs` (the key cache's time, API_KEY_CACHE_SECONDS).
 *
 * With nothing watched there is no timer and no query.
 */
import type { Database } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { Actor } from './actor.js';
import { usableKeyIds } from './api-keys.js';

/** How often expiry times are compared with the clock, in ms (no SQL). */
const EXPIRY_TICK_MS = 1_000;

/** Called once when the key of a watched connection is no longer usable. */
export type OnKeyUnusable = () => void;

/** Watches the keys of open connections. */
export class KeyWatch {
  /** Key id → the connections using it. */
  readonly #watchers = new Map<string, Set<OnKeyUnusable>>();
  /** Key id → when it expires, in ms since the epoch (keys that never expire are absent). */
  readonly #expiries = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #lastRecheck = Date.now();
  #rechecking = false;

  /** @param recheckMs how often every watched key is read again in one query, in ms */
  constructor(private readonly options: { db: Database; logger: Logger; recheckMs: number }) {}

  /**
   * Calls `onUnusable` once when `actor`'s key is revoked, expires or disappears; open
   * local access (no key) is never ended. Returns the function that stops watching.
   */
  watch(actor: Actor, onUnusable: OnKeyUnusable): () => void {
    const keyId = actor.apiKeyId;
    if (!keyId) return () => {};
    let watchers = this.#watchers.get(keyId);
    if (!watchers) this.#watchers.set(keyId, (watchers = new Set()));
    watchers.add(onUnusable);
    if (actor.keyExpiresAt) this.#expiries.set(keyId, actor.keyExpiresAt.getTime());
    this.#timer ??= setInterval(() => this.#tick(), EXPIRY_TICK_MS).unref();
    return () => {
      watchers.delete(onUnusable);
      if (watchers.size === 0 && this.#watchers.get(keyId) === watchers) this.#forget(keyId);
    };
  }

  /** Reads the watched keys among `keyIds` again (one query) and ends the connections of those no longer usable. */
  async recheck(keyIds: readonly string[]): Promise<void> {
    const watched = keyIds.filter((id) => this.#watchers.has(id));
    if (watched.length === 0) return;
    const usable = await usableKeyIds(this.options.db, watched, new Date());
    for (const keyId of watched) if (!usable.has(keyId)) this.#end(keyId);
  }

  /** Stops the timer; connections are closed by their server. */
  dispose(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#watchers.clear();
    this.#expiries.clear();
  }

  #tick(): void {
    const now = Date.now();
    for (const [keyId, expiresAt] of this.#expiries) if (expiresAt <= now) this.#end(keyId);
    if (this.#rechecking || now - this.#lastRecheck < this.options.recheckMs) return;
    this.#lastRecheck = now;
    this.#rechecking = true;
    this.recheck([...this.#watchers.keys()])
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not re-check the keys of open sockets'))
      .finally(() => (this.#rechecking = false));
  }

  #end(keyId: string): void {
    const watchers = this.#watchers.get(keyId);
    this.#forget(keyId);
    for (const onUnusable of watchers ?? []) onUnusable();
  }

  #forget(keyId: string): void {
    this.#watchers.delete(keyId);
    this.#expiries.delete(keyId);
    if (this.#watchers.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
