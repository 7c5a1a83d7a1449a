/**
 * The write side of a run's event stream. Events get consecutive `seq` numbers (1, 2, 3 …
 * with no gaps) in the order the engine emits them, are buffered briefly so that a burst
 * of text deltas becomes one write, and are committed together with any change to the
 * run row (checkpoint, status) — in one statement when nothing else changes with them,
 * in one transaction when something does (a domain event, the run's task). Subscribers
 * hear of new events only after that commit, through the bus topic `run:events`.
 *
 * Writes are group commits: a flush starts its write once the current turn of the event
 * loop is over (`setImmediate`), or once the write in flight has ended, and one write
 * carries every flush requested until then — their changes to the row applied in order
 * (a later checkpoint's state supersedes an earlier one's), with every event appended so
 * far. The engine goes on to the next block without waiting for the checkpoint after a
 * block, so the checkpoints of the blocks that follow one another until the next model
 * call (start-thread, add-message, the next block's start) cost one statement between them.
 *
 * One process writes a run at a time (it holds the run's lease), so the sequence is kept
 * in memory; every write is guarded by the lease and renews it, and a write that finds
 * the lease taken by another process fails with {@link LeaseLostError}.
 */
import { and, eq, sql } from 'drizzle-orm';

import { executePrepared, type Database, type Executor, type Transaction } from '../db/client.js';
import { runEvents, runs } from '../db/schema.js';
import { transactionWithEvents, type Outbox } from '../events/outbox.js';
import type { StreamEvent } from '../engine/events.js';
import type { Bus, PreparedMessage } from '../realtime/bus.js';
import type { RecentRunEvents } from './recent-events.js';
import { FINAL_RUN_STATUSES, type RunRow } from './service.js';

/** Columns of the run row a flush may update along with the events. */
export type RunPatch = Partial<
  Pick<
    typeof runs.$inferInsert,
    | 'status'
    | 'state'
    | 'output'
    | 'error'
    | 'usage'
    | 'cost'
    | 'finishedAt'
    | 'pendingToolCalls'
    | 'toolResults'
    | 'leaseOwner'
    | 'leaseExpiresAt'
  >
>;

/** More writes for the transaction of a flush; domain events go through `outbox`. */
export type AlongsideWrite = (tx: Transaction, outbox: Outbox) => Promise<void>;

/** Another process owns the run now; this writer must stop. */
export class LeaseLostError extends Error {
  constructor(readonly runId: string) {
    super(`Lost the lease on run ${runId}`);
    this.name = 'LeaseLostError';
  }
}

/** How long emitted events may wait in memory before they are written, in milliseconds. */
const FLUSH_DELAY_MS = 25;

/** The lease a writer holds: its owner id and how long each write extends it, in ms. */
export interface Lease {
  owner: string;
  ms: number;
}

/** A flush waiting for its write. */
interface FlushRequest {
  patch: RunPatch;
  alongside: AlongsideWrite | undefined;
  settle(error?: Error): void;
}

export class RunEventLog {
  private pending: Array<{ seq: number; event: StreamEvent; at: Date }> = [];
  private lastSeq: number;
  private writtenSeq: number;
  private timer: NodeJS.Timeout | undefined;
  /** Flushes the next write carries, in call order. */
  private requests: FlushRequest[] = [];
  /** Whether a write is scheduled or in flight (it takes `requests` when it starts, and again after it). */
  private writing = false;
  private failure: Error | undefined;
  private renewedAt = 0;

  /**
   * @param deps `recent`: where committed events are kept for this process's subscribers
   * @param run the run as just claimed by this process (its lease expiry included)
   * @param lastSeq the run's stored `last_seq`; the next event gets lastSeq + 1
   * @param lease this process's lease: writes require `runs.lease_owner` to match, and
   *   each write moves `lease_expires_at` to `lease.ms` from then (unless the patch sets it)
   */
  constructor(
    private readonly deps: { db: Database; bus: Bus; recent?: RecentRunEvents },
    private readonly run: Pick<RunRow, 'id' | 'organizationId' | 'workerId' | 'leaseExpiresAt'>,
    lastSeq: number,
    private readonly lease: Lease,
  ) {
    this.lastSeq = lastSeq;
    this.writtenSeq = lastSeq;
    deps.recent?.open({ ...run, lastSeq }, run.leaseExpiresAt);
  }

  /** Seq of the newest event appended (written or not). */
  get seq(): number {
    return this.lastSeq;
  }

  /** When a write last renewed the lease (epoch ms; 0: never), so that heartbeats can skip this run. */
  get leaseRenewedAt(): number {
    return this.renewedAt;
  }

  /** Numbers `event` and schedules its write. Never blocks the engine. */
  append(event: StreamEvent): void {
    this.lastSeq += 1;
    this.pending.push({ seq: this.lastSeq, event, at: new Date() });
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => {});
    }, FLUSH_DELAY_MS);
  }

  /**
   * Writes every appended event and `patch` to the run row — one statement, or with
   * `alongside` (e.g. the run's task reaching its end, with its domain events) one
   * transaction — then tells subscribers of new events (or of the end). Resolves once
   * that write committed. Flushes requested before a write starts share it: their
   * patches apply in call order, their `alongside` writes run in call order in its
   * transaction (module comment).
   * @throws LeaseLostError when another process took the run over; the database error
   *   of a failed write (later flushes then fail with it too)
   */
  flush(patch: RunPatch = {}, alongside?: AlongsideWrite): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.requests.push({ patch, alongside, settle: (error) => (error ? reject(error) : resolve()) });
      if (this.writing) return;
      this.writing = true;
      setImmediate(() => void this.drain());
    });
  }

  /** Writes the requested flushes, all those waiting at once, until none is left. */
  private async drain(): Promise<void> {
    while (this.requests.length > 0) {
      const batch = this.requests;
      this.requests = [];
      const patch: RunPatch = Object.assign({}, ...batch.map((request) => request.patch));
      const alongsides = batch.flatMap((request) => (request.alongside ? [request.alongside] : []));
      const alongside: AlongsideWrite | undefined =
        alongsides.length === 0
          ? undefined
          : async (tx, outbox) => {
              for (const write of alongsides) await write(tx, outbox);
            };
      try {
        await this.write(patch, alongside);
        for (const request of batch) request.settle();
      } catch (error) {
        for (const request of batch) request.settle(error instanceof Error ? error : new Error(String(error)));
      }
    }
    this.writing = false;
  }

  private async write(patch: RunPatch, alongside?: AlongsideWrite): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0 && Object.keys(patch).length === 0 && !alongside) return;
    const lastSeq = batch.at(-1)?.seq;
    const now = Date.now();
    const set: RunPatch & { lastSeq?: number } = {
      leaseExpiresAt: new Date(now + this.lease.ms),
      ...patch,
      ...(lastSeq === undefined ? {} : { lastSeq }),
    };
    const ended = patch.status !== undefined && FINAL_RUN_STATUSES.includes(patch.status);
    // A checkpoint without new events (after a hidden block) tells subscribers nothing. The
    // wake-up's NOTIFY, if the bus has one, goes with the statement that stores the events.
    const message =
      lastSeq !== undefined || ended ? this.deps.bus.prepare('run:events', this.run.id, { lastSeq: lastSeq ?? this.writtenSeq, ended }) : undefined;
    const events = batch.map(({ seq, event, at }) => ({ seq, at, json: JSON.stringify(event) }));
    try {
      if (alongside) {
        await transactionWithEvents(this.deps, async (tx, outbox) => {
          await this.store(tx, events, set, message?.notify);
          await alongside(tx, outbox);
        });
      } else {
        await this.store(this.deps.db, events, set, message?.notify);
      }
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.deps.recent?.forget(this.run.id);
      throw this.failure;
    }
    this.renewedAt = now;
    if (lastSeq !== undefined) this.writtenSeq = lastSeq;
    this.deps.recent?.committed(this.run.id, events, { lastSeq: this.writtenSeq, ended }, set.leaseExpiresAt ?? null);
    message?.publish();
  }

  /**
   * One prepared statement (`executePrepared`): updates the run row if this process still
   * holds the lease, and inserts the events only if it did (a data-modifying CTE; the
   * events travel as one JSON array, sent as text: postgres.js would encode a string bound
   * to a jsonb parameter once more; each event's payload is its `json`).
   * With `notify`, the same statement sends that NOTIFY, only if the update matched.
   * @throws LeaseLostError when the row's lease owner is another process (nothing written)
   */
  private async store(
    db: Executor,
    batch: Array<{ seq: number; at: Date; json: string }>,
    set: RunPatch & { lastSeq?: number },
    notify: PreparedMessage['notify'],
  ): Promise<void> {
    const updated = db
      .$with('updated')
      .as(db.update(runs).set(set).where(and(eq(runs.id, this.run.id), eq(runs.leaseOwner, this.lease.owner))).returning({ id: runs.id }));
    // Evaluated once per row of `updated`: one row when the lease held, none otherwise.
    const selection = { id: updated.id, ...(notify ? { notified: sql`pg_notify(${notify.channel}, ${notify.payload})` } : {}) };
    const rows =
      batch.length === 0
        ? await executePrepared(db.with(updated).select(selection).from(updated), 'run-write')
        : await executePrepared(
            db
              .with(
                updated,
                db.$with('inserted', { seq: runEvents.seq }).as(
                  sql`insert into ${runEvents} (${sql.identifier(runEvents.runId.name)}, ${sql.identifier(runEvents.seq.name)}, ${sql.identifier(runEvents.organizationId.name)}, ${sql.identifier(runEvents.type.name)}, ${sql.identifier(runEvents.payload.name)}, ${sql.identifier(runEvents.at.name)})
                    select ${updated.id}, e.seq, ${this.run.organizationId}, e.payload->>'type', e.payload, e.at
                    from ${updated} cross join jsonb_to_recordset(${`[${batch.map(({ seq, at, json }) => `{"seq":${seq},"at":${JSON.stringify(at)},"payload":${json}}`).join(',')}]`}::text::jsonb)
                      as e(seq integer, payload jsonb, at timestamptz)
                    returning ${sql.identifier(runEvents.seq.name)}`,
                ),
              )
              .select(selection)
              .from(updated),
            'run-write-events',
          );
    if (rows.length === 0) throw new LeaseLostError(this.run.id);
  }
}
