/** GraphQL types and operations of triggers. */
import { and, eq, isNull } from 'drizzle-orm';

import { tasks, triggers } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../errors.js';
import { Fleet } from '../fleets/core/schema.js';
import { builder } from '../graphql/builder.js';
import { TaskPriorityEnum } from '../tasks/schema.js';
import { Worker } from '../workers/schema.js';
import { createTrigger, deleteTrigger } from './service.js';

export const Trigger = builder.drizzleNode('triggers', {
  name: 'Trigger',
  description: 'Turns each matching event into a task, once per event (seed `on($.Lead.created, …)`).',
  id: { column: (trigger) => trigger.id },
  fields: (t) => ({
    eventType: t.exposeString('eventType', { description: 'The event type it listens to, e.g. `Lead.created`.' }),
    filter: t.expose('filter', { type: 'JSON', description: 'Payload paths and the values they must equal.' }),
    worker: t.relation('worker', { nullable: true, description: 'The worker that gets the tasks (its fleet’s queue while it is not ACTIVE).' }),
    fleet: t.relation('fleet', { nullable: true, description: 'The fleet whose queue gets the tasks.' }),
    action: t.exposeString('action', { description: 'Action of the tasks it makes.' }),
    inputMapping: t.expose('inputMapping', { type: 'JSON', description: 'Task input fields and the payload paths they take; empty: the whole payload.' }),
    priority: t.field({ type: TaskPriorityEnum, description: 'Priority of the tasks it makes.', resolve: (tr) => tr.priority }),
    deletedAt: t.expose('deletedAt', { type: 'DateTime', nullable: true, description: 'When it was deleted; it fires no more.' }),
    tasks: t.drizzleConnection({
      type: 'tasks',
      description: 'Tasks it made, oldest first.',
      totalCount: (trigger, _args, ctx) => ctx.db.$count(tasks, eq(tasks.triggerId, trigger.id)),
      resolve: (query, trigger, _args, ctx) =>
        ctx.db.query.tasks.findMany(query({ where: { triggerId: trigger.id }, orderBy: { id: 'asc' } })),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created; it fires for later events.' }),
  }),
});

const CreateTriggerInput = builder.inputType('CreateTriggerInput', {
  description: 'A trigger: event type, optional payload filter, a worker or a fleet, an action and an input mapping.',
  fields: (t) => ({
    eventType: t.string({ required: true, description: 'Event type, e.g. `Lead.created` or `$.Lead.created` (stored without `$.`).' }),
    filter: t.field({ type: 'JSON', description: 'Object of dot-separated payload paths to the values they must equal, e.g. {"source": "web"}.' }),
    workerId: t.globalID({ for: Worker, description: 'The worker that gets the tasks (or give `fleetId`).' }),
    fleetId: t.globalID({ for: Fleet, description: 'The fleet whose queue gets the tasks (or give `workerId`).' }),
    action: t.string({ required: true, description: 'Action of the tasks, e.g. `qualify_lead`.' }),
    inputMapping: t.field({ type: 'JSON', description: 'Object of task input fields to payload paths, e.g. {"COMPANY": "lead.company"}; default: the whole payload.' }),
    priority: t.field({ type: TaskPriorityEnum, description: 'Priority of the tasks, default NORMAL.' }),
  }),
});

const DeleteTriggerInput = builder.inputType('DeleteTriggerInput', {
  description: 'The trigger to delete.',
  fields: (t) => ({ triggerId: t.globalID({ required: true, for: Trigger, description: 'The trigger.' }) }),
});

builder.queryField('triggers', (t) =>
  t.drizzleConnection({
    type: 'triggers',
    description: 'Live triggers, oldest first.',
    totalCount: (_root, _args, ctx) =>
      ctx.db.$count(triggers, and(eq(triggers.organizationId, ctx.actor.organizationId), isNull(triggers.deletedAt))),
    resolve: (query, _root, _args, ctx) =>
      ctx.db.query.triggers.findMany(
        query({ where: { organizationId: ctx.actor.organizationId, deletedAt: { isNull: true } }, orderBy: { id: 'asc' } }),
      ),
  }),
);

builder.mutationFields((t) => ({
  createTrigger: t.field({
    type: Trigger,
    description: 'Creates a trigger; each later matching event becomes one task. Appends `Trigger.created`.',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: CreateTriggerInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      createTrigger(ctx, ctx.actor.organizationId, {
        ...input,
        filter: input.filter as Record<string, unknown> | null | undefined,
        inputMapping: input.inputMapping as Record<string, string> | null | undefined,
        workerId: input.workerId?.id,
        fleetId: input.fleetId?.id,
      }),
  }),
  deleteTrigger: t.field({
    type: Trigger,
    description: 'Deletes a trigger; it fires no more. Tasks it made stay as they are (open ones go on; cancel them with `cancelTask`). Returns it with `deletedAt`. Appends `Trigger.deleted`.',
    errors: { types: [NotFoundError, InvalidTransitionError] },
    args: { input: t.arg({ type: DeleteTriggerInput, required: true }) },
    resolve: (_root, { input }, ctx) => deleteTrigger(ctx, ctx.actor.organizationId, input.triggerId.id),
  }),
}));
