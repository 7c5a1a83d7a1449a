/**
 * Work execution: a task of a worker that has a protocol runs it; a worker with a model
 * and no protocol runs the default worker protocol (src/protocols/default-worker.ts).
 * The run receives the worker and the task as `WORKER` and `TASK` (src/tasks/work-context.ts)
 * and, for the worker's own protocol, the task's input; the run's output becomes the
 * task's result and a failed run fails the task. The run is queued in the transaction that starts the task
 * (`beginTask` of work-state.ts) and its end is recorded on the task in the transaction
 * that ends the run ({@link createRunEndedHandler}), so neither can be lost to a crash;
 * the work sweep ({@link WorkRunner.sweep}) also repairs what an older process left
 * between the two.
 *
 * The {@link WorkRunner} starts the next ASSIGNED task of a worker (most urgent first,
 * then earliest due, then oldest) whenever one of its slots (`concurrency`) is free: on
 * every worker event of this process, and on a periodic sweep that also picks up work
 * left by other processes.
 */
import { and, asc, desc, eq, inArray, isNull, or, sql } from 'drizzle-orm';

import { BudgetExceededError, raiseExceededBudgets } from '../budgets/service.js';
import { runs, tasks, workers } from '../db/schema.js';
import { InvalidTransitionError } from '../errors.js';
import { eventTypesOf } from '../events/catalogue.js';
import { transactionWithEvents } from '../events/outbox.js';
import type { Reactions } from '../events/reactions.js';
import { LruMap } from '../lru.js';
import type { RunEndedHandler } from '../runs/executor.js';
import { FINAL_RUN_STATUSES, type RunRow } from '../runs/service.js';
import type { Clock } from '../scheduler/clock.js';
import { coalesce, type Kicker } from '../scheduler/coalesce.js';
import { countActiveTasks, lockWorker, takesWorkNow, takingWork } from '../workers/lifecycle.js';
import { hasSlotToStart, isReady, occupiesSlot, runsItsWork, runsWorkOf } from './predicates.js';
import type { TaskRow } from './service.js';
import type { TaskDeps } from './transitions.js';
import { beginTask, lockTask, reattachRun, settleTaskOfRun, type Begun } from './work-state.js';

/**
 * Starts an ASSIGNED task (or resumes a WAITING one) by hand and appends
 * `Worker.task.started`; when its worker has a protocol, a run of it starts too.
 * @throws NotFoundError; InvalidTransitionError (not ASSIGNED/WAITING, no assignee,
 *   worker not ACTIVE, or all its slots in use)
 */
export async function startTask(deps: TaskDeps, organizationId: string, taskId: string): Promise<TaskRow> {
  const begun = await transactionWithEvents(deps, async (tx, outbox) => {
    const { task, worker } = await lockTask(tx, organizationId, taskId);
    if (!worker) throw new InvalidTransitionError('Task', task.status, 'RUNNING', 'it has no assignee');
    return beginTask(tx, outbox, worker, task, deps.clock.now());
  });
  startRun(deps, begun);
  return begun.task;
}

/** Starts the run a committed begin queued (a run left unstarted is taken by the executor's sweep). */
function startRun(deps: Pick<TaskDeps, 'runs'>, begun: Begun): void {
  if (begun.runId) deps.runs.start(begun.runId);
}

/**
 * The `onRunEnded` hook of the run executor: the task a run executed ends with it (see
 * `settleTaskOfRun`), and a budget the run's cost has spent raises its `*.budget.exceeded`.
 */
export function createRunEndedHandler(clock: Clock): RunEndedHandler {
  return async (tx, outbox, run, ending) => {
    await settleTaskOfRun(tx, outbox, run, ending, clock.now());
    // The run's cost is stored by now: its worker's and fleet's budgets may be spent.
    if (run.workerId) await raiseExceededBudgets(tx, outbox, run.workerId, run.fleetId, clock.now());
  };
}

/** The ending recorded on a finished run row. */
function endingOfRow(run: RunRow): Parameters<RunEndedHandler>[3] {
  if (run.status === 'COMPLETED') return { status: 'COMPLETED', output: run.output };
  if (run.status === 'FAILED') return { status: 'FAILED', error: run.error ?? { errorType: 'internal_error', message: 'the run failed' } };
  return { status: 'CANCELLED' };
}

/** Workers remembered as not running their work, per process (a few dozen bytes each). */
const WITHOUT_WORK_CAPACITY = 10_000;

/** Starts the work of workers that run their work (`runsItsWork`), one slot at a time. */
export class WorkRunner {
  private readonly kickers = new Map<string, Kicker>();
  /**
   * Workers read as not running their work (no protocol and no model: `runsWorkOf`), so
   * that their next events cost no statement (every assignTask to such a worker kicks
   * this). An entry is dropped when this process sees the worker's `Worker.updated` and
   * when the sweep finds, in SQL, that the worker runs its work after all (an update made
   * by another process); bounded because worker IDs grow.
   */
  private readonly withoutWork = new LruMap<string, true>(WITHOUT_WORK_CAPACITY);
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(private readonly deps: TaskDeps) {}

  /** Reacts to this process's worker events (every `Worker.*` type) and starts work as slots free up. */
  start(reactions: Reactions): void {
    if (this.unsubscribe) return;
    const unregister = reactions.on(eventTypesOf('Worker'), ({ type, subjectId }) => {
      if (!subjectId) return;
      if (type === 'Worker.updated') this.withoutWork.delete(subjectId);
      this.kick(subjectId);
    });
    this.unsubscribe = async () => unregister();
  }

  /** Stops listening and waits for starts in progress. */
  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
    await Promise.all([...this.kickers.values()].map((kicker) => kicker.idle()));
  }

  /**
   * Scheduler job: repairs work a crash interrupted ({@link recoverInterruptedWork}),
   * then kicks every worker that takes work, runs it, has ASSIGNED tasks and a slot to
   * start one (work assigned by another process, or left when a process stopped).
   */
  async sweep(): Promise<void> {
    await recoverInterruptedWork(this.deps);
    const rows = await this.deps.db
      .selectDistinct({ id: workers.id })
      .from(workers)
      .innerJoin(tasks, and(eq(tasks.assigneeId, workers.id), isReady))
      .where(and(takingWork, runsItsWork, hasSlotToStart));
    for (const { id } of rows) {
      this.withoutWork.delete(id);
      this.kick(id);
    }
    await Promise.all(rows.map(({ id }) => this.kickers.get(id)?.idle()));
  }

  private kick(workerId: string): void {
    let kicker = this.kickers.get(workerId);
    if (!kicker) {
      kicker = coalesce(
        () => this.fill(workerId),
        (error) => this.deps.logger.error({ err: error, workerId }, 'could not start work'),
      );
      this.kickers.set(workerId, kicker);
    }
    kicker.kick();
  }

  /** Starts ASSIGNED tasks of `workerId` until its slots are full or nothing is left. */
  private async fill(workerId: string): Promise<void> {
    // Unlocked first: a worker that does not run its work starts nothing, and locking it
    // would make a fleet's hand-out (which skips locked workers) pass it over meanwhile.
    if (this.withoutWork.get(workerId)) return;
    const [peek] = await this.deps.db
      .select({ organizationId: workers.organizationId, protocolId: workers.protocolId, model: workers.model })
      .from(workers)
      .where(eq(workers.id, workerId));
    if (!peek) return;
    if (!runsWorkOf(peek)) {
      this.withoutWork.set(workerId, true);
      return;
    }
    for (;;) {
      const begun = await this.begin(peek.organizationId, workerId);
      if (!begun) return;
      startRun(this.deps, begun);
    }
  }

  /**
   * Begins the next ASSIGNED task of `workerId` if it has a free slot.
   * @returns what began, or undefined when nothing can (no task, no slot, a spent WAIT
   *   budget: the work waits for the sweep after the period rolls over, or a new limit)
   */
  private async begin(organizationId: string, workerId: string): Promise<Begun | undefined> {
    try {
      return await transactionWithEvents(this.deps, async (tx, outbox) => {
        const worker = await lockWorker(tx, organizationId, workerId);
        if (!takesWorkNow(worker)) return undefined;
        if ((await countActiveTasks(tx, worker.id)) >= worker.concurrency) return undefined;
        const [next] = await tx
          .select()
          .from(tasks)
          .where(and(eq(tasks.assigneeId, worker.id), isReady))
          .orderBy(asc(tasks.priority), sql`${tasks.dueDate} asc nulls last`, asc(tasks.id))
          .limit(1)
          .for('update', { skipLocked: true });
        return next ? beginTask(tx, outbox, worker, next, this.deps.clock.now()) : undefined;
      });
    } catch (error) {
      if (error instanceof BudgetExceededError) return undefined;
      throw error;
    }
  }
}

/** Tasks examined per call of {@link recoverInterruptedWork}. */
const RECOVERY_BATCH = 100;

/**
 * Repairs what a crash (or a process of an older version) left between a task and its
 * run: a task occupying a slot whose run has ended gets the run's ending (as the
 * run-ended hook would have recorded it); a RUNNING task of a worker that runs its work
 * without a run gets the run that executes it linked, or a new QUEUED run, started here.
 * Each task is repaired in a transaction of its own, under its locks.
 * @returns the number of tasks repaired
 */
export async function recoverInterruptedWork(deps: TaskDeps): Promise<number> {
  const suspects = await deps.db
    .select({ taskId: tasks.id, organizationId: tasks.organizationId })
    .from(tasks)
    .innerJoin(workers, eq(workers.id, tasks.assigneeId))
    .leftJoin(runs, eq(runs.id, tasks.runId))
    .where(
      and(
        occupiesSlot,
        or(
          inArray(runs.status, FINAL_RUN_STATUSES),
          and(eq(tasks.status, 'RUNNING'), runsItsWork, isNull(runs.id)),
        ),
      ),
    )
    .limit(RECOVERY_BATCH);
  let repaired = 0;
  for (const suspect of suspects) {
    const begun = await transactionWithEvents(deps, async (tx, outbox) => {
      const { task, worker } = await lockTask(tx, suspect.organizationId, suspect.taskId);
      if (!worker) return undefined;
      const [run] = await tx
        .select()
        .from(runs)
        .where(task.runId ? eq(runs.id, task.runId) : and(eq(runs.taskId, task.id), eq(runs.workerId, worker.id)))
        .orderBy(desc(runs.createdAt))
        .limit(1);
      if (run && FINAL_RUN_STATUSES.includes(run.status)) {
        return (await settleTaskOfRun(tx, outbox, run, endingOfRow(run), deps.clock.now())) ? { task, runId: null } : undefined;
      }
      if (!runsWorkOf(worker)) return undefined;
      const begun = await reattachRun(tx, outbox, worker, task, run);
      return begun.task === task ? undefined : begun;
    });
    if (!begun) continue;
    repaired += 1;
    startRun(deps, begun);
  }
  return repaired;
}
