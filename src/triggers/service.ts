/**
 * Triggers (docs/product/worker.md `on($.Lead.created, lead => worker.work(…))`): an event
 * of a type, optionally filtered on its payload, becomes a task for a worker or a
 * fleet's queue. {@link fireTriggers} is an event-dispatcher handler; the primary key
 * of `trigger_firings` (trigger, event seq) makes each trigger fire once per event.
 */
import { and, eq, isNull, lte } from 'drizzle-orm';
import { z } from 'zod';

import type { Database } from '../db/client.js';
import { requireOwned } from '../db/ownership.js';
import { fleets, triggerFirings, triggers, workers } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError } from '../errors.js';
import type { EventHandler } from '../events/dispatcher.js';
import { interestChanged } from '../events/interest.js';
import { transactionWithEvents } from '../events/outbox.js';
import type { Bus } from '../realtime/bus.js';
import { ActionModel, TaskPriorityModel } from '../tasks/service.js';
import { createTask } from '../tasks/work-state.js';
import { EventTypeModel, parseInput, withDefault } from '../validation.js';
import { mapInput, matchesFilter } from './match.js';

export type TriggerRow = typeof triggers.$inferSelect;

const Path = z.string().regex(/^[^.\s]+(\.[^.\s]+)*$/, 'must be a dot-separated payload path, e.g. lead.company');

/** What `createTrigger` accepts; exactly one of `workerId` and `fleetId`. */
export const CreateTriggerModel = z
  .object({
    eventType: EventTypeModel,
    filter: withDefault(z.record(Path, z.unknown(), { message: 'must be an object of payload paths to values' }), {}),
    workerId: z.uuid().nullish(),
    fleetId: z.uuid().nullish(),
    action: ActionModel,
    inputMapping: withDefault(z.record(z.string().min(1), Path, { message: 'must be an object of input fields to payload paths' }), {}),
    priority: withDefault(TaskPriorityModel, 'NORMAL'),
  })
  .refine((t) => Boolean(t.workerId) !== Boolean(t.fleetId), {
    message: 'name exactly one of workerId and fleetId',
    path: ['workerId'],
  });

/**
 * Creates a trigger; it fires for events stored from now on. Appends `Trigger.created`.
 * @throws ValidationError; NotFoundError for the worker or fleet
 */
export async function createTrigger(
  deps: { db: Database; bus: Bus },
  organizationId: string,
  input: z.input<typeof CreateTriggerModel>,
): Promise<TriggerRow> {
  const data = parseInput(CreateTriggerModel, input);
  const created = await transactionWithEvents(deps, async (tx, outbox) => {
    if (data.workerId) await requireOwned(tx, workers, organizationId, data.workerId, 'Worker');
    if (data.fleetId) await requireOwned(tx, fleets, organizationId, data.fleetId, 'Fleet');
    const [row] = await tx
      .insert(triggers)
      .values({ organizationId, ...data, workerId: data.workerId ?? null, fleetId: data.fleetId ?? null })
      .returning();
    await outbox.append({
      organizationId,
      type: 'Trigger.created',
      subjectId: row!.id,
      payload: { eventType: row!.eventType, action: row!.action },
    });
    return row!;
  });
  interestChanged(deps.bus, organizationId);
  return created;
}

/**
 * Deletes a trigger (it keeps its row, `deletedAt`, for the tasks it made). Appends
 * `Trigger.deleted`.
 * @throws NotFoundError; InvalidTransitionError when it is already deleted
 */
export async function deleteTrigger(deps: { db: Database; bus: Bus }, organizationId: string, triggerId: string): Promise<TriggerRow> {
  const deleted = await transactionWithEvents(deps, async (tx, outbox) => {
    const [trigger] = await tx
      .select()
      .from(triggers)
      .where(and(eq(triggers.organizationId, organizationId), eq(triggers.id, triggerId)))
      .for('update');
    if (!trigger) throw new NotFoundError('Trigger', triggerId);
    if (trigger.deletedAt) throw new InvalidTransitionError('Trigger', 'DELETED', 'DELETED');
    const [row] = await tx.update(triggers).set({ deletedAt: new Date() }).where(eq(triggers.id, trigger.id)).returning();
    await outbox.append({ organizationId, type: 'Trigger.deleted', subjectId: trigger.id, payload: { eventType: trigger.eventType } });
    return row!;
  });
  interestChanged(deps.bus, organizationId);
  return deleted;
}

/**
 * Event-dispatcher handler: every live trigger of the event's organisation and type
 * created before the event, whose filter matches, makes one task — for its worker when
 * ACTIVE, otherwise in the worker's or the trigger's fleet queue (work is not lost
 * because a worker left). Events about tasks a trigger made do not fire that trigger
 * again.
 */
export const fireTriggers: EventHandler = {
  wants: (interest, type) => interest.triggerTypes.has(type),
  handle: async (tx, outbox, event) => {
    const candidates = await tx
      .select()
      .from(triggers)
      .where(
        and(
          eq(triggers.organizationId, event.organizationId),
          eq(triggers.eventType, event.type),
          isNull(triggers.deletedAt),
          lte(triggers.createdAt, event.at),
        ),
      );
    for (const trigger of candidates) {
      if (event.payload.triggerId === trigger.id || !matchesFilter(event.payload, trigger.filter)) continue;
      const [firing] = await tx
        .insert(triggerFirings)
        .values({ triggerId: trigger.id, eventSeq: event.seq })
        .onConflictDoNothing()
        .returning();
      if (!firing) continue;
      const [worker] = trigger.workerId ? await tx.select().from(workers).where(eq(workers.id, trigger.workerId)) : [];
      const fleetId = trigger.fleetId ?? worker?.fleetId;
      const target = worker?.lifecycle === 'ACTIVE' ? { worker } : fleetId ? { fleetId } : undefined;
      if (!target) continue; // an inactive worker outside any fleet: the firing is kept, without a task
      const task = await createTask(tx, outbox, event.organizationId, target, {
        action: trigger.action,
        input: mapInput(event.payload, trigger.inputMapping),
        priority: trigger.priority,
        triggerId: trigger.id,
      });
      await tx
        .update(triggerFirings)
        .set({ taskId: task!.id })
        .where(and(eq(triggerFirings.triggerId, trigger.id), eq(triggerFirings.eventSeq, event.seq)));
    }
  },
};
