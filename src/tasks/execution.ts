/**
 * Work execution (issue "Work execution"): a task of a worker that has a protocol runs
 * it. The task's input becomes the protocol's input (`executeWorker`), the run's output
 * becomes the task's result and a failed run fails the task — recorded by
 * {@link createRunEndedHandler} inside the transaction that ends the run.
 *
 * The {@link WorkRunner} starts the next ASSIGNED task of a worker (most urgent first,
 * then earliest due, then oldest) whenever one of its slots (`concurrency`) is free: on
 * every worker event of this process, and on a periodic sweep that also picks up work
 * left by other processes.
 */
import { and, asc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';

import { protocols, tasks, workers } from '../db/schema.js';
import { DomainError, InvalidTransitionError, ValidationError } from '../errors.js';
import { transactionWithEvents } from '../events/outbox.js';
import type { RunEndedHandler } from '../runs/executor.js';
import { executeWorker } from '../runs/service.js';
import { coalesce, type Kicker } from '../scheduler/coalesce.js';
import { countActiveTasks, lockWorker } from '../workers/lifecycle.js';
import type { TaskRow } from './service.js';
import { ACTIVE_TASK_STATUSES } from './state-machine.js';
import { beginTask, finishTask, lockTask, type TaskDeps } from './transitions.js';

/**
 * The protocol input made from a task's input: a JSON object is passed as it is, no
 * input is `{}`.
 * @returns undefined for any other input (the task then fails)
 */
export function protocolInputOf(task: Pick<TaskRow, 'input'>): Record<string, unknown> | undefined {
  if (task.input === null || task.input === undefined) return {};
  if (typeof task.input === 'object' && !Array.isArray(task.input)) return task.input as Record<string, unknown>;
  return undefined;
}

/**
 * Starts the RUNNING task `task` of a worker with protocol `protocolSlug`: queues a run
 * of it and links the run to the task. When the run cannot be made (bad input, the
 * protocol was deleted) the task fails with the reason.
 */
export async function launchTaskRun(deps: TaskDeps, task: TaskRow, protocolSlug: string): Promise<void> {
  const input = protocolInputOf(task);
  try {
    if (!input) throw new ValidationError([{ path: ['input'], message: 'must be a JSON object to become the protocol input' }]);
    const run = await executeWorker(deps, task.organizationId, {
      protocol: protocolSlug,
      input,
      workerId: task.assigneeId,
      taskId: task.id,
    });
    await deps.db.update(tasks).set({ runId: run.id }).where(and(eq(tasks.id, task.id), isNull(tasks.runId)));
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    await transactionWithEvents(deps, async (tx, outbox) => {
      const locked = await lockTask(tx, task.organizationId, task.id);
      if (locked.task.status !== 'RUNNING' || locked.task.assigneeId !== task.assigneeId) return;
      await finishTask(tx, outbox, locked.worker, locked.task, { status: 'FAILED', error: `the run could not start: ${error.message}` });
    });
  }
}

/** The slug of the protocol worker `workerId` executes, if any. */
async function protocolSlugOf(deps: Pick<TaskDeps, 'db'>, workerId: string): Promise<string | undefined> {
  const [row] = await deps.db
    .select({ slug: protocols.slug })
    .from(workers)
    .innerJoin(protocols, eq(protocols.id, workers.protocolId))
    .where(eq(workers.id, workerId));
  return row?.slug;
}

/**
 * Starts an ASSIGNED task (or resumes a WAITING one) by hand and appends
 * `Worker.task.started`; when its worker has a protocol, a run of it starts too.
 * @throws NotFoundError; InvalidTransitionError (not ASSIGNED/WAITING, no assignee,
 *   worker not ACTIVE, or all its slots in use)
 */
export async function startTask(deps: TaskDeps, organizationId: string, taskId: string): Promise<TaskRow> {
  const { task, resumed } = await transactionWithEvents(deps, async (tx, outbox) => {
    const { task, worker } = await lockTask(tx, organizationId, taskId);
    if (!worker) throw new InvalidTransitionError('Task', task.status, 'RUNNING', 'it has no assignee');
    return { task: await beginTask(tx, outbox, worker, task), resumed: task.status === 'WAITING' };
  });
  if (!resumed && task.runId === null) {
    const slug = await protocolSlugOf(deps, task.assigneeId!);
    if (slug) await launchTaskRun(deps, task, slug);
  }
  return task;
}

/**
 * The `onRunEnded` hook of the run executor: the task a run executed ends with it —
 * COMPLETED with the run's output as result, FAILED with the run's error, CANCELLED
 * with the run. Ignored when the task no longer waits for this run (it was reassigned,
 * ended by hand, or started another run).
 */
export function createRunEndedHandler(): RunEndedHandler {
  return async (tx, outbox, run, ending) => {
    if (!run.taskId) return;
    const { task, worker } = await lockTask(tx, run.organizationId, run.taskId);
    const drivenByRun =
      (ACTIVE_TASK_STATUSES as readonly string[]).includes(task.status) &&
      task.assigneeId === run.workerId &&
      (task.runId === null || task.runId === run.id);
    if (!drivenByRun) return;
    if (task.runId === null) await tx.update(tasks).set({ runId: run.id }).where(eq(tasks.id, task.id));
    await finishTask(
      tx,
      outbox,
      worker,
      task,
      ending.status === 'COMPLETED'
        ? { status: 'COMPLETED', result: ending.output }
        : ending.status === 'FAILED'
          ? { status: 'FAILED', error: `${ending.error.errorType}: ${ending.error.message}` }
          : { status: 'CANCELLED', reason: 'its run was cancelled' },
    );
  };
}

/** Starts the work of workers that have a protocol, one slot at a time. */
export class WorkRunner {
  private readonly kickers = new Map<string, Kicker>();
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(private readonly deps: TaskDeps) {}

  /** Listens to this process's worker events and starts work as slots free up. */
  start(): void {
    if (this.unsubscribe) return;
    const unlisten = this.deps.bus.listen('domain:appended', ({ type, subjectId }) => {
      if (subjectId && type.startsWith('Worker.')) this.kick(subjectId);
    });
    this.unsubscribe = async () => unlisten();
  }

  /** Stops listening and waits for starts in progress. */
  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
    await Promise.all([...this.kickers.values()].map((kicker) => kicker.idle()));
  }

  /**
   * Scheduler job: kicks every ACTIVE worker with a protocol, ASSIGNED tasks and a free
   * slot (work assigned by another process, or left when a process stopped).
   */
  async sweep(): Promise<void> {
    const rows = await this.deps.db
      .selectDistinct({ id: workers.id })
      .from(workers)
      .innerJoin(tasks, and(eq(tasks.assigneeId, workers.id), eq(tasks.status, 'ASSIGNED')))
      .where(
        and(
          eq(workers.lifecycle, 'ACTIVE'),
          inArray(workers.availability, ['AVAILABLE', 'WORKING']),
          isNotNull(workers.protocolId),
          sql`(select count(*) from ${tasks} t where t.assignee_id = ${workers.id} and t.status in ('RUNNING', 'WAITING')) < ${workers.concurrency}`,
        ),
      );
    for (const { id } of rows) this.kick(id);
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
    const slug = await protocolSlugOf(this.deps, workerId);
    if (!slug) return;
    for (;;) {
      const started = await transactionWithEvents(this.deps, async (tx, outbox) => {
        const [peek] = await tx.select({ organizationId: workers.organizationId }).from(workers).where(eq(workers.id, workerId));
        if (!peek) return undefined;
        const worker = await lockWorker(tx, peek.organizationId, workerId);
        if (worker.lifecycle !== 'ACTIVE' || !['AVAILABLE', 'WORKING'].includes(worker.availability)) return undefined;
        if ((await countActiveTasks(tx, worker.id)) >= worker.concurrency) return undefined;
        const [next] = await tx
          .select()
          .from(tasks)
          .where(and(eq(tasks.assigneeId, worker.id), eq(tasks.status, 'ASSIGNED')))
          .orderBy(asc(tasks.priority), sql`${tasks.dueDate} asc nulls last`, asc(tasks.id))
          .limit(1)
          .for('update', { skipLocked: true });
        return next ? beginTask(tx, outbox, worker, next) : undefined;
      });
      if (!started) return;
      await launchTaskRun(this.deps, started, slug);
    }
  }
}
