/**
 * Executes runs in this process: claims a run with a lease, feeds the protocol engine,
 * stores its events and checkpoints through a {@link RunEventLog}, and records the
 * outcome. Several processes may share one database: a run is claimed atomically
 * (`UPDATE … WHERE` on its status and lease), the lease is renewed while the run works,
 * and a run whose lease expired (its process died) is taken over from its last
 * checkpoint by the next process that starts or sweeps.
 */
import { randomUUID } from 'node:crypto';

import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';

import type { Database } from '../db/client.js';
import { protocolVersions, runs } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { ModelRegistry } from '../models/registry.js';
import { executeWorker, type RunState } from '../protocol/execute.js';
import type { Bus } from '../realtime/bus.js';
import { loadStoredVersion } from '../protocols/service.js';
import { LeaseLostError, RunEventLog } from './event-log.js';

type RunRow = typeof runs.$inferSelect;

/** Lease length; renewed every third of it while a run works. */
const LEASE_MS = 30_000;
/** How long `stop()` waits for runs to reach their end before leaving them to a successor. */
const SHUTDOWN_GRACE_MS = 5_000;

export interface RunExecutorOptions {
  db: Database;
  bus: Bus;
  models: ModelRegistry;
  logger: Logger;
}

/** Runs protocol executions in the background of this process. */
export class RunExecutor {
  /** Identifies this process's leases. */
  readonly owner = `${process.pid}-${randomUUID()}`;
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private stopping = false;

  constructor(private readonly options: RunExecutorOptions) {}

  /**
   * Starts executing the QUEUED run `runId` in the background; returns at once. Does
   * nothing when another process claimed it first.
   */
  start(runId: string): void {
    if (this.stopping || this.active.has(runId)) return;
    const controller = new AbortController();
    const done = this.execute(runId, controller.signal)
      .catch((error: unknown) => this.options.logger.error({ err: error, runId }, 'run execution failed'))
      .finally(() => this.active.delete(runId));
    this.active.set(runId, { controller, done });
  }

  /** Whether this process is executing `runId` right now. */
  isExecuting(runId: string): boolean {
    return this.active.has(runId);
  }

  /** Asks the engine to cancel `runId` if this process executes it; returns whether it did. */
  abort(runId: string): boolean {
    const entry = this.active.get(runId);
    if (!entry) return false;
    entry.controller.abort(new Error('cancelled'));
    return true;
  }

  /**
   * Takes over runs left behind: QUEUED runs nobody claimed and RUNNING runs whose lease
   * expired (their process died). Called at start-up.
   * @returns the ids of the runs taken over
   */
  async resumeAbandoned(): Promise<string[]> {
    const rows = await this.options.db
      .select({ id: runs.id })
      .from(runs)
      .where(
        or(
          and(eq(runs.status, 'QUEUED'), isNull(runs.leaseOwner)),
          and(eq(runs.status, 'RUNNING'), or(isNull(runs.leaseExpiresAt), lt(runs.leaseExpiresAt, new Date()))),
        ),
      );
    for (const { id } of rows) this.start(id);
    return rows.map((r) => r.id);
  }

  /**
   * Stops taking runs, waits up to {@link SHUTDOWN_GRACE_MS} for active runs, and hands
   * the rest back (lease released) so that the next process resumes them from their
   * last checkpoint.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const pending = [...this.active.values()].map((entry) => entry.done);
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), SHUTDOWN_GRACE_MS).unref());
    if ((await Promise.race([Promise.all(pending), timeout])) !== 'timeout') return;
    const left = [...this.active.keys()];
    if (left.length === 0) return;
    await this.options.db
      .update(runs)
      .set({ leaseOwner: null, leaseExpiresAt: null })
      .where(and(inArray(runs.id, left), eq(runs.leaseOwner, this.owner)));
    this.options.logger.info({ runs: left }, 'left unfinished runs to resume at next start');
  }

  private async claim(runId: string): Promise<RunRow | undefined> {
    const [row] = await this.options.db
      .update(runs)
      .set({
        status: 'RUNNING',
        leaseOwner: this.owner,
        leaseExpiresAt: new Date(Date.now() + LEASE_MS),
        startedAt: sql`coalesce(${runs.startedAt}, now())`,
      })
      .where(
        and(
          eq(runs.id, runId),
          or(
            eq(runs.status, 'QUEUED'),
            and(eq(runs.status, 'RUNNING'), or(isNull(runs.leaseExpiresAt), lt(runs.leaseExpiresAt, new Date()))),
          ),
        ),
      )
      .returning();
    return row;
  }

  private async execute(runId: string, signal: AbortSignal): Promise<void> {
    const run = await this.claim(runId);
    if (!run) return;
    const { db, bus, models, logger } = this.options;
    const log = new RunEventLog({ db, bus }, run, run.lastSeq, this.owner);
    const heartbeat = setInterval(() => {
      void db
        .update(runs)
        .set({ leaseExpiresAt: new Date(Date.now() + LEASE_MS) })
        .where(and(eq(runs.id, run.id), eq(runs.leaseOwner, this.owner)))
        .catch((error: unknown) => logger.warn({ err: error, runId }, 'lease renewal failed'));
    }, LEASE_MS / 3);
    try {
      const [version] = await db.select().from(protocolVersions).where(eq(protocolVersions.id, run.protocolVersionId));
      const protocol = loadStoredVersion(version!);
      const outcome = await executeWorker(protocol, {
        input: run.input,
        executionId: run.id,
        workerId: run.id,
        ...(run.state ? { state: run.state as RunState } : {}),
        host: {
          resolveModel: (id) => models.resolve(id),
          emit: (event) => log.append(event),
          checkpoint: (state) => log.flush({ state, usage: state.usage }),
          signal,
        },
      });
      const finishedAt = new Date();
      const release = { leaseOwner: null, leaseExpiresAt: null, finishedAt };
      if (outcome.status === 'completed') {
        await log.flush({ status: 'COMPLETED', output: outcome.output ?? null, ...release });
      } else if (outcome.status === 'failed') {
        await log.flush({ status: 'FAILED', error: outcome.error, ...release });
      } else {
        await log.flush({ status: 'CANCELLED', ...release });
      }
    } catch (error) {
      if (error instanceof LeaseLostError) {
        logger.warn({ runId }, 'another process took this run over; stopping here');
        return;
      }
      logger.error({ err: error, runId }, 'run failed unexpectedly');
      await this.failUnexpectedly(log, run.id);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Ends a run the engine could not finish (database or internal fault) as FAILED. */
  private async failUnexpectedly(log: RunEventLog, runId: string): Promise<void> {
    const message = 'The run stopped because of an internal error; see the server log.';
    log.append({ type: 'worker-result', workerId: runId, error: message });
    log.append({ type: 'error', errorType: 'internal_error', message, retryable: false, source: 'platform' });
    await log
      .flush({
        status: 'FAILED',
        error: { errorType: 'internal_error', message },
        leaseOwner: null,
        leaseExpiresAt: null,
        finishedAt: new Date(),
      })
      .catch((error: unknown) => this.options.logger.error({ err: error, runId }, 'could not record the failure'));
  }
}
