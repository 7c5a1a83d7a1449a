/**
 * The event dispatcher: hands every stored domain event, once and in position order, to
 * the handlers that act on events after the fact (triggers make tasks, webhooks enqueue
 * deliveries). It reads settled events only (positions.ts). Its cursor, the position
 * (tx_id, seq) of the last event handled, is a row of `event_cursors`, locked FOR UPDATE
 * SKIP LOCKED while a batch is handled, so one process dispatches at a time and a
 * batch's effects commit together with the cursor's advance: a crash repeats nothing and
 * loses nothing.
 * The transaction that raised an event never waits for any of this. A handler is only
 * called for types its organisation's triggers or webhooks want (interest.ts), so events
 * nobody acts on cost no query beyond the batch read.
 */
import { eq } from 'drizzle-orm';

import type { Database, Transaction } from '../db/client.js';
import { eventCursors, events } from '../db/schema.js';
import type { Bus } from '../realtime/bus.js';
import type { EventInterest, OrganizationInterest } from './interest.js';
import { transactionWithEvents, type Outbox } from './outbox.js';
import { readSettledEvents } from './positions.js';

/**
 * Acts on events after the fact, inside the dispatching transaction. `wants` decides
 * from the organisation's cached interest, without a query, whether `handle` is called
 * for an event type at all; `now` is the scheduler clock's.
 */
export interface EventHandler {
  wants(interest: OrganizationInterest, type: string): boolean;
  handle(tx: Transaction, outbox: Outbox, event: typeof events.$inferSelect, now: Date): Promise<void>;
}

/** Name of the dispatcher's row in `event_cursors`. */
const CURSOR = 'dispatcher';
/** Events handled per transaction. */
const BATCH = 100;

/** What a dispatch did. */
export interface Dispatch {
  /** Events handed to the handlers. */
  dispatched: number;
  /**
   * Committed events wait behind a transaction still in flight: they settle when it
   * ends, which may wake nothing, so dispatch again soon.
   */
  heldBack: boolean;
}

/**
 * Hands every settled event after the cursor to `handlers`, in batches, until none is
 * left or another process holds the cursor.
 */
export async function dispatchEvents(
  deps: { db: Database; bus: Bus; interest: EventInterest },
  handlers: EventHandler[],
  now: Date,
): Promise<Dispatch> {
  await deps.db.insert(eventCursors).values({ name: CURSOR }).onConflictDoNothing();
  let dispatched = 0;
  for (;;) {
    const { handled, heldBack } = await transactionWithEvents(deps, async (tx, outbox) => {
      const [cursor] = await tx.select().from(eventCursors).where(eq(eventCursors.name, CURSOR)).for('update', { skipLocked: true });
      if (!cursor) return { handled: 0, heldBack: false };
      const page = await readSettledEvents(tx, undefined, { txId: cursor.lastTxId, seq: cursor.lastSeq }, BATCH);
      const batch = page.events;
      for (const event of batch) {
        const interest = await deps.interest.of(event.organizationId, tx);
        for (const handler of handlers) {
          if (handler.wants(interest, event.type)) await handler.handle(tx, outbox, event, now);
        }
      }
      if (batch.length > 0) {
        const last = batch.at(-1)!;
        await tx.update(eventCursors).set({ lastTxId: last.txId, lastSeq: last.seq }).where(eq(eventCursors.name, CURSOR));
      }
      return { handled: batch.length, heldBack: page.heldBack };
    });
    dispatched += handled;
    if (handled < BATCH) return { dispatched, heldBack };
  }
}
