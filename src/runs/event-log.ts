/**
 * The write side of a run's event stream. Events get consecutive `seq` numbers (1, 2, 3 …
 * with no gaps) in the order the engine emits them, are buffered briefly so that a burst
 * of text deltas becomes one INSERT, and are committed together with any change to the
 * run row (checkpoint, status) in one transaction. Subscribers hear of new events only
 * after that commit, through the bus topic `run:events` (DESIGN.md "Realtime").
 *
 * One process writes a run at a time (it holds the run's lease), so the sequence is kept
 * in memory; every write is guarded by the lease, and a write that finds the lease taken
 * by another process fails with {@link LeaseLostError}.
 */
import { and, eq } from 'drizzle-orm';

import type { Database, Transaction } from '../db/client.js';
import { runEvents, runs } from '../db/schema.js';
import { transactionWithEvents, type Outbox } from '../events/outbox.js';
import type { StreamEvent } from '../engine/events.js';
import type { Bus } from '../realtime/bus.js';
import { FINAL_RUN_STATUSES } from './service.js';

/** Columns of the run row a flush may update along with the events. */
export type RunPatch = Partial<
  Pick<
    typeof runs.$inferInsert,
    | 'status'
    | 'state'
    | 'output'
    | 'error'
    | 'usage'
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

export class RunEventLog {
  private pending: Array<{ seq: number; event: StreamEvent; at: Date }> = [];
  private lastSeq: number;
  private writtenSeq: number;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  /**
   * @param lastSeq the run's stored `last_seq`; the next event gets lastSeq + 1
   * @param leaseOwner this process's lease id; writes require `runs.lease_owner` to match
   */
  constructor(
    private readonly deps: { db: Database; bus: Bus },
    private readonly run: { id: string; organizationId: string },
    lastSeq: number,
    private readonly leaseOwner: string,
  ) {
    this.lastSeq = lastSeq;
    this.writtenSeq = lastSeq;
  }

  /** Seq of the newest event appended (written or not). */
  get seq(): number {
    return this.lastSeq;
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
   * Writes every appended event and `patch` to the run row in one transaction, together
   * with `alongside` (e.g. the run's task reaching its end, with its domain events), then
   * tells subscribers. Flushes run one after another, in call order.
   * @throws LeaseLostError when another process took the run over; the database error
   *   of a failed write (later flushes then fail with it too)
   */
  flush(patch: RunPatch = {}, alongside?: AlongsideWrite): Promise<void> {
    const next = this.chain.then(() => this.write(patch, alongside));
    this.chain = next.catch(() => {});
    return next;
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
    try {
      await transactionWithEvents(this.deps, async (tx, outbox) => {
        if (batch.length > 0) {
          await tx.insert(runEvents).values(
            batch.map(({ seq, event, at }) => ({
              runId: this.run.id,
              organizationId: this.run.organizationId,
              seq,
              type: event.type,
              payload: event as unknown as Record<string, unknown>,
              at,
            })),
          );
        }
        const updated = await tx
          .update(runs)
          .set({ ...patch, ...(lastSeq === undefined ? {} : { lastSeq }) })
          .where(and(eq(runs.id, this.run.id), eq(runs.leaseOwner, this.leaseOwner)))
          .returning({ id: runs.id });
        if (updated.length === 0) throw new LeaseLostError(this.run.id);
        await alongside?.(tx, outbox);
      });
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      throw this.failure;
    }
    if (lastSeq !== undefined) this.writtenSeq = lastSeq;
    const ended = patch.status !== undefined && FINAL_RUN_STATUSES.includes(patch.status);
    this.deps.bus.publish('run:events', this.run.id, { lastSeq: this.writtenSeq, ended });
  }
}
