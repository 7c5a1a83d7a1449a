/**
 * Reading the domain-event outbox (the `events` table) and posting events from outside
 * (`publishEvent`). Readers go by position and see settled events only (positions.ts);
 * {@link streamDomainEvents} is the gap-free stream behind the `events` subscription.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { and, desc, eq, inArray, type SQL } from 'drizzle-orm';
import { z } from 'zod';

import type { Database } from '../db/client.js';
import { events } from '../db/schema.js';
import { ValidationError } from '../errors.js';
import type { Bus } from '../realtime/bus.js';
import { SharedReads } from '../realtime/shared-reads.js';
import { wakeUpsWhere } from '../realtime/wake-up.js';
import { EventTypeModel, parseInput } from '../validation.js';
import { RESERVED_SUBJECTS } from './catalogue.js';
import { transactionWithEvents } from './outbox.js';
import { isSettled, positionOf, readSettledEvents, startPosition, type DomainEventRow, type EventPage, type EventPosition } from './positions.js';

export type { DomainEventRow };

/** What `publishEvent` accepts: `Subject.predicate`, with or without the product documents' `$.`. */
export const PublishEventModel = z.object({
  type: EventTypeModel,
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

function whereOf(filter: EventFilter): SQL | undefined {
  return and(
    eq(events.organizationId, filter.organizationId),
    filter.subjectId ? eq(events.subjectId, filter.subjectId) : undefined,
    filter.types?.length ? inArray(events.type, [...filter.types]) : undefined,
  );
}

function matches(filter: EventFilter, event: { type: string; subjectId: string | null }): boolean {
  return (!filter.subjectId || event.subjectId === filter.subjectId) && (!filter.types?.length || filter.types.includes(event.type));
}

/**
 * Settled events matching `filter` after `after`, in position order, at most `limit`,
 * and whether newer ones are held back by an older transaction still in flight
 * (positions.ts).
 */
export function listDomainEvents(db: Database, filter: EventFilter, after: EventPosition, limit = 500): Promise<EventPage> {
  return readSettledEvents(db, whereOf(filter), after, limit);
}

/** The seq of the newest settled event, last in position order (0 when there is none). */
export async function latestSeq(db: Database): Promise<number> {
  const [row] = await db
    .select({ seq: events.seq })
    .from(events)
    .where(isSettled(events.txId))
    .orderBy(desc(events.txId), desc(events.seq))
    .limit(1);
  return row?.seq ?? 0;
}

/** First wait before reading again while events are held back, doubled up to {@link HELD_BACK_MAX_MS}. */
const HELD_BACK_FIRST_MS = 20;
/** Longest wait between reads while events are held back. */
const HELD_BACK_MAX_MS = 1_000;

/**
 * Every stored event matching `filter` after the event whose seq is `after`, then live
 * ones, each once and in position order; never ends by itself. Without `after` it
 * starts at the horizon (live events only); see {@link startPosition} for a seq that
 * is not stored. Listens to the bus before reading and only returns settled events, so
 * nothing committed meanwhile is skipped. While events are held back by an older
 * transaction in flight it reads again after a short backoff (20 ms doubling to 1 s),
 * as that transaction may end without a wake-up.
 */
export async function* streamDomainEvents(
  deps: { db: Database; bus: Bus; reads?: SharedReads },
  filter: EventFilter,
  after?: number | null,
): AsyncGenerator<DomainEventRow> {
  const notifications = wakeUpsWhere(deps.bus, 'domain:event', filter.organizationId, (event) => matches(filter, event));
  // Without the app's shared reads (tests calling the stream alone), it reads on its own.
  const alone = new SharedReads();
  let wake = notifications.next();
  let backoff = HELD_BACK_FIRST_MS;
  try {
    let cursor = await startPosition(deps.db, after);
    for (;;) {
      let page: EventPage;
      do {
        const from = cursor;
        // Subscribers of the same stream at the same position share one read per wake-up.
        page = await (deps.reads ?? alone).read(`events:${filter.organizationId}:${filter.subjectId ?? ''}:${filter.types?.join(',') ?? ''}:${JSON.stringify(from)}`, notifications.arrivedAt, () =>
          listDomainEvents(deps.db, filter, from),
        );
        for (const event of page.events) {
          cursor = positionOf(event);
          yield event;
        }
      } while (page.full);
      if (page.heldBack) {
        const timer = new AbortController();
        const retry = sleep(backoff, 'retry' as const, { signal: timer.signal }).catch(() => 'retry' as const);
        const next = await Promise.race([wake, retry]);
        timer.abort();
        backoff = Math.min(backoff * 2, HELD_BACK_MAX_MS);
        if (next === 'retry') continue;
        if (next.done) return;
      } else {
        backoff = HELD_BACK_FIRST_MS;
        if ((await wake).done) return;
      }
      wake = notifications.next();
    }
  } finally {
    await notifications.return?.();
  }
}
