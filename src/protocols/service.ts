/**
 * Protocols: versioned worker-protocol packages (docs/protocol.md). A package is
 * validated by the engine before anything is stored; an update stores a new version and
 * a run keeps the version it started with.
 */
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';

import type { Database, Executor, Transaction } from '../db/client.js';
import type { ProtocolPrompt } from '../db/documents.js';
import { protocols, protocolVersions, runs } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError, ProtocolError, ValidationError } from '../errors.js';
import { transactionWithEvents, type Outbox } from '../events/outbox.js';
import type { Diagnostic } from '../engine/diagnostics.js';
import { loadProtocolPackage } from '../engine/parse.js';
import type { Protocol } from '../engine/types.js';
import { LruMap } from '../lru.js';
import type { Bus } from '../realtime/bus.js';
import { HttpToolBindingsModel, type HttpToolBinding } from '../tools/http-tool.js';
import { parseInput, withDefault } from '../validation.js';
import { DEFAULT_WORKER_PACKAGE, DEFAULT_WORKER_PROTOCOL } from './default-worker.js';

export type ProtocolRow = typeof protocols.$inferSelect;
export type ProtocolVersionRow = typeof protocolVersions.$inferSelect;

/** Slugs as docs/protocol.md section 1 defines them: lowercase letters, digits, dashes. */
const Slug = z
  .string()
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lowercase letters, digits and single dashes, e.g. research-assistant');

const PromptModel = z.object({
  name: z.string().trim().min(1, 'must not be empty'),
  content: z.string(),
});

/** settings.json less the slug, plus our `httpTools` bindings (tool name → URL). */
const SettingsModel = z
  .object({
    name: z.string().trim().min(1).nullish(),
    description: z.string().nullish(),
    httpTools: HttpToolBindingsModel.nullish(),
  })
  .nullish();

const PackageModel = {
  source: z.string().min(1, 'must not be empty'),
  prompts: withDefault(z.array(PromptModel), []),
  settings: SettingsModel,
};

/** What `createProtocol` accepts. */
export const CreateProtocolModel = z.object({ slug: Slug, ...PackageModel });
export type CreateProtocolInput = z.input<typeof CreateProtocolModel>;

/** What `updateProtocol` accepts: the whole new package of protocol `slug`. */
export const UpdateProtocolModel = z.object({ slug: z.string().min(1), ...PackageModel });
export type UpdateProtocolInput = z.input<typeof UpdateProtocolModel>;

/** A version's settings as stored: settings.json fields and the HTTP tool bindings. */
export interface StoredSettings {
  slug: string;
  name: string;
  description?: string;
  format: 'worker';
  httpTools: Record<string, HttpToolBinding>;
}

/** The result of validating a package without storing it. */
export interface ProtocolValidation {
  valid: boolean;
  diagnostics: Diagnostic[];
}

/**
 * Parses and validates a package the way `createProtocol` would, storing nothing.
 * `valid` is false when any diagnostic is an error; warnings alone keep it valid.
 */
export function validateProtocolPackage(input: { source: string; prompts: ProtocolPrompt[] }): ProtocolValidation {
  const { protocol, diagnostics } = loadProtocolPackage({
    source: input.source,
    prompts: input.prompts,
    settings: { slug: 'unsaved', name: 'Unsaved protocol', format: 'worker' },
  });
  return { valid: protocol !== null, diagnostics };
}

/**
 * Stores a new protocol as version 1 and appends `Protocol.created`.
 * @throws ValidationError for bad input, a slug already taken or an HTTP binding of an
 *   undeclared tool; ProtocolError with line/column diagnostics when the package does not
 *   validate (nothing is stored)
 */
export async function createProtocol(
  deps: { db: Database; bus: Bus },
  organizationId: string,
  input: CreateProtocolInput,
): Promise<ProtocolRow> {
  const data = parseInput(CreateProtocolModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const protocol = await insertProtocol(tx, outbox, organizationId, data);
    if (!protocol) {
      throw new ValidationError([{ path: ['slug'], message: `a protocol with slug "${data.slug}" already exists` }]);
    }
    return protocol;
  });
}

/**
 * Stores the validated package `data` as version 1 of a new protocol in the caller's
 * transaction and appends `Protocol.created`.
 * @returns undefined when the slug is taken (nothing is stored)
 * @throws ProtocolError; ValidationError (see `checkedPackage`)
 */
async function insertProtocol(
  tx: Transaction,
  outbox: Outbox,
  organizationId: string,
  data: z.output<typeof CreateProtocolModel>,
): Promise<ProtocolRow | undefined> {
  const { settings, definition } = checkedPackage(data.slug, data);
  const [protocol] = await tx
    .insert(protocols)
    .values({ organizationId, slug: data.slug, name: settings.name, description: settings.description ?? null, latestVersion: 1 })
    .onConflictDoNothing()
    .returning();
  if (!protocol) return undefined;
  const [stored] = await tx
    .insert(protocolVersions)
    .values({ organizationId, protocolId: protocol.id, version: 1, source: data.source, prompts: data.prompts, settings: { ...settings } })
    .returning({ id: protocolVersions.id });
  parsedVersions.set(stored!.id, { protocol: definition, httpTools: settings.httpTools });
  await outbox.append({ organizationId, type: 'Protocol.created', subjectId: protocol.id, payload: { slug: protocol.slug, version: 1 } });
  return protocol;
}

/**
 * The slug of the protocol a worker without one runs: the organisation's
 * `default-worker` protocol, stored from the built-in package (src/protocols/default-worker.ts)
 * in the caller's transaction when the organisation has none yet (also after it was
 * deleted); an organisation that changed it keeps its own version.
 */
export async function defaultWorkerProtocol(tx: Transaction, outbox: Outbox, organizationId: string): Promise<string> {
  if (!(await findProtocolId(tx, organizationId, DEFAULT_WORKER_PROTOCOL))) {
    await insertProtocol(tx, outbox, organizationId, DEFAULT_WORKER_PACKAGE);
  }
  return DEFAULT_WORKER_PROTOCOL;
}

/** The id of protocol `slug` of `organizationId`, or undefined when there is none. */
export async function findProtocolId(db: Executor, organizationId: string, slug: string): Promise<string | undefined> {
  const [row] = await db
    .select({ id: protocols.id })
    .from(protocols)
    .where(and(eq(protocols.organizationId, organizationId), eq(protocols.slug, slug)));
  return row?.id;
}

/**
 * Stores a new version of protocol `slug` and appends `Protocol.updated`. Runs that
 * started before keep their version.
 * @throws NotFoundError; ValidationError; ProtocolError (nothing is stored)
 */
export async function updateProtocol(
  deps: { db: Database; bus: Bus },
  organizationId: string,
  input: UpdateProtocolInput,
): Promise<ProtocolRow> {
  const data = parseInput(UpdateProtocolModel, input);
  const { settings, definition } = checkedPackage(data.slug, data);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const [current] = await tx
      .select()
      .from(protocols)
      .where(and(eq(protocols.organizationId, organizationId), eq(protocols.slug, data.slug)))
      .for('update');
    if (!current) throw new NotFoundError('Protocol', data.slug);
    const version = current.latestVersion + 1;
    const [stored] = await tx
      .insert(protocolVersions)
      .values({ organizationId, protocolId: current.id, version, source: data.source, prompts: data.prompts, settings: { ...settings } })
      .returning({ id: protocolVersions.id });
    parsedVersions.set(stored!.id, { protocol: definition, httpTools: settings.httpTools });
    const [protocol] = await tx
      .update(protocols)
      .set({ latestVersion: version, name: settings.name, description: settings.description ?? null })
      .where(eq(protocols.id, current.id))
      .returning();
    await outbox.append({ organizationId, type: 'Protocol.updated', subjectId: current.id, payload: { slug: data.slug, version } });
    return protocol!;
  });
}

/**
 * Deletes protocol `slug` with its versions and appends `Protocol.deleted`.
 * @throws NotFoundError; InvalidTransitionError while runs of it exist (their history
 *   needs the versions they executed)
 */
export async function deleteProtocol(
  deps: { db: Database; bus: Bus },
  organizationId: string,
  slug: string,
): Promise<ProtocolRow> {
  return transactionWithEvents(deps, async (tx, outbox) => {
    const [protocol] = await tx
      .select()
      .from(protocols)
      .where(and(eq(protocols.organizationId, organizationId), eq(protocols.slug, slug)))
      .for('update');
    if (!protocol) throw new NotFoundError('Protocol', slug);
    const runCount = await tx.$count(runs, eq(runs.protocolId, protocol.id));
    if (runCount > 0) {
      throw new InvalidTransitionError('Protocol', 'IN_USE', 'DELETED', `${runCount} run(s) executed it; their history keeps it`);
    }
    await tx.delete(protocols).where(eq(protocols.id, protocol.id));
    await outbox.append({ organizationId, type: 'Protocol.deleted', subjectId: protocol.id, payload: { slug } });
    return protocol;
  });
}

/**
 * Validates a package and its settings; returns the settings to store and the parsed protocol.
 * @throws ProtocolError; ValidationError for an HTTP binding of an undeclared tool
 */
function checkedPackage(
  slug: string,
  data: { source: string; prompts: ProtocolPrompt[]; settings?: z.output<typeof SettingsModel> },
): { settings: StoredSettings; definition: Protocol } {
  const settings: StoredSettings = {
    slug,
    name: data.settings?.name ?? slug,
    ...(data.settings?.description ? { description: data.settings.description } : {}),
    format: 'worker',
    httpTools: data.settings?.httpTools ?? {},
  };
  const protocol = requireValid(data.source, data.prompts, settings);
  const declared = new Set(protocol.tools.map((tool) => tool.name));
  const unknown = Object.keys(settings.httpTools).filter((name) => !declared.has(name));
  if (unknown.length > 0) {
    throw new ValidationError(
      unknown.map((name) => ({ path: ['settings', 'httpTools', name], message: `the protocol declares no tool "${name}"` })),
    );
  }
  return { settings, definition: protocol };
}

function requireValid(source: string, prompts: ProtocolPrompt[], settings: object): Protocol {
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

/** A stored version as runs use it: the engine's model and the HTTP tool bindings. */
export interface LoadedVersion {
  protocol: Protocol;
  httpTools: Record<string, HttpToolBinding>;
}

/**
 * How many parsed versions a process keeps (least recently used dropped first). A version
 * never changes once stored, so an entry never goes stale; a parse costs milliseconds of
 * CPU for a large package, an entry some tens of kilobytes.
 */
const PARSED_VERSIONS_KEPT = 256;

/** Parsed versions by id. Shared by every app in the process: ids are random UUIDs and a version never changes. */
const parsedVersions = new LruMap<string, LoadedVersion>(PARSED_VERSIONS_KEPT);

/**
 * Version `versionId` as runs use it, from this process's cache or else read (one
 * statement) and parsed.
 * @throws NotFoundError when no such version exists; ProtocolError as {@link parsedVersion}
 */
export async function loadVersion(db: Executor, versionId: string): Promise<LoadedVersion> {
  const cached = parsedVersions.get(versionId);
  if (cached) return cached;
  const [version] = await db.select().from(protocolVersions).where(eq(protocolVersions.id, versionId));
  if (!version) throw new NotFoundError('ProtocolVersion', versionId);
  return parsedVersion(version);
}

/**
 * A stored version parsed back into the engine's model, once per version per process
 * (versions are immutable; see {@link PARSED_VERSIONS_KEPT}). The result is shared: treat
 * it as read-only. Stored versions were valid when saved; this only fails if the engine's
 * rules became stricter since.
 * @throws ProtocolError with the diagnostics
 */
export function parsedVersion(version: ProtocolVersionRow): LoadedVersion {
  return (
    parsedVersions.get(version.id) ??
    parsedVersions.set(version.id, {
      protocol: requireValid(version.source, version.prompts, version.settings),
      // Versions stored before HTTP tools existed have no bindings.
      httpTools: HttpToolBindingsModel.parse((version.settings as Partial<StoredSettings>).httpTools ?? {}),
    })
  );
}
