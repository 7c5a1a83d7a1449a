/**
 * The domain-event outbox: a state change and its event commit in one transaction, and
 * the bus hears of the event only after that commit.
 */
import { executePrepared, type Database, type Transaction } from '../db/client.js';
import { events } from '../db/schema.js';
import type { Bus } from '../realtime/bus.js';
import type { DomainEventCatalogue, DomainEventType, ReservedEventType } from './catalogue.js';

/** What every event to append has; `type` as in the seeds without `$.` (`Worker.hired`). */
export interface DomainEventInput {
  organizationId: string;
  type: string;
  subjectId?: string | null;
  payload?: Record<string, unknown>;
}

/**
 * A domain event of type `T` to append: a catalogued type with exactly its payload
 * (catalogue.ts), or an outside system's type (any `Subject.predicate` outside the
 * reserved subjects, as `publishEvent` takes it) with any JSON object. A reserved type
 * missing from the catalogue is `never`: a misspelt server event does not compile.
 */
export type NewDomainEvent<T extends string = DomainEventType> = T extends DomainEventType
  ? { organizationId: string; type: T; subjectId?: string | null; payload: DomainEventCatalogue[T] }
  : T extends ReservedEventType
    ? never
    : { organizationId: string; type: T; subjectId?: string | null; payload?: Record<string, unknown> };

/** Appends events inside the caller's transaction. */
export interface Outbox {
  /** Stores `event`; resolves with its seq. */
  append<T extends string>(event: DomainEventInput & { type: T } & NewDomainEvent<T>): Promise<number>;
  /**
   * Stores `events` in one statement (a move of many rows appends one event per row);
   * their seqs follow the array's order. Resolves with the seqs in that order.
   */
  appendAll<T extends string>(events: ReadonlyArray<DomainEventInput & { type: T } & NewDomainEvent<T>>): Promise<number[]>;
}

/**
 * Runs `work` in one transaction with an outbox; publishes the appended events on the bus
 * after commit. If `work` throws, nothing is stored and nothing is published.
 *
 * Appending takes no lock: concurrent writers commit in any order and each event row
 * carries its transaction's ID (`tx_id`), from which readers order the log and hold back
 * what an older transaction in flight could still precede (positions.ts).
 */
export async function transactionWithEvents<T>(
  deps: { db: Database; bus: Bus },
  work: (tx: Transaction, outbox: Outbox) => Promise<T>,
): Promise<T> {
  const appended: Array<{ organizationId: string; seq: number; type: string; subjectId: string | null }> = [];
  const result = await deps.db.transaction(async (tx) => {
    const appendAll = async (batch: readonly DomainEventInput[]): Promise<number[]> => {
      if (batch.length === 0) return [];
      const insert = tx
        .insert(events)
        .values(batch.map((event) => ({ organizationId: event.organizationId, type: event.type, subjectId: event.subjectId ?? null, payload: event.payload ?? {} })))
        .returning({ seq: events.seq });
      // One event (most transactions append one) is one statement text: prepared. A batch's text varies with its length.
      const rows = batch.length === 1 ? await executePrepared(insert, 'append-event') : await insert;
      // The identity hands out seqs in the order of the VALUES rows.
      const seqs = rows.map((row) => row.seq).sort((a, b) => a - b);
      batch.forEach((event, i) => appended.push({ organizationId: event.organizationId, seq: seqs[i]!, type: event.type, subjectId: event.subjectId ?? null }));
      return seqs;
    };
    const outbox: Outbox = {
      append: async (event) => (await appendAll([event]))[0]!,
      appendAll,
    };
    return work(tx, outbox);
  });
  for (const event of appended) {
    deps.bus.publish('domain:event', event.organizationId, {
      seq: event.seq,
      type: event.type,
      subjectId: event.subjectId,
    });
    deps.bus.publish('domain:appended', event);
  }
  return result;
}
