/**
 * Positions in the domain-event log, and the one rule every reader that resumes from a
 * cursor follows (docs/architecture.md, "Ordering of domain events").
 *
 * An event's position is (`tx_id`, `seq`): the top-level transaction that appended it,
 * then its seq. Writers do not serialise, so seqs are not taken in commit order; but
 * every transaction whose ID is below the xmin of the reader's snapshot has ended, and
 * any transaction that appends later gets a higher ID. A reader that returns only
 * events below that horizon, in position order, therefore never sees an event appear
 * behind its cursor: it is gap-free without any lock on the write path.
 */
import { and, asc, getColumns, gte, lt, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { unionAll } from 'drizzle-orm/pg-core';

import type { Executor } from '../db/client.js';
import { events } from '../db/schema.js';

/** A stored domain event. */
export type DomainEventRow = typeof events.$inferSelect;

/** Where an event stands in the log; `txId` is an `xid8` in decimal. */
export interface EventPosition {
  txId: string;
  seq: number;
}

/**
 * The horizon of the current statement's snapshot: every transaction with a lower ID
 * has committed or rolled back; the reader's own transaction, if it has an ID, is not
 * below it.
 */
const HORIZON = sql`pg_snapshot_xmin(pg_current_snapshot())`;

/** `txId` below the horizon: no transaction still in flight can append before it. */
export function isSettled(txId: SQLWrapper): SQL {
  return lt(txId, HORIZON);
}

/** Events strictly after `position` (a row comparison, served by the position indexes). */
function isAfter(position: EventPosition): SQL {
  return sql`(${events.txId}, ${events.seq}) > (${position.txId}::xid8, ${position.seq}::bigint)`;
}

/** The position of a stored event. */
export function positionOf(event: Pick<DomainEventRow, 'txId' | 'seq'>): EventPosition {
  return { txId: event.txId, seq: event.seq };
}

/** A page of settled events after a position. */
export interface EventPage {
  /** Settled events matching the condition, in position order. */
  events: DomainEventRow[];
  /** The page was cut at `limit`: read again from its last event. */
  full: boolean;
  /**
   * Committed events matching the condition are held back because an older
   * transaction is still in flight. They settle when it ends, which may publish
   * nothing on the bus (it appended no event, or it ran in another server): read again
   * after a short while rather than waiting for a wake-up.
   */
  heldBack: boolean;
}

/**
 * The settled events matching `where` after `after`, oldest position first, at most
 * `limit`; one statement, so the page and `heldBack` see the same snapshot.
 */
export async function readSettledEvents(db: Executor, where: SQL | undefined, after: EventPosition, limit: number): Promise<EventPage> {
  const columns = getColumns(events);
  const settled = db
    .select({ ...columns, settled: sql<boolean>`true`.as('settled') })
    .from(events)
    .where(and(where, isAfter(after), isSettled(events.txId)))
    .orderBy(asc(events.txId), asc(events.seq))
    .limit(limit);
  const waiting = db
    .select({ ...columns, settled: sql<boolean>`false`.as('settled') })
    .from(events)
    .where(and(where, isAfter(after), gte(events.txId, HORIZON)))
    .limit(1);
  const rows = await unionAll(settled, waiting).orderBy(asc(events.txId), asc(events.seq));
  const page = rows.filter((row) => row.settled).map(({ settled: _settled, ...event }) => event);
  return { events: page, full: page.length === limit, heldBack: rows.some((row) => !row.settled) };
}

/** A one-row relation to select scalars from. */
const ONE_ROW = sql`(values (1)) as one_row`;

/**
 * Where a reader resuming "after the event whose seq is `seq`" starts, never beyond the
 * horizon (so that nothing an in-flight transaction appends is passed over):
 * - no `seq`: the horizon itself, i.e. events not settled yet (live ones only);
 * - a stored event: its position, or the horizon when it is not settled yet (a seq
 *   learned from a mutation's answer rather than from a reader);
 * - a seq that is not stored (0, a rolled-back transaction's, or one not taken yet):
 *   the start of the oldest transaction holding a greater seq, so that every event
 *   with a greater seq is read; events of that transaction or later with a smaller seq
 *   are read too (at least once rather than lost).
 */
export async function startPosition(db: Executor, seq?: number | null): Promise<EventPosition> {
  if (seq === undefined || seq === null) {
    const [now] = await db.select({ horizon: sql<string>`${HORIZON}::text` }).from(ONE_ROW);
    return { txId: now!.horizon, seq: 0 };
  }
  const exact = sql`(select ${events.txId} from ${events} where ${events.seq} = ${seq})`;
  const later = sql`(select min(${events.txId}) from ${events} where ${events.seq} > ${seq})`;
  const [found] = await db
    .select({
      exact: sql<string | null>`case when ${exact} < ${HORIZON} then ${exact}::text end`,
      stored: sql<boolean>`${exact} is not null`,
      start: sql<string>`least(${later}, ${HORIZON})::text`,
      horizon: sql<string>`${HORIZON}::text`,
    })
    .from(ONE_ROW);
  if (found!.exact !== null) return { txId: found!.exact, seq };
  return { txId: found!.stored ? found!.horizon : found!.start, seq: 0 };
}
