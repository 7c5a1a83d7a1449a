/**
 * Workers: hiring and editing (docs/product/worker.md "Worker Identity"). The lifecycle after hiring is in
 * lifecycle-service.ts, its rules in lifecycle.ts.
 */
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';

import type { Database, Executor } from '../db/client.js';
import { requireOwned } from '../db/ownership.js';
import { fleets, protocols, workers } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../errors.js';
import { transactionWithEvents } from '../events/outbox.js';
import type { ModelRegistry } from '../models/registry.js';
import type { Bus } from '../realtime/bus.js';
import { ModelId, parseInput, RoleModel, SkillModel, TimeZone, withDefault } from '../validation.js';
import { lockWorker, type WorkerRow } from './lifecycle.js';
import { WorkingHoursModel } from './working-hours.js';

/**
 * A persona as docs/product/worker.md writes it: schema.org Person fields (`$type`, `name`,
 * `jobTitle`) beside the worker's background, expertise, style, traits, working hours
 * (free text or an object, see working-hours.ts) and languages. Unknown keys are refused so
 * that a misspelt one is noticed.
 */
const PersonaModel = z
  .object({
    $type: z.string().trim().min(1).optional(),
    name: z.string().trim().min(1).optional(),
    jobTitle: z.string().trim().min(1).optional(),
    style: z.string().optional(),
    background: z.string().optional(),
    expertise: z.array(z.string()).optional(),
    communicationStyle: z.string().optional(),
    personalityTraits: z.array(z.string()).optional(),
    workingHours: WorkingHoursModel.optional(),
    languages: z.array(z.string()).optional(),
  })
  .strict();

/** What `hireWorker` accepts; ids are local UUIDs (the schema decodes global IDs). */
export const HireWorkerModel = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  role: RoleModel,
  persona: PersonaModel.nullish(),
  capabilities: withDefault(z.array(z.string().trim().min(1)), []),
  skills: withDefault(z.array(SkillModel), []),
  responsibilities: withDefault(z.array(z.string().trim().min(1)), []),
  goals: z
    .object({ daily: z.array(z.string()).nullish(), weekly: z.array(z.string()).nullish(), monthly: z.array(z.string()).nullish() })
    .nullish(),
  kpis: withDefault(
    z.array(
      z.object({
        name: z.string().trim().min(1),
        target: z.number().finite(),
        period: z.enum(['DAILY', 'WEEKLY', 'MONTHLY', 'QUARTERLY']),
        action: z.string().trim().min(1).nullish(),
      }),
    ),
    [],
  ),
  model: ModelId.nullish(),
  protocolSlug: z.string().nullish(),
  fleetId: z.uuid().nullish(),
  managerId: z.uuid().nullish(),
  concurrency: withDefault(z.number().int().min(1, 'must be at least 1').max(100), 1),
  location: z.string().trim().min(1).max(200).nullish(),
  startDate: z.date().nullish(),
});
export type HireWorkerInput = z.input<typeof HireWorkerModel>;

/**
 * The model a new worker is hired with (`hireWorker`, or a fleet's worker template): the
 * model given, an explicit null included (none: the worker is driven from outside); when
 * omitted, the server's default model (DEFAULT_MODEL, `defaultModel`, null when unset) if no
 * protocol is given either, so that the worker runs the default worker protocol on it.
 */
export function modelOfNewWorker(given: string | null | undefined, protocolSlug: string | null | undefined, defaultModel: string | null): string | null {
  if (given !== undefined) return given;
  return protocolSlug ? null : defaultModel;
}

/**
 * Hires a worker (lifecycle HIRED, availability OFFLINE) and appends `Worker.hired`. Its
 * model is {@link modelOfNewWorker}: given neither a model nor a protocol, the server's
 * default model.
 * @throws ValidationError for bad input; NotFoundError for an unknown protocol, fleet or manager
 */
export async function hireWorker(
  deps: { db: Database; bus: Bus; models: Pick<ModelRegistry, 'defaultModel'> },
  organizationId: string,
  input: HireWorkerInput,
): Promise<WorkerRow> {
  const data = parseInput(HireWorkerModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const protocolId = data.protocolSlug ? (await requireProtocolBySlug(tx, organizationId, data.protocolSlug)).id : null;
    if (data.fleetId) await requireOwned(tx, fleets, organizationId, data.fleetId, 'Fleet');
    if (data.managerId) await requireOwned(tx, workers, organizationId, data.managerId, 'Worker');
    const [worker] = await tx
      .insert(workers)
      .values({
        organizationId,
        name: data.name,
        role: data.role,
        persona: data.persona ?? null,
        capabilities: data.capabilities,
        skills: data.skills,
        responsibilities: data.responsibilities,
        goals: data.goals ? goalsOf(data.goals) : null,
        kpis: data.kpis.map((kpi) => ({ ...kpi, action: kpi.action ?? null })),
        model: modelOfNewWorker(data.model, data.protocolSlug, deps.models.defaultModel),
        protocolId,
        fleetId: data.fleetId ?? null,
        managerId: data.managerId ?? null,
        concurrency: data.concurrency,
        location: data.location ?? null,
        ...(data.startDate ? { startDate: data.startDate } : {}),
      })
      .returning();
    await outbox.append({
      organizationId,
      type: 'Worker.hired',
      subjectId: worker!.id,
      payload: { name: worker!.name, role: worker!.role, startDate: worker!.startDate.toISOString() },
    });
    return worker!;
  });
}

/**
 * What `updateWorker` accepts: the worker and the identity fields to change, validated
 * as `hireWorker` validates them. An omitted field stays; an explicit null clears it
 * (nullable fields become null, lists become empty, `concurrency` returns to 1). Name
 * only: the role changes through `promoteWorker` (role history), the fleet through the
 * fleet (a fleet's members are made from its template).
 */
export const UpdateWorkerModel = HireWorkerModel.omit({ role: true, fleetId: true, startDate: true })
  .partial()
  .extend({ workerId: z.uuid() });
export type UpdateWorkerInput = z.input<typeof UpdateWorkerModel>;

/**
 * Changes the fields given of a worker that is not OFFBOARDED and appends
 * `Worker.updated` naming the fields whose value changed (nothing is appended, and the
 * row is returned as it is, when none did). The changes apply to work not started yet:
 * a higher `concurrency` lets more ASSIGNED tasks start, a protocol given to a worker
 * that had none starts its ASSIGNED tasks; running tasks keep the protocol they started
 * with.
 * @throws ValidationError for bad input (a worker managing itself included);
 *   NotFoundError for an unknown worker, protocol or manager; InvalidTransitionError
 *   for an OFFBOARDED worker
 */
export async function updateWorker(
  deps: { db: Database; bus: Bus },
  organizationId: string,
  input: UpdateWorkerInput,
): Promise<WorkerRow> {
  const data = parseInput(UpdateWorkerModel, input);
  if (data.managerId && data.managerId === data.workerId) {
    throw new ValidationError([{ path: ['managerId'], message: 'a worker cannot report to itself' }]);
  }
  return transactionWithEvents(deps, async (tx, outbox) => {
    const worker = await lockWorker(tx, organizationId, data.workerId);
    if (worker.lifecycle === 'OFFBOARDED') {
      throw new InvalidTransitionError('Worker', 'OFFBOARDED', 'OFFBOARDED', 'an offboarded worker cannot be edited');
    }
    const protocolId =
      data.protocolSlug === undefined ? undefined : data.protocolSlug ? (await requireProtocolBySlug(tx, organizationId, data.protocolSlug)).id : null;
    if (data.managerId) await requireOwned(tx, workers, organizationId, data.managerId, 'Worker');
    const given: Partial<typeof workers.$inferInsert> = {
      ...(data.name !== undefined ? { name: data.name } : {}),
      ...(data.persona !== undefined ? { persona: data.persona ?? null } : {}),
      ...(data.capabilities !== undefined ? { capabilities: data.capabilities } : {}),
      ...(data.skills !== undefined ? { skills: data.skills } : {}),
      ...(data.responsibilities !== undefined ? { responsibilities: data.responsibilities } : {}),
      ...(data.goals !== undefined ? { goals: data.goals ? goalsOf(data.goals) : null } : {}),
      ...(data.kpis !== undefined ? { kpis: data.kpis.map((kpi) => ({ ...kpi, action: kpi.action ?? null })) } : {}),
      ...(data.model !== undefined ? { model: data.model ?? null } : {}),
      ...(protocolId !== undefined ? { protocolId } : {}),
      ...(data.managerId !== undefined ? { managerId: data.managerId ?? null } : {}),
      ...(data.concurrency !== undefined ? { concurrency: data.concurrency } : {}),
      ...(data.location !== undefined ? { location: data.location ?? null } : {}),
    };
    const changes = Object.fromEntries(
      Object.entries(given).filter(([field, value]) => JSON.stringify(value) !== JSON.stringify(worker[field as keyof WorkerRow])),
    ) as Partial<typeof workers.$inferInsert>;
    const fields = Object.keys(changes).map((field) => (field === 'protocolId' ? 'protocol' : field));
    if (fields.length === 0) return worker;
    const [updated] = await tx.update(workers).set(changes).where(eq(workers.id, worker.id)).returning();
    await outbox.append({ organizationId, type: 'Worker.updated', subjectId: worker.id, payload: { fields } });
    return updated!;
  });
}

function goalsOf(goals: { daily?: string[] | null; weekly?: string[] | null; monthly?: string[] | null }) {
  return { daily: goals.daily ?? [], weekly: goals.weekly ?? [], monthly: goals.monthly ?? [] };
}

async function requireProtocolBySlug(db: Executor, organizationId: string, slug: string) {
  const [row] = await db
    .select({ id: protocols.id })
    .from(protocols)
    .where(and(eq(protocols.organizationId, organizationId), eq(protocols.slug, slug)));
  if (!row) throw new NotFoundError('Protocol', slug);
  return row;
}

