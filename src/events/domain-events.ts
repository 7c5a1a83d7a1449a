/**
 * Reading the domain-event outbox (the `events` table) and posting events from outside
 * (`publishEvent`). Readers page by `seq`; {@link streamDomainEvents} is the gap-free
 * stream behind the `events` subscription.
 */
import { and, asc, eq, gt, inArray, max, type SQL } from 'drizzle-orm';
import { z } from 'zod';

import type { Database } from '../db/client.js';
import { events } from '../db/schema.js';
import { ValidationError } from '../errors.js';
import type { Bus } from '../realtime/bus.js';
import { wakeUps } from '../realtime/wake-up.js';
import { parseInput } from '../validation.js';
import { RESERVED_SUBJECTS } from './catalogue.js';
import { transactionWithEvents } from './outbox.js';

export type DomainEventRow = typeof events.$inferSelect;

/** What `publishEvent` accepts: `Subject.predicate`, as in the seeds without `$.`. */
export const PublishEventModel = z.object({
  type: z
    .string()
    .trim()
    .regex(/^[A-Z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$/, 'must look like Subject.predicate, e.g. Lead.created'),
  payload: z
    .record(z.string(), z.unknown(), { message: 'must be a JSON object' })
    .nullish()
    .transform((value) => value ?? {}),
  subjectId: z.uuid().nullish(),
});

/**
 * Appends an event posted by an outside system (e.g. `Lead.created`); triggers and
 * webhooks see it like any other.
 * @throws ValidationError for a malformed or reserved type (`Worker.…` and the like are
 *   raised by the server only) or a payload that is not an object
 */
export async function publishEvent(
  deps: { db: Database; bus: Bus },
  organizationId: string,
  input: z.input<typeof PublishEventModel>,
): Promise<DomainEventRow> {
  const data = parseInput(PublishEventModel, input);
  const subject = data.type.split('.')[0]!;
  if ((RESERVED_SUBJECTS as readonly string[]).includes(subject)) {
    throw new ValidationError([{ path: ['type'], message: `${subject}.* events are raised by the server itself` }]);
  }
  return transactionWithEvents(deps, async (tx, outbox) => {
    const seq = await outbox.append({ organizationId, type: data.type, subjectId: data.subjectId ?? null, payload: data.payload });
    const [row] = await tx.select().from(events).where(eq(events.seq, seq));
    return row!;
  });
}

/** Which events to read: an organisation, optionally one subject and some types. */
export interface EventFilter {
  organizationId: string;
  subjectId?: string;
  types?: readonly string[] | null;
}

function whereOf(filter: EventFilter, after: number): SQL | undefined {
  return and(
    eq(events.organizationId, filter.organizationId),
    filter.subjectId ? eq(events.subjectId, filter.subjectId) : undefined,
    filter.types?.length ? inArray(events.type, [...filter.types]) : undefined,
    gt(events.seq, after),
  );
}

/** Stored events matching `filter` with seq > `after`, oldest first, at most `limit`. */
export function listDomainEvents(db: Database, filter: EventFilter, after = 0, limit = 500): Promise<DomainEventRow[]> {
  return db.select().from(events).where(whereOf(filter, after)).orderBy(asc(events.seq)).limit(limit);
}

/** The newest seq of the outbox (0 when empty). */
export async function latestSeq(db: Database): Promise<number> {
  const [row] = await db.select({ seq: max(events.seq) }).from(events);
  return Number(row?.seq ?? 0);
}

/**
 * Every stored event matching `filter` with seq > `after`, then live ones, each once
 * and in order; never ends by itself. Without `after` it starts at the newest stored
 * event (live events only). Subscribes to the bus before reading, and the outbox hands
 * out seqs in commit order, so nothing committed meanwhile is skipped.
 */
export async function* streamDomainEvents(
  deps: { db: Database; bus: Bus },
  filter: EventFilter,
  after?: number | null,
): AsyncGenerator<DomainEventRow> {
  const notifications = wakeUps(deps.bus, 'domain:event', filter.organizationId);
  let wake = notifications.next();
  let cursor = after ?? (await latestSeq(deps.db));
  try {
    for (;;) {
      for (;;) {
        const batch = await listDomainEvents(deps.db, filter, cursor);
        for (const event of batch) {
          cursor = event.seq;
          yield event;
        }
        if (batch.length < 500) break;
      }
      for (;;) {
        const next = await wake;
        if (next.done) return;
        wake = notifications.next();
        if (next.value.seq > cursor) break;
      }
    }
  } finally {
    await notifications.return?.();
  }
}
