/**
 * Positions in the domain-event log, and the one rule every reader that resumes from a
 * cursor follows (docs/architecture.md, "Ordering of domain events").
 *
 * An event's position is (`tx_id`, `seq`): the top-level transaction that appended it,
 * then its seq. Writers do not serialise, so seqs are not taken in commit order; but
 * below the reader's horizon every transaction of this database has ended, and any
 * transaction that appends later gets a higher ID. A reader that returns only events
 * below that horizon, in position order, therefore never sees an event appear behind
 * its cursor: it is gap-free without any lock on the write path.
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
 * The horizon of the current statement's snapshot S, for this database: every
 * transaction of this database with a lower ID has committed or rolled back as far as S
 * sees (the reader's own transaction, if it has an ID, is not below it), and every
 * transaction that takes an ID later gets one at or above it. One row, column `horizon`
 * (`xid8`).
 *
 * It is the oldest of: S's xmax, the reader's own ID, and each transaction S sees in
 * progress (`pg_snapshot_xip`: top-level IDs only) that is not known to belong to
 * another database. Known means `pg_stat_activity` shows a backend connected to another
 * database holding that ID (`backend_xid`, 32 bits: compared with the low 32 bits of the
 * `xid8`, unambiguous as running IDs lie within 2^31 of each other). A transaction of
 * another database can never append to this database's `events`; anything not known
 * (ours, ended since S, a prepared transaction) still holds the horizon, which can only
 * make it earlier than need be, never too late. docs/architecture.md, "Ordering of
 * domain events", gives the proof and the PostgreSQL sources.
 *
 * Reading `pg_stat_activity` costs about as much as the page read itself with 100
 * connections (bench/README.md), so it is read only when it can change an answer: S sees
 * some transaction in progress, the oldest is not the reader's own, and some committed
 * event is at or above S's xmin. Otherwise the horizon is S's xmin, which then selects
 * exactly the same events. PGlite runs one transaction at a time and always takes that path.
 *
 * PostgreSQL copies `pg_stat_activity` once per transaction; a copy made before S could
 * pair a backend's database with the ID of a newer backend in the same slot, so the
 * statement discards that copy (`pg_stat_clear_snapshot()`, evaluated as the argument
 * of `pg_stat_get_activity`) and reads a fresh one, which is taken after S. Discarding it
 * also means that each evaluation reads anew: a statement must use the horizon once
 * ({@link HORIZON} in one place, or {@link withHorizon} shared by its parts).
 */
const HORIZON_QUERY = sql`
  with snapshot as (select pg_current_snapshot() as s),
  other_databases_xids as materialized (
    select activity.backend_xid as xid
    from pg_stat_get_activity(nullif(pg_stat_clear_snapshot()::text, '')::integer) as activity
    where activity.backend_xid is not null
      and activity.datid <> (select oid from pg_database where datname = current_database())
  )
  select case
    when not exists (select from pg_snapshot_xip(snapshot.s))
      or pg_snapshot_xmin(snapshot.s) = pg_current_xact_id_if_assigned()
      or not exists (select from ${events} where ${events.txId} >= pg_snapshot_xmin(snapshot.s))
      then pg_snapshot_xmin(snapshot.s)
    else least(
      pg_snapshot_xmax(snapshot.s),
      pg_current_xact_id_if_assigned(),
      (select min(running.xid) from pg_snapshot_xip(snapshot.s) as running (xid)
        where xid(running.xid) not in (select xid from other_databases_xids))
    )
  end as horizon
  from snapshot`;

/** The horizon as a scalar, for a statement that uses it in one place only. */
const HORIZON = sql`(${HORIZON_QUERY})`;

/** `txId` below the horizon: no transaction still in flight can append before it. */
export function isSettled(txId: SQLWrapper): SQL {
  return lt(txId, HORIZON);
}

/**
 * The horizon as a common table expression, for a statement that compares with it in
 * several places (start the statement with `db.with(horizon)`): computed once, so all
 * parts of the statement agree.
 */
function withHorizon(db: Executor) {
  const horizon = db.$with('event_horizon', { horizon: sql<string>`horizon`.as('horizon') }).as(HORIZON_QUERY);
  return { horizon, value: sql`(select ${horizon.horizon} from ${horizon})` };
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
  const { horizon, value } = withHorizon(db);
  const columns = getColumns(events);
  const settled = db
    .select({ ...columns, settled: sql<boolean>`true`.as('settled') })
    .from(events)
    .where(and(where, isAfter(after), lt(events.txId, value)))
    .orderBy(asc(events.txId), asc(events.seq))
    .limit(limit);
  const waiting = db
    .select({ ...columns, settled: sql<boolean>`false`.as('settled') })
    .from(events)
    .where(and(where, isAfter(after), gte(events.txId, value)))
    .limit(1);
  const both = unionAll(settled, waiting).as('page');
  const rows = await db.with(horizon).select().from(both).orderBy(asc(both.txId), asc(both.seq));
  const page = rows.filter((row) => row.settled).map(({ settled: _settled, ...event }) => event);
  return { events: page, full: page.length === limit, heldBack: rows.some((row) => !row.settled) };
}

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
  const { horizon } = withHorizon(db);
  if (seq === undefined || seq === null) {
    const [now] = await db.with(horizon).select({ horizon: sql<string>`${horizon.horizon}::text` }).from(horizon);
    return { txId: now!.horizon, seq: 0 };
  }
  const exact = sql`(select ${events.txId} from ${events} where ${events.seq} = ${seq})`;
  const later = sql`(select min(${events.txId}) from ${events} where ${events.seq} > ${seq})`;
  const [found] = await db
    .with(horizon)
    .select({
      exact: sql<string | null>`case when ${exact} < ${horizon.horizon} then ${exact}::text end`,
      stored: sql<boolean>`${exact} is not null`,
      start: sql<string>`least(${later}, ${horizon.horizon})::text`,
      horizon: sql<string>`${horizon.horizon}::text`,
    })
    .from(horizon);
  if (found!.exact !== null) return { txId: found!.exact, seq };
  return { txId: found!.stored ? found!.horizon : found!.start, seq: 0 };
}
