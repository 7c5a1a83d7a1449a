/**
 * Executes runs in this process: claims a run with a lease, feeds the protocol engine,
 * stores its events and checkpoints through a {@link RunEventLog}, and records the
 * outcome. Several processes may share one database: a run is claimed atomically
 * (`UPDATE … WHERE` on its status and lease), the lease is renewed while the run works,
 * and a run whose lease expired (its process died) is taken over from its last
 * checkpoint by the next process that starts or sweeps.
 */
import { randomUUID } from 'node:crypto';

import type { Span } from '@opentelemetry/api';
import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';

import { executePrepared, type Database, type Transaction } from '../db/client.js';
import type { RunUsage } from '../db/documents.js';
import { runs } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { ModelRegistry } from '../models/registry.js';
import type { OutboundPolicy } from '../net/outbound.js';
import { cancellationEvents, executeWorker, usageCost, type EngineTelemetry, type ExecutionLimits, type ModelUsage, type RunState, type RunTotals } from '../engine/execute.js';
import { costOf, DEFAULT_MODEL_PRICES, type ModelPrices } from '../models/prices.js';
import type { Outbox } from '../events/outbox.js';
import { detachedFromActiveTrace } from '../observability/tracing.js';
import type { Bus } from '../realtime/bus.js';
import { systemClock, type Clock } from '../scheduler/clock.js';
import { loadVersion } from '../protocols/service.js';
import { defaultBuiltinTools, type BuiltinTools } from '../tools/registry.js';
import { LeaseLostError, RunEventLog } from './event-log.js';
import { RecentRunEvents } from './recent-events.js';
import { createRunHost, endingOf, type RunEnding, type RunHostContext } from './run-host.js';

export type { RunEnding };

type RunRow = typeof runs.$inferSelect;

/** How long `stop()` waits for runs to reach their end before leaving them to a successor. */
const SHUTDOWN_GRACE_MS = 5_000;

/**
 * Called inside the transaction that records a run's end (its last events and final
 * status), so that whatever depends on the run (its task) changes atomically with it.
 */
export type RunEndedHandler = (tx: Transaction, outbox: Outbox, run: RunRow, ending: RunEnding) => Promise<void>;

/** A run that ended, as told to `onRunFinished` once its end is committed (metrics). */
export interface FinishedRun {
  status: RunEnding['status'];
  /** From its start (its creation, when it never started) to its end, in ms; time paused for client tools included. */
  durationMs: number;
  /** The run's own tokens, in total and per model that answered (`provider/modelId`); a nested worker's are its own run's. */
  usage: RunUsage;
  /** USD per model that answered, at the configured prices; null for a model without a price. */
  modelCosts: Record<string, number | null>;
}

export interface RunExecutorOptions {
  db: Database;
  bus: Bus;
  models: ModelRegistry;
  logger: Logger;
  /** Server-side tools registered in code (default: `defaultBuiltinTools()`). */
  builtinTools?: BuiltinTools;
  /** Where HTTP tools and MCP servers may be reached (src/net/outbound.ts). */
  outbound: OutboundPolicy;
  /** Lease length in ms (each write of a run renews it; the heartbeat renews runs silent for a third of it; default 30 s). */
  leaseMs?: number;
  /** Bounds on every run (engine defaults when absent). */
  limits?: ExecutionLimits;
  /** Prices a run's tokens when it ends (default: `DEFAULT_MODEL_PRICES`). */
  prices?: ModelPrices;
  /**
   * Stamps a run's `finishedAt` (default: the system clock): the instant its cost counts
   * to a budget period, measured on the same clock as the budgets' periods.
   */
  clock?: Clock;
  onRunEnded?: RunEndedHandler;
  /** Told of every run that ended in this process, after its end is committed (and logged). */
  onRunFinished?: (run: FinishedRun) => void;
  /**
   * Traces runs (OpenTelemetry): a span per leg a run executes here, in a trace of its own
   * linked to the span that started it, with the engine's block and model-call spans
   * beneath. Without it runs make no span.
   */
  telemetry?: EngineTelemetry;
}

/** Runs protocol executions in the background of this process. */
export class RunExecutor {
  /** Identifies this process's leases. */
  readonly owner = `${process.pid}-${randomUUID()}`;
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private stopping = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly hostContext: RunHostContext;
  private readonly leaseMs: number;
  /** Event logs of the runs (children included) this process executes, until they end. */
  private readonly logs = new Set<RunEventLog>();
  /** The newest committed events of the runs this process writes, for its own subscribers. */
  readonly recent = new RecentRunEvents();

  constructor(private readonly options: RunExecutorOptions) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.hostContext = {
      db: options.db,
      bus: options.bus,
      recent: this.recent,
      models: options.models,
      prices: options.prices ?? DEFAULT_MODEL_PRICES,
      builtinTools: options.builtinTools ?? defaultBuiltinTools(),
      outbound: options.outbound,
      lease: { owner: this.owner, ms: this.leaseMs },
      track: (log) => this.logs.add(log),
      end: (log, run, ending, totals) => this.end(log, run, ending, totals),
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    };
  }

  /**
   * Starts executing the QUEUED run `runId` in the background; returns at once. Does
   * nothing when another process claimed it first.
   */
  start(runId: string): void {
    if (this.stopping || this.active.has(runId)) return;
    const controller = new AbortController();
    const done = this.executeTraced(runId, controller.signal)
      .catch((error: unknown) => this.options.logger.error({ err: error, runId }, 'run execution failed'))
      .finally(() => {
        this.active.delete(runId);
        if (this.active.size === 0) this.stopHeartbeat();
      });
    this.active.set(runId, { controller, done });
    this.heartbeat ??= setInterval(() => void this.renewLeases(), this.leaseMs / 3);
  }

  /**
   * Extends the lease of every run (children included) this process is executing, unless
   * each of them renewed it by a write within the last third of a lease.
   */
  private async renewLeases(): Promise<void> {
    const recent = Date.now() - this.leaseMs / 3;
    if ([...this.logs].every((log) => log.leaseRenewedAt > recent)) return;
    await this.options.db
      .update(runs)
      .set({ leaseExpiresAt: new Date(Date.now() + this.leaseMs) })
      .where(and(eq(runs.leaseOwner, this.owner), eq(runs.status, 'RUNNING')))
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'lease renewal failed'));
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** How many runs (not counting their children) this process is executing right now. */
  get executingCount(): number {
    return this.active.size;
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
    // Child runs are executed inside their parent's execution: resuming the parent
    // retries the nested worker (see endOrphanedChildren), so they are never taken alone.
    const rows = await this.options.db
      .select({ id: runs.id })
      .from(runs)
      .where(
        and(
          isNull(runs.parentRunId),
          or(
            and(eq(runs.status, 'QUEUED'), isNull(runs.leaseOwner)),
            and(eq(runs.status, 'RUNNING'), or(isNull(runs.leaseExpiresAt), lt(runs.leaseExpiresAt, new Date()))),
          ),
        ),
      );
    for (const { id } of rows) this.start(id);
    return rows.map((r) => r.id);
  }

  /**
   * Takes over abandoned runs now and then every half lease, so that a run whose process
   * died is resumed by a live one without waiting for a restart.
   */
  startSweeping(): void {
    void this.sweep();
    this.sweeper ??= setInterval(() => void this.sweep(), this.leaseMs / 2);
  }

  private async sweep(): Promise<void> {
    await this.resumeAbandoned().catch((error: unknown) => this.options.logger.warn({ err: error }, 'sweep for abandoned runs failed'));
  }

  /**
   * Stops taking runs, waits up to {@link SHUTDOWN_GRACE_MS} for active runs, and hands
   * the rest back (lease released) so that the next process resumes them from their
   * last checkpoint.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.sweeper);
    this.stopHeartbeat();
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

  /**
   * Cancels a run that no process is executing (QUEUED and unclaimed, or paused for
   * tools): claims it, writes the engine's cancellation events and ends it.
   * @returns the ended run, or undefined when it is executing somewhere or already ended
   */
  async cancelIdle(runId: string): Promise<RunRow | undefined> {
    const [run] = await this.options.db
      .update(runs)
      .set({ leaseOwner: this.owner, leaseExpiresAt: new Date(Date.now() + this.leaseMs) })
      .where(
        and(
          eq(runs.id, runId),
          inArray(runs.status, ['QUEUED', 'WAITING_FOR_TOOL']),
          or(isNull(runs.leaseOwner), lt(runs.leaseExpiresAt, new Date())),
        ),
      )
      .returning();
    if (!run) return undefined;
    await this.cancelClaimed(run);
    const [ended] = await this.options.db.select().from(runs).where(eq(runs.id, runId));
    return ended;
  }

  private async claim(runId: string): Promise<RunRow | undefined> {
    const claim = this.options.db
      .update(runs)
      .set({
        status: 'RUNNING',
        leaseOwner: this.owner,
        leaseExpiresAt: new Date(Date.now() + this.leaseMs),
        startedAt: sql`coalesce(${runs.startedAt}, now())`,
      })
      .where(
        and(
          eq(runs.id, runId),
          isNull(runs.parentRunId),
          or(
            eq(runs.status, 'QUEUED'),
            and(eq(runs.status, 'RUNNING'), or(isNull(runs.leaseExpiresAt), lt(runs.leaseExpiresAt, new Date()))),
          ),
        ),
      )
      .returning();
    const [row] = await executePrepared(claim, 'claim-run');
    if (row?.state) await this.endOrphanedChildren(row.id);
    return row;
  }

  /**
   * Ends the children a dead process left RUNNING under `parentRunId` (their lease
   * expired): the parent's retry starts its nested worker afresh, so the old child run
   * ends CANCELLED with the engine's cancellation events, recursively for its own children.
   */
  private async endOrphanedChildren(parentRunId: string): Promise<void> {
    const orphans = await this.options.db
      .update(runs)
      .set({ leaseOwner: this.owner, leaseExpiresAt: new Date(Date.now() + this.leaseMs) })
      .where(
        and(
          eq(runs.parentRunId, parentRunId),
          eq(runs.status, 'RUNNING'),
          or(isNull(runs.leaseExpiresAt), lt(runs.leaseExpiresAt, new Date())),
        ),
      )
      .returning();
    for (const orphan of orphans) {
      await this.endOrphanedChildren(orphan.id);
      await this.cancelClaimed(orphan);
    }
  }

  /** Writes the cancellation events of a run this process has just claimed and ends it. */
  private async cancelClaimed(run: RunRow): Promise<void> {
    const log = new RunEventLog(this.hostContext, run, run.lastSeq, this.hostContext.lease);
    const cost = usageCost(costOf(this.hostContext.prices, run.usage.models ?? {}));
    for (const event of cancellationEvents({ workerId: run.id, executionId: run.id, usage: run.usage, cost })) log.append(event);
    await this.end(log, run, { status: 'CANCELLED' });
  }

  /**
   * {@link execute} inside a span of its own when runs are traced: a new trace, linked to
   * the span active when the run was started (a run may outlive the request that started
   * it by hours).
   */
  private executeTraced(runId: string, signal: AbortSignal): Promise<void> {
    const telemetry = this.options.telemetry;
    if (!telemetry) return this.execute(runId, signal);
    return detachedFromActiveTrace((links) =>
      telemetry.tracer.startActiveSpan('run', { links, attributes: { 'workforce.run.id': runId } }, (span) =>
        this.execute(runId, signal, span).finally(() => span.end()),
      ),
    );
  }

  private async execute(runId: string, signal: AbortSignal, span?: Span): Promise<void> {
    const run = await this.claim(runId);
    if (!run) return;
    const { db, logger } = this.options;
    const log = new RunEventLog(this.hostContext, run, run.lastSeq, this.hostContext.lease);
    this.logs.add(log);
    try {
      const version = await loadVersion(db, run.protocolVersionId);
      span?.updateName(`run ${version.protocol.settings.slug}`);
      span?.setAttributes({ 'workforce.protocol.slug': version.protocol.settings.slug, 'workforce.protocol.version': run.version, ...(run.workerId ? { 'workforce.worker.id': run.workerId } : {}) });
      const resuming = run.toolResults.length > 0;
      const outcome = await executeWorker(version.protocol, {
        input: run.input,
        executionId: run.id,
        workerId: run.id,
        depth: run.depth,
        ...(this.options.limits ? { limits: this.options.limits } : {}),
        ...(run.state ? { state: run.state as RunState } : {}),
        ...(resuming ? { toolResults: run.toolResults } : {}),
        host: createRunHost(this.hostContext, run, version, log, signal),
      });
      span?.setAttribute('workforce.run.outcome', outcome.status);
      // A pause was recorded by the host's last checkpoint (see run-host.ts `pause`).
      if (outcome.status === 'paused') return;
      await this.end(log, run, endingOf(outcome), outcome);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        logger.warn({ runId }, 'another process took this run over; stopping here');
        return;
      }
      logger.error({ err: error, runId }, 'run failed unexpectedly');
      await this.failUnexpectedly(log, run);
    } finally {
      this.logs.delete(log);
    }
  }

  /**
   * Records the end of a run: final status, released lease, its tokens (`totals`, when the
   * engine reported them; else those last stored) and their cost, the `Run.<status>`
   * domain event and whatever `onRunEnded` changes, with the last events, in one
   * transaction.
   */
  private async end(log: RunEventLog, run: RunRow, ending: RunEnding, totals?: RunTotals): Promise<void> {
    this.logs.delete(log);
    const usage = totals ? { ...totals.usage, threads: totals.threadUsage, models: totals.modelUsage } : run.usage;
    const cost = costOf(this.hostContext.prices, usage.models ?? {});
    const finishedAt = (this.options.clock ?? systemClock).now();
    await log.flush(
      {
        status: ending.status,
        ...(ending.status === 'COMPLETED' ? { output: ending.output } : {}),
        ...(ending.status === 'FAILED' ? { error: ending.error } : {}),
        ...(totals ? { usage } : {}),
        cost,
        pendingToolCalls: [],
        toolResults: [],
        leaseOwner: null,
        leaseExpiresAt: null,
        finishedAt,
      },
      async (tx, outbox) => {
        await outbox.append({
          organizationId: run.organizationId,
          type: `Run.${ending.status.toLowerCase() as Lowercase<typeof ending.status>}`,
          subjectId: run.id,
          payload: { status: ending.status, ...(ending.status === 'FAILED' ? { error: ending.error } : {}) },
        });
        await this.options.onRunEnded?.(tx, outbox, run, ending);
      },
    );
    this.finished(run, ending, usage, cost, finishedAt.getTime() - (run.startedAt ?? run.createdAt).getTime());
  }

  /**
   * Logs one info line for a run whose end is committed (run, worker, status, duration,
   * tokens, cost; the error type of a failure) and tells `onRunFinished`.
   */
  private finished(run: RunRow, ending: RunEnding, usage: RunUsage, cost: number | null, durationMs: number): void {
    const models: ModelUsage = usage.models ?? {};
    const { prices } = this.hostContext;
    this.options.logger.info(
      {
        runId: run.id,
        workerId: run.workerId,
        ...(run.taskId ? { taskId: run.taskId } : {}),
        ...(run.parentRunId ? { parentRunId: run.parentRunId } : {}),
        status: ending.status,
        durationMs,
        tokens: { input: usage.inputTokens, output: usage.outputTokens, total: usage.totalTokens },
        costUsd: cost,
        ...(ending.status === 'FAILED' ? { errorType: ending.error.errorType } : {}),
      },
      `run ${ending.status.toLowerCase()}`,
    );
    this.options.onRunFinished?.({
      status: ending.status,
      durationMs,
      usage,
      modelCosts: Object.fromEntries(Object.entries(models).map(([model, tokens]) => [model, costOf(prices, { [model]: tokens })])),
    });
  }

  /** Ends a run the engine could not finish (database or internal fault) as FAILED. */
  private async failUnexpectedly(log: RunEventLog, run: RunRow): Promise<void> {
    const message = 'The run stopped because of an internal error; see the server log.';
    log.append({ type: 'worker-result', workerId: run.id, error: message });
    log.append({ type: 'error', errorType: 'internal_error', message, retryable: false, source: 'platform' });
    await this.end(log, run, { status: 'FAILED', error: { errorType: 'internal_error', message } }).catch((error: unknown) =>
      this.options.logger.error({ err: error, runId: run.id }, 'could not record the failure'),
    );
  }
}
