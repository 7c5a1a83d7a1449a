/**
 * API keys: creation (the secret is shown once), revocation, and authentication of a
 * presented secret. Key format: `wfk_<prefix>_<secret>`, 256 bits of randomness; the
 * database keeps the SHA-256 of the whole key and the prefix (issue "Access control").
 */
import { createHash, randomBytes } from 'node:crypto';

import { and, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import { z } from 'zod';

import type { Database } from '../db/client.js';
import { requireOwned } from '../db/ownership.js';
import { apiKeys, workers } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../errors.js';
import { transactionWithEvents } from '../events/outbox.js';
import type { Bus } from '../realtime/bus.js';
import { parseInput } from '../validation.js';
import type { Actor, Role } from './actor.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

const KEY_PATTERN = /^wfk_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$/;

/** SHA-256 of a presented key, hex. */
export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A new random key: the full secret (shown once) and its prefix. */
function generateKey(): { secret: string; prefix: string } {
  const prefix = randomBytes(6).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, 'x').slice(0, 8);
  return { secret: `wfk_${prefix}_${randomBytes(32).toString('base64url')}`, prefix };
}

/** What `createApiKey` accepts. */
export const CreateApiKeyModel = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200),
    role: z.enum(['ADMIN', 'OPERATOR', 'VIEWER', 'WORKER']),
    workerId: z.uuid().nullish(),
    expiresAt: z.date().nullish(),
  })
  .refine((input) => (input.role === 'WORKER') === Boolean(input.workerId), {
    message: 'a WORKER key names its worker, and only a WORKER key does',
    path: ['workerId'],
  })
  .refine((input) => !input.expiresAt || input.expiresAt.getTime() > Date.now(), {
    message: 'must be in the future',
    path: ['expiresAt'],
  });
export type CreateApiKeyInput = z.input<typeof CreateApiKeyModel>;

/**
 * Creates a key in `organizationId`, appends `ApiKey.created`, and publishes
 * `apiKey:changed` after commit (every process then knows that keys exist).
 * @returns the row and the secret, which is never retrievable again
 * @throws ValidationError; NotFoundError for an unknown worker
 */
export async function createApiKey(
  deps: { db: Database; bus: Bus },
  organizationId: string,
  input: CreateApiKeyInput,
): Promise<{ apiKey: ApiKeyRow; secret: string }> {
  const data = parseInput(CreateApiKeyModel, input);
  const { secret, prefix } = generateKey();
  const created = await transactionWithEvents(deps, async (tx, outbox) => {
    if (data.workerId) await requireOwned(tx, workers, organizationId, data.workerId, 'Worker');
    const [apiKey] = await tx
      .insert(apiKeys)
      .values({
        organizationId,
        name: data.name,
        role: data.role,
        workerId: data.workerId ?? null,
        prefix,
        secretHash: hashKey(secret),
        expiresAt: data.expiresAt ?? null,
      })
      .returning();
    await outbox.append({ organizationId, type: 'ApiKey.created', subjectId: apiKey!.id, payload: { name: data.name, role: data.role, prefix } });
    return { apiKey: apiKey!, secret };
  });
  deps.bus.publish('apiKey:changed', { keyId: created.apiKey.id });
  return created;
}

/**
 * Revokes key `id`; requests and sockets using it are refused from then on, in every
 * process: `apiKey:changed` is published once the revocation committed.
 * @throws NotFoundError; InvalidTransitionError when already revoked
 */
export async function revokeApiKey(deps: { db: Database; bus: Bus }, organizationId: string, id: string): Promise<ApiKeyRow> {
  const revoked = await transactionWithEvents(deps, async (tx, outbox) => {
    const [key] = await tx
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.id, id), eq(apiKeys.organizationId, organizationId)))
      .for('update');
    if (!key) throw new NotFoundError('ApiKey', id);
    if (key.revokedAt) throw new InvalidTransitionError('ApiKey', 'REVOKED', 'REVOKED');
    const [row] = await tx.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, id)).returning();
    await outbox.append({ organizationId, type: 'ApiKey.revoked', subjectId: id, payload: { prefix: key.prefix } });
    return row!;
  });
  deps.bus.publish('apiKey:changed', { keyId: id });
  return revoked;
}

/** Why a presented key was refused; the message never repeats the key. */
export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

/** What authentication needs of a key row (never its hash). */
export type VerifiedKey = Pick<ApiKeyRow, 'id' | 'organizationId' | 'role' | 'workerId' | 'prefix' | 'name' | 'revokedAt' | 'expiresAt' | 'lastUsedAt'>;

const VERIFIED_KEY_COLUMNS = {
  id: apiKeys.id,
  organizationId: apiKeys.organizationId,
  role: apiKeys.role,
  workerId: apiKeys.workerId,
  prefix: apiKeys.prefix,
  name: apiKeys.name,
  revokedAt: apiKeys.revokedAt,
  expiresAt: apiKeys.expiresAt,
  lastUsedAt: apiKeys.lastUsedAt,
};

/**
 * The SHA-256 (hex) of a presented key, checking its format first.
 * @throws AuthenticationError for a secret that does not have the key format
 */
export function hashPresentedKey(secret: string): string {
  if (!KEY_PATTERN.test(secret)) throw new AuthenticationError('The API key is malformed');
  return hashKey(secret);
}

/** The key whose secret hashes to `secretHash`, revoked and expired ones included; undefined when none. */
export async function findKeyByHash(db: Database, secretHash: string): Promise<VerifiedKey | undefined> {
  const [key] = await db.select(VERIFIED_KEY_COLUMNS).from(apiKeys).where(eq(apiKeys.secretHash, secretHash));
  return key;
}

/**
 * The actor `key` stands for at `now`.
 * @throws AuthenticationError when the key was revoked or has expired
 */
export function actorOfKey(key: VerifiedKey, now: Date): Actor {
  if (key.revokedAt) throw new AuthenticationError('The API key was revoked');
  if (key.expiresAt && key.expiresAt <= now) throw new AuthenticationError('The API key has expired');
  return {
    organizationId: key.organizationId,
    role: key.role.toLowerCase() as Role,
    apiKeyId: key.id,
    workerId: key.workerId,
    keyExpiresAt: key.expiresAt,
    label: `key ${key.prefix} (${key.name})`,
  };
}

/**
 * Records a use of key `keyId` as `last_used_at`, unless one was recorded less than
 * {@link LAST_USED_PRECISION_MS} ago (by any process): at most one write a minute per key.
 */
export async function recordKeyUse(db: Database, keyId: string): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: new Date() })
    .where(and(eq(apiKeys.id, keyId), sql`coalesce(${apiKeys.lastUsedAt}, 'epoch') < now() - interval '1 minute'`));
}

/** How precise `last_used_at` is, in ms: a key's use is written at most this often. */
export const LAST_USED_PRECISION_MS = 60_000;

/** Largest number of ids {@link usableKeyIds} puts in one query. */
const IDS_PER_QUERY = 10_000;

/**
 * Which of `keyIds` are usable at `now` (exist, not revoked, not expired): one query
 * (`id in (…)`) per {@link IDS_PER_QUERY} ids.
 */
export async function usableKeyIds(db: Database, keyIds: readonly string[], now: Date): Promise<Set<string>> {
  const usable = new Set<string>();
  for (let start = 0; start < keyIds.length; start += IDS_PER_QUERY) {
    const rows = await db
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(
        and(
          inArray(apiKeys.id, keyIds.slice(start, start + IDS_PER_QUERY)),
          isNull(apiKeys.revokedAt),
          or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
        ),
      );
    for (const row of rows) usable.add(row.id);
  }
  return usable;
}

/** Whether any key exists (then every request must present one). */
export async function anyKeyExists(db: Database): Promise<boolean> {
  const [row] = await db.select({ id: apiKeys.id }).from(apiKeys).limit(1);
  return row !== undefined;
}

/**
 * Makes sure `secret` (ADMIN_API_KEY) is an admin key of `organizationId`.
 * @throws ValidationError when it does not have the key format
 */
export async function ensureBootstrapKey(db: Database, organizationId: string, secret: string): Promise<void> {
  const match = KEY_PATTERN.exec(secret);
  if (!match) {
    throw new ValidationError([
      { path: ['ADMIN_API_KEY'], message: 'must look like wfk_<8 lowercase letters or digits>_<43 base64url characters>; `npm run keys:create` prints one' },
    ]);
  }
  await db
    .insert(apiKeys)
    .values({ organizationId, name: 'Bootstrap admin key (ADMIN_API_KEY)', role: 'ADMIN', prefix: match[1]!, secretHash: hashKey(secret) })
    .onConflictDoNothing();
}

/** A fresh key secret for ADMIN_API_KEY, for the `keys:create` script. */
export function newBootstrapSecret(): string {
  return generateKey().secret;
}
