/**
 * GraphQL types and operations of domain events: `DomainEvent`, `Worker.events`, the
 * `events` subscription, `publishEvent`.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import { and, eq, inArray } from 'drizzle-orm';

import { events } from '../db/schema.js';
import { ValidationError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import { Worker } from '../workers/schema.js';
import { publishEvent, streamDomainEvents } from './domain-events.js';
import { isSettled } from './positions.js';
import { withoutSemanticPrefix } from '../validation.js';

/** Event subjects that are GraphQL nodes: `subjectId` is their global ID. */
const NODE_SUBJECTS = new Set(['Worker', 'Fleet', 'Task', 'Run', 'Team', 'Shift', 'Protocol', 'Trigger', 'Webhook']);

export const DomainEvent = builder.drizzleObject('events', {
  name: 'DomainEvent',
  description:
    'A stored domain event, e.g. `Worker.hired` or `Lead.created`. Readers receive events in log order: by the transaction that stored them, then `seq`, so seqs can arrive out of numeric order.',
  fields: (t) => ({
    seq: t.exposeInt('seq', { description: 'Identifier of the event; resume the `events` subscription with `after: seq` of the last event received.' }),
    type: t.exposeString('type', { description: 'Type as in the seeds without `$.`, e.g. `Worker.task.completed`.' }),
    subjectId: t.id({
      nullable: true,
      description: 'What the event is about: the global ID when its type starts with a node type (Worker, Fleet, Task, Run …), else as posted.',
      resolve: (event) => {
        if (!event.subjectId) return null;
        const subject = event.type.split('.')[0]!;
        return NODE_SUBJECTS.has(subject) ? encodeGlobalID(subject, event.subjectId) : event.subjectId;
      },
    }),
    payload: t.expose('payload', { type: 'JSON', description: 'Event data.' }),
    at: t.expose('at', { type: 'DateTime', description: 'When it was stored.' }),
  }),
});

builder.drizzleObjectFields(Worker, (t) => ({
  events: t.drizzleConnection({
    type: 'events',
    description:
      'The worker’s domain events in log order (the order of the `events` subscription), up to the newest that no transaction in flight can precede; subscribe to `events` with `after` set to the last `seq` to continue live.',
    args: { types: t.arg.stringList({ description: 'Only events of these types (`Lead.created` or `$.Lead.created`).' }) },
    totalCount: (worker, args, ctx) =>
      ctx.db.$count(
        events,
        and(
          eq(events.subjectId, worker.id),
          eq(events.organizationId, worker.organizationId),
          args.types?.length ? inArray(events.type, args.types.map(withoutSemanticPrefix)) : undefined,
          isSettled(events.txId),
        ),
      ),
    resolve: (query, worker, args, ctx) =>
      ctx.db.query.events.findMany(
        query({
          where: {
            subjectId: worker.id,
            organizationId: worker.organizationId,
            ...(args.types?.length ? { type: { in: args.types.map(withoutSemanticPrefix) } } : {}),
            RAW: (table) => isSettled(table.txId),
          },
          orderBy: { txId: 'asc', seq: 'asc' },
        }),
      ),
  }),
}));

const PublishEventInput = builder.inputType('PublishEventInput', {
  description: 'An event from an outside system (seed `send($.Lead.created, …)`).',
  fields: (t) => ({
    type: t.string({ required: true, description: '`Subject.predicate`, e.g. `Lead.created` or `$.Lead.created` (stored without `$.`); Worker, Task, Run, Fleet … events are the server’s own.' }),
    payload: t.field({ type: 'JSON', description: 'A JSON object; triggers filter and map it.' }),
    subjectId: t.string({ description: 'A UUID of what the event is about, if any.' }),
  }),
});

builder.mutationField('publishEvent', (t) =>
  t.field({
    type: DomainEvent,
    description: 'Stores an event from an outside system; triggers turn it into tasks and webhooks deliver it.',
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: PublishEventInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      publishEvent(ctx, ctx.actor.organizationId, { ...input, payload: input.payload as Record<string, unknown> | null | undefined }),
  }),
);

builder.subscriptionField('events', (t) =>
  t.field({
    type: DomainEvent,
    description:
      'Domain events: first every stored one after the event `after`, then live ones, gap-free, each once, in log order. Without `after`, live events only. Never completes.',
    args: {
      types: t.arg.stringList({ description: 'Only events of these types (`Lead.created` or `$.Lead.created`; default: all).' }),
      after: t.arg.int({
        description:
          'Replay the stored events that follow the event with this seq in log order first (0: from the beginning). For a seq that is not stored, every event with a greater seq is replayed, possibly with a few older ones.',
      }),
    },
    subscribe: (_root, args, ctx) =>
      streamDomainEvents(ctx, { organizationId: ctx.actor.organizationId, types: args.types?.map(withoutSemanticPrefix) }, args.after),
    resolve: (event) => event,
  }),
);
