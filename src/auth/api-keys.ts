/**
 * API keys: creation (the secret is shown once), revocation, and authentication of a
 * presented secret. Key format: `wfk_<prefix>_<secret>`, 256 bits of randomness; the
 * database keeps the SHA-256 of the whole key and the prefix (issue "Access control").
 */
import { createHash, randomBytes } from 'node:crypto';

import { and, eq, isNull, sql } from 'drizzle-orm';
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
 * Creates a key in `organizationId` and appends `ApiKey.created`.
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
  return transactionWithEvents(deps, async (tx, outbox) => {
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
}

/**
 * Revokes key `id`; requests and sockets using it are refused from then on.
 * @throws NotFoundError; InvalidTransitionError when already revoked
 */
export async function revokeApiKey(deps: { db: Database; bus: Bus }, organizationId: string, id: string): Promise<ApiKeyRow> {
  return transactionWithEvents(deps, async (tx, outbox) => {
    const [key] = await tx
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.id, id), eq(apiKeys.organizationId, organizationId)))
      .for('update');
    if (!key) throw new NotFoundError('ApiKey', id);
    if (key.revokedAt) throw new InvalidTransitionError('ApiKey', 'REVOKED', 'REVOKED');
    const [revoked] = await tx.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, id)).returning();
    await outbox.append({ organizationId, type: 'ApiKey.revoked', subjectId: id, payload: { prefix: key.prefix } });
    return revoked!;
  });
}

/** Why a presented key was refused; the message never repeats the key. */
export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

/**
 * The actor a presented key stands for.
 * @throws AuthenticationError for a malformed, unknown, revoked or expired key
 */
export async function authenticate(db: Database, secret: string): Promise<Actor> {
  if (!KEY_PATTERN.test(secret)) throw new AuthenticationError('The API key is malformed');
  const [key] = await db.select().from(apiKeys).where(eq(apiKeys.secretHash, hashKey(secret)));
  if (!key) throw new AuthenticationError('The API key is not valid');
  if (key.revokedAt) throw new AuthenticationError('The API key was revoked');
  if (key.expiresAt && key.expiresAt <= new Date()) throw new AuthenticationError('The API key has expired');
  // Recorded at most once a minute per key, so that reads do not each cost a write.
  await db
    .update(apiKeys)
    .set({ lastUsedAt: new Date() })
    .where(and(eq(apiKeys.id, key.id), sql`coalesce(${apiKeys.lastUsedAt}, 'epoch') < now() - interval '1 minute'`));
  return actorOf(key);
}

/** Whether key `apiKeyId` is still usable (not revoked, not expired, not deleted). */
export async function isKeyValid(db: Database, apiKeyId: string): Promise<boolean> {
  const [key] = await db
    .select({ id: apiKeys.id, expiresAt: apiKeys.expiresAt })
    .from(apiKeys)
    .where(and(eq(apiKeys.id, apiKeyId), isNull(apiKeys.revokedAt)));
  return key !== undefined && (!key.expiresAt || key.expiresAt > new Date());
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

function actorOf(key: ApiKeyRow): Actor {
  return {
    organizationId: key.organizationId,
    role: key.role.toLowerCase() as Role,
    apiKeyId: key.id,
    workerId: key.workerId,
    label: `key ${key.prefix} (${key.name})`,
  };
}
