/**
 * Who may call: with no API key in the database and the server on a loopback address,
 * access is open (local development, DESIGN.md "Configuration"); once any key exists,
 * every request and socket must present one. A server on a non-loopback address with no
 * key at all refuses to start (`assertStartable`).
 */
import { isIP } from 'node:net';

import type { Database } from '../db/client.js';
import { DEFAULT_ORGANIZATION_ID } from '../db/schema.js';
import type { Actor } from './actor.js';
import { anyKeyExists, authenticate, AuthenticationError } from './api-keys.js';

/** How long the answer to "does any key exist?" is reused, in ms (keys made by another process count after this). */
const KEYS_EXIST_TTL_MS = 5_000;

/** The actor of open local access. */
const LOCAL_ACTOR: Actor = {
  organizationId: DEFAULT_ORGANIZATION_ID,
  role: 'admin',
  apiKeyId: null,
  workerId: null,
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

export class AccessControl {
  private keysExist: { value: boolean; at: number } | undefined;

  constructor(
    private readonly db: Database,
    private readonly host: string,
  ) {}

  /** @throws InsecureStartError when listening beyond loopback with no key */
  async assertStartable(): Promise<void> {
    if (!isLoopback(this.host) && !(await this.anyKey())) throw new InsecureStartError(this.host);
  }

  /** Forget the cached "any key?" answer (after creating the first key). */
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
    if (secret) return authenticate(this.db, secret);
    if (isLoopback(this.host) && !(await this.anyKey())) return LOCAL_ACTOR;
    throw new AuthenticationError('An API key is required: send `Authorization: Bearer <key>`');
  }

  private async anyKey(): Promise<boolean> {
    const now = Date.now();
    if (this.keysExist && (this.keysExist.value || now - this.keysExist.at < KEYS_EXIST_TTL_MS)) return this.keysExist.value;
    const value = await anyKeyExists(this.db);
    this.keysExist = { value, at: now };
    return value;
  }
}
