/**
 * Verified API keys, kept in memory for a short time so that a request with a key costs
 * no SQL: the cache maps the SHA-256 of a presented secret to its key row (never the
 * secret), for `ttlMs` (API_KEY_CACHE_SECONDS). Revocation does not wait for that time:
 * `apiKey:changed` on the bus drops the entry in every process (see access.ts); the TTL
 * only bounds how stale a process can be when that message is lost.
 *
 * - Revoked and expired keys are cached as they are: a revocation is final and the
 *   expiry time is checked against the clock on every use, from the cached row.
 * - Unknown secrets are not cached (no negative caching): each costs one indexed
 *   SELECT, and the per-client rate limit bounds how many a client may try.
 * - Requests presenting the same key at once share one read (a thousand sockets
 *   connecting with one key cost one query).
 * - `last_used_at` is written at most once a minute per key, in the background: the
 *   request does not wait for it.
 */
import type { Database } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { Actor } from './actor.js';
import {
  actorOfKey,
  AuthenticationError,
  findKeyByHash,
  hashPresentedKey,
  LAST_USED_PRECISION_MS,
  recordKeyUse,
  type VerifiedKey,
} from './api-keys.js';

/** Most keys held at once; past it the oldest entry is dropped (a key in use is simply read again). */
const MAX_CACHED_KEYS = 10_000;

interface Entry {
  key: VerifiedKey;
  /** When the row was read, in ms since the epoch. */
  loadedAt: number;
  /** When this process last recorded (or read) a use of the key, in ms since the epoch. */
  lastUsedAt: number;
}

/** The cache of verified keys of one process. */
export class ApiKeyCache {
  readonly #entries = new Map<string, Entry>();
  readonly #pendingWrites = new Set<Promise<void>>();
  /** Reads under way, by hash. */
  readonly #loading = new Map<string, Promise<VerifiedKey | undefined>>();

  /** @param ttlMs how long a read row is reused, in ms; 0 reads it on every request */
  constructor(private readonly options: { db: Database; logger: Logger; ttlMs: number }) {}

  /**
   * The actor presented secret `secret` stands for.
   * @throws AuthenticationError for a malformed, unknown, revoked or expired key
   */
  async actorFor(secret: string): Promise<Actor> {
    const hash = hashPresentedKey(secret);
    const now = Date.now();
    let entry = this.#entries.get(hash);
    if (!entry || now - entry.loadedAt >= this.options.ttlMs) {
      const key = await this.#load(hash);
      if (!key) {
        this.#entries.delete(hash);
        throw new AuthenticationError('The API key is not valid');
      }
      entry = { key, loadedAt: now, lastUsedAt: Math.max(key.lastUsedAt?.getTime() ?? 0, entry?.lastUsedAt ?? 0) };
      this.#store(hash, entry);
    }
    const actor = actorOfKey(entry.key, new Date(now));
    if (now - entry.lastUsedAt >= LAST_USED_PRECISION_MS) {
      entry.lastUsedAt = now;
      this.#recordUse(entry.key.id);
    }
    return actor;
  }

  /** Drops key `keyId` (revoked or changed): its next use reads it again. */
  forget(keyId: string): void {
    for (const [hash, entry] of this.#entries) {
      if (entry.key.id === keyId) this.#entries.delete(hash);
    }
  }

  /** Waits for the `last_used_at` writes under way (before the database closes). */
  async flush(): Promise<void> {
    await Promise.all(this.#pendingWrites);
  }

  /** Reads the key of `hash`; callers asking for the same hash at once share one query. */
  #load(hash: string): Promise<VerifiedKey | undefined> {
    let loading = this.#loading.get(hash);
    if (!loading) {
      loading = findKeyByHash(this.options.db, hash).finally(() => this.#loading.delete(hash));
      this.#loading.set(hash, loading);
    }
    return loading;
  }

  #store(hash: string, entry: Entry): void {
    this.#entries.delete(hash);
    if (this.#entries.size >= MAX_CACHED_KEYS) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(hash, entry);
  }

  #recordUse(keyId: string): void {
    const write = recordKeyUse(this.options.db, keyId)
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not record the last use of an API key'))
      .finally(() => this.#pendingWrites.delete(write));
    this.#pendingWrites.add(write);
  }
}
