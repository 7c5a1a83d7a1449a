/**
 * Protocols: versioned worker-protocol packages (seed worker-protocol.md). A package is
 * validated by the engine before anything is stored; a run keeps the version it started.
 */
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';

import type { Database, Executor } from '../db/client.js';
import type { ProtocolPrompt } from '../db/documents.js';
import { protocols, protocolVersions } from '../db/schema.js';
import { NotFoundError, ProtocolError, ValidationError } from '../errors.js';
import { transactionWithEvents } from '../events/outbox.js';
import type { Diagnostic } from '../protocol/diagnostics.js';
import { loadProtocolPackage } from '../protocol/parse.js';
import type { Protocol } from '../protocol/types.js';
import type { Bus } from '../realtime/bus.js';
import { parseInput, withDefault } from '../validation.js';

export type ProtocolRow = typeof protocols.$inferSelect;
export type ProtocolVersionRow = typeof protocolVersions.$inferSelect;

/** Slugs as PROTOCOL.md section 1 defines them: lowercase letters, digits, dashes. */
const Slug = z
  .string()
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lowercase letters, digits and single dashes, e.g. research-assistant');

const PromptModel = z.object({
  name: z.string().trim().min(1, 'must not be empty'),
  content: z.string(),
});

const SettingsModel = z
  .object({
    name: z.string().trim().min(1).nullish(),
    description: z.string().nullish(),
    format: z.enum(['worker', 'WORKER']).nullish(),
  })
  .nullish();

/** What `createProtocol` accepts. */
export const CreateProtocolModel = z.object({
  slug: Slug,
  source: z.string().min(1, 'must not be empty'),
  prompts: withDefault(z.array(PromptModel), []),
  settings: SettingsModel,
});
export type CreateProtocolInput = z.input<typeof CreateProtocolModel>;

/** The result of validating a package without storing it. */
export interface ProtocolValidation {
  valid: boolean;
  diagnostics: Diagnostic[];
}

/**
 * Parses and validates a package the way `createProtocol` would, storing nothing.
 * `valid` is false when any diagnostic is an error; warnings alone keep it valid.
 */
export function validateProtocolPackage(input: {
  source: string;
  prompts: ProtocolPrompt[];
  settings?: Record<string, unknown> | null;
}): ProtocolValidation {
  const { protocol, diagnostics } = loadProtocolPackage({
    source: input.source,
    prompts: input.prompts,
    settings: input.settings ?? { slug: 'unsaved', name: 'Unsaved protocol', format: 'worker' },
  });
  return { valid: protocol !== null, diagnostics };
}

/**
 * Stores a new protocol as version 1 and appends `Protocol.created`.
 * @throws ValidationError for bad input or a slug already taken; ProtocolError with
 *   line/column diagnostics when the package does not validate (nothing is stored)
 */
export async function createProtocol(
  deps: { db: Database; bus: Bus },
  organizationId: string,
  input: CreateProtocolInput,
): Promise<ProtocolRow> {
  const data = parseInput(CreateProtocolModel, input);
  const settings = {
    slug: data.slug,
    name: data.settings?.name ?? data.slug,
    ...(data.settings?.description ? { description: data.settings.description } : {}),
    format: 'worker',
  };
  requireValid(data.source, data.prompts, settings);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const [protocol] = await tx
      .insert(protocols)
      .values({
        organizationId,
        slug: data.slug,
        name: settings.name,
        description: settings.description ?? null,
        latestVersion: 1,
      })
      .onConflictDoNothing()
      .returning();
    if (!protocol) {
      throw new ValidationError([{ path: ['slug'], message: `a protocol with slug "${data.slug}" already exists` }]);
    }
    await tx.insert(protocolVersions).values({
      organizationId,
      protocolId: protocol.id,
      version: 1,
      source: data.source,
      prompts: data.prompts,
      settings,
    });
    await outbox.append({
      organizationId,
      type: 'Protocol.created',
      subjectId: protocol.id,
      payload: { slug: protocol.slug, version: 1 },
    });
    return protocol;
  });
}

function requireValid(source: string, prompts: ProtocolPrompt[], settings: Record<string, unknown>): Protocol {
  const { protocol, diagnostics } = loadProtocolPackage({ source, prompts, settings });
  if (!protocol) throw new ProtocolError(diagnostics);
  return protocol;
}

/**
 * The newest version of protocol `slug` in `organizationId`.
 * @throws NotFoundError when there is no such protocol
 */
export async function findLatestVersion(
  db: Executor,
  organizationId: string,
  slug: string,
): Promise<{ protocol: ProtocolRow; version: ProtocolVersionRow }> {
  const [row] = await db
    .select({ protocol: protocols, version: protocolVersions })
    .from(protocols)
    .innerJoin(
      protocolVersions,
      and(eq(protocolVersions.protocolId, protocols.id), eq(protocolVersions.version, protocols.latestVersion)),
    )
    .where(and(eq(protocols.organizationId, organizationId), eq(protocols.slug, slug)));
  if (!row) throw new NotFoundError('Protocol', slug);
  return row;
}

/**
 * Parses a stored version back into the engine's model. Stored versions were valid when
 * saved; this only fails if the engine's rules became stricter since.
 * @throws ProtocolError with the diagnostics
 */
export function loadStoredVersion(version: ProtocolVersionRow): Protocol {
  return requireValid(version.source, version.prompts, version.settings);
}
