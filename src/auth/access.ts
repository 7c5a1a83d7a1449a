/**
 * Who may call: with no API key in the database and the server on a loopback address,
 * access is open (local development); once any key exists, every request and socket
 * must present one. A server on a non-loopback address with no key at all refuses to
 * start (`assertStartable`).
 *
 * Verified keys come from the in-memory {@link ApiKeyCache}; the sockets' keys are
 * watched by a {@link KeyWatch}. Both hear `apiKey:changed` on the bus, published after
 * a key is created or revoked, so that every process drops the key and closes its
 * sockets at once.
 */
import { isIP } from 'node:net';

import type { Database } from '../db/client.js';
import { DEFAULT_ORGANIZATION_ID } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { Bus } from '../realtime/bus.js';
import type { Actor } from './actor.js';
import { anyKeyExists, AuthenticationError } from './api-keys.js';
import { ApiKeyCache } from './key-cache.js';
import { KeyWatch, type OnKeyUnusable } from './key-watch.js';

/** How long the answer to "does any key exist?" is reused, in ms (keys made by another process count after this). */
const KEYS_EXIST_TTL_MS = 5_000;

/** The actor of open local access. */
const LOCAL_ACTOR: Actor = {
  organizationId: DEFAULT_ORGANIZATION_ID,
  role: 'admin',
  apiKeyId: null,
  workerId: null,
  keyExpiresAt: null,
  label: 'open local access',
};

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/** Thrown at start-up when the server would be open to the network. */
export class InsecureStartError extends Error {
  constructor(host: string) {
    super(
      `Refusing to listen on ${host} without any API key: anyone could reach the API. ` +
        'Set ADMIN_API_KEY (`npm run keys:create` prints one), or listen on 127.0.0.1.',
    );
    this.name = 'InsecureStartError';
  }
}

/** Authentication of requests and sockets, for one process. */
export class AccessControl {
  private keysExist: { value: boolean | Promise<boolean>; at: number } | undefined;
  private readonly db: Database;
  private readonly host: string;
  private readonly keys: ApiKeyCache;
  private readonly sockets: KeyWatch;
  private readonly unlisten: () => void;

  /**
   * @param keyCacheMs how long a verified key is reused from memory, in ms
   *   (API_KEY_CACHE_SECONDS); also how often open sockets' keys are read again
   */
  constructor(options: { db: Database; host: string; bus: Bus; logger: Logger; keyCacheMs: number }) {
    const { db, logger } = options;
    this.db = db;
    this.host = options.host;
    this.keys = new ApiKeyCache({ db, logger, ttlMs: options.keyCacheMs });
    this.sockets = new KeyWatch({ db, logger, recheckMs: options.keyCacheMs });
    this.unlisten = options.bus.listen('apiKey:changed', ({ keyId }) => {
      this.keysChanged();
      this.keys.forget(keyId);
      this.sockets.recheck([keyId]).catch((error: unknown) => logger.warn({ err: error }, 'could not re-check a changed API key'));
    });
  }

  /** @throws InsecureStartError when listening beyond loopback with no key */
  async assertStartable(): Promise<void> {
    if (!isLoopback(this.host) && !(await this.anyKey())) throw new InsecureStartError(this.host);
  }

  /** Forget the cached "any key?" answer (after creating a key). */
  keysChanged(): void {
    this.keysExist = undefined;
  }

  /**
   * The actor for a presented credential: an `Authorization: Bearer <key>` value, or a
   * bare key (graphql-ws `connectionParams`).
   * @throws AuthenticationError when a key is required and missing, or not valid
   */
  async actorFor(credential: string | null | undefined): Promise<Actor> {
    const secret = credential?.replace(/^Bearer\s+/i, '').trim();
    if (secret) return this.keys.actorFor(secret);
    if (isLoopback(this.host) && !(await this.anyKey())) return LOCAL_ACTOR;
    throw new AuthenticationError('An API key is required: send `Authorization: Bearer <key>`');
  }

  /**
   * Calls `onUnusable` once when the key of `actor` (a socket's) is revoked or expires;
   * returns the function that stops watching (call it when the socket closes).
   */
  watch(actor: Actor, onUnusable: OnKeyUnusable): () => void {
    return this.sockets.watch(actor, onUnusable);
  }

  /** Stops listening and watching; waits for background writes (before the database closes). */
  async close(): Promise<void> {
    this.unlisten();
    this.sockets.dispose();
    await this.keys.flush();
  }

  /** Whether any key exists: once yes, always; a no is reused for KEYS_EXIST_TTL_MS, and callers at once share one read. */
  private async anyKey(): Promise<boolean> {
    const now = Date.now();
    const known = this.keysExist;
    if (known && (known.value !== false || now - known.at < KEYS_EXIST_TTL_MS)) return known.value;
    const entry: { value: boolean | Promise<boolean>; at: number } = { value: anyKeyExists(this.db), at: now };
    this.keysExist = entry;
    try {
      entry.value = await entry.value;
    } catch (error) {
      if (this.keysExist === entry) this.keysExist = undefined;
      throw error;
    }
    return entry.value;
  }
}
