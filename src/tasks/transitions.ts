/**
 * Task transitions (API.md "Tasks": startTask, completeTask, failTask, cancelTask,
 * reassignTask): the in-transaction steps shared by the mutations, the work runner and
 * the run-ended hook, and the services that wrap them in a transaction.
 *
 * Locking: a change to a task locks its worker's row first, then the task's row, so
 * that slot counts, availability and goal checks of one worker are serialised and two
 * transactions never wait on each other in opposite orders.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';

import type { Database, Transaction } from '../db/client.js';
import { tasks, workers } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError } from '../errors.js';
import { transactionWithEvents, type Outbox } from '../events/outbox.js';
import type { Logger } from '../logger.js';
import type { Bus } from '../realtime/bus.js';
import type { RunExecutor } from '../runs/executor.js';
import { parseInput } from '../validation.js';
import { assertTakesWork, countActiveTasks, refreshAvailability, type WorkerRow } from '../workers/lifecycle.js';
import { recordGoalsAchieved } from '../workers/performance.js';
import type { TaskRow } from './service.js';
import { assertTaskTransition, OPEN_TASK_STATUSES } from './state-machine.js';

/** What task services need: storage, events, and the run executor to stop stale runs. */
export interface TaskDeps {
  db: Database;
  bus: Bus;
  runs: RunExecutor;
  logger: Logger;
}

/** How a task ends. `qualityScore` is 0–5, like feedback ratings. */
export type TaskOutcome =
  | { status: 'COMPLETED'; result: unknown; qualityScore?: number | null }
  | { status: 'FAILED'; error: string }
  | { status: 'CANCELLED'; reason?: string | null };

/** A task with its assignee, both rows locked. */
export interface LockedTask {
  task: TaskRow;
  worker: WorkerRow | undefined;
}

/**
 * Locks task `taskId`, its assignee and the workers in `alsoLock` (in id order, worker
 * rows before the task row).
 * @throws NotFoundError for an unknown task or worker
 */
export async function lockTask(
  tx: Transaction,
  organizationId: string,
  taskId: string,
  alsoLock: string[] = [],
): Promise<LockedTask & { others: Map<string, WorkerRow> }> {
  for (;;) {
    const [peek] = await tx
      .select({ assigneeId: tasks.assigneeId })
      .from(tasks)
      .where(and(eq(tasks.organizationId, organizationId), eq(tasks.id, taskId)));
    if (!peek) throw new NotFoundError('Task', taskId);
    const ids = [...new Set([...(peek.assigneeId ? [peek.assigneeId] : []), ...alsoLock])].sort();
    const locked = ids.length
      ? await tx
          .select()
          .from(workers)
          .where(and(eq(workers.organizationId, organizationId), inArray(workers.id, ids)))
          .orderBy(asc(workers.id))
          .for('update')
      : [];
    const byId = new Map(locked.map((worker) => [worker.id, worker]));
    const missing = alsoLock.find((id) => !byId.has(id));
    if (missing) throw new NotFoundError('Worker', missing);
    const [task] = await tx.select().from(tasks).where(eq(tasks.id, taskId)).for('update');
    // The assignee changed between the first read and the locks: lock the new one.
    if (task!.assigneeId !== peek.assigneeId) continue;
    return { task: task!, worker: task!.assigneeId ? byId.get(task!.assigneeId) : undefined, others: byId };
  }
}

/**
 * Moves a locked task to RUNNING (from ASSIGNED, or back from WAITING) and appends
 * `Worker.task.started`; the worker becomes WORKING.
 * @throws InvalidTransitionError when the task is not ASSIGNED or WAITING, the worker is
 *   not ACTIVE, or all of the worker's slots (`concurrency`) are in use
 */
export async function beginTask(tx: Transaction, outbox: Outbox, worker: WorkerRow, task: TaskRow): Promise<TaskRow> {
  assertTaskTransition(task.status, 'RUNNING');
  if (task.status === 'ASSIGNED') {
    assertTakesWork(worker, 'RUNNING');
    const active = await countActiveTasks(tx, worker.id);
    if (active >= worker.concurrency) {
      throw new InvalidTransitionError(
        'Task',
        task.status,
        'RUNNING',
        `${worker.name} already works on ${active} task(s) and has a concurrency of ${worker.concurrency}`,
      );
    }
  }
  const [started] = await tx
    .update(tasks)
    .set({ status: 'RUNNING', startedAt: task.startedAt ?? new Date() })
    .where(eq(tasks.id, task.id))
    .returning();
  await outbox.append({
    organizationId: task.organizationId,
    type: 'Worker.task.started',
    subjectId: worker.id,
    payload: { taskId: task.id, action: task.action, resumed: task.status === 'WAITING' },
  });
  await refreshAvailability(tx, outbox, worker);
  return started!;
}

/**
 * Ends a locked task with `outcome` and appends `Worker.task.completed` / `.failed` /
 * `.cancelled` (`Fleet.task.cancelled` for a task in a fleet queue). A completion counts
 * towards the worker's KPIs and may append `Worker.goal.achieved`.
 * @throws InvalidTransitionError when the task may not reach `outcome.status`
 */
export async function finishTask(
  tx: Transaction,
  outbox: Outbox,
  worker: WorkerRow | undefined,
  task: TaskRow,
  outcome: TaskOutcome,
): Promise<TaskRow> {
  assertTaskTransition(task.status, outcome.status);
  const completedAt = new Date();
  const [ended] = await tx
    .update(tasks)
    .set({
      status: outcome.status,
      completedAt,
      ...(outcome.status === 'COMPLETED' ? { result: outcome.result ?? null, qualityScore: outcome.qualityScore ?? null } : {}),
      ...(outcome.status === 'FAILED' ? { error: outcome.error } : {}),
      ...(outcome.status === 'CANCELLED' && outcome.reason ? { error: `cancelled: ${outcome.reason}` } : {}),
    })
    .where(eq(tasks.id, task.id))
    .returning();
  const what = outcome.status.toLowerCase();
  await outbox.append({
    organizationId: task.organizationId,
    type: worker ? `Worker.task.${what}` : `Fleet.task.${what}`,
    subjectId: worker?.id ?? task.fleetId,
    payload: {
      taskId: task.id,
      action: task.action,
      ...(outcome.status === 'COMPLETED'
        ? {
            qualityScore: outcome.qualityScore ?? null,
            durationMs: task.startedAt ? completedAt.getTime() - task.startedAt.getTime() : null,
          }
        : {}),
      ...(outcome.status === 'FAILED' ? { error: outcome.error } : {}),
      ...(outcome.status === 'CANCELLED' ? { reason: outcome.reason ?? null } : {}),
    },
  });
  if (worker) {
    await refreshAvailability(tx, outbox, worker);
    if (outcome.status === 'COMPLETED') await recordGoalsAchieved(tx, outbox, worker, ended!, completedAt);
  }
  return ended!;
}

/**
 * Moves every open task of a locked worker `from` to the locked ACTIVE worker `to`
 * (ASSIGNED, `Worker.assigned` with `transferredFrom`), or without `to` back to its
 * fleet's queue (PENDING, `Fleet.task.queued`). Runs of moved tasks no longer count.
 * @returns the moved tasks as they were before, for stopping their runs after commit
 */
export async function moveOpenTasks(
  tx: Transaction,
  outbox: Outbox,
  from: WorkerRow,
  to: WorkerRow | undefined,
): Promise<TaskRow[]> {
  const open = await tx
    .select()
    .from(tasks)
    .where(and(eq(tasks.assigneeId, from.id), inArray(tasks.status, OPEN_TASK_STATUSES)))
    .orderBy(asc(tasks.id))
    .for('update');
  if (open.length === 0) return [];
  if (to) assertTakesWork(to);
  await tx
    .update(tasks)
    .set(
      to
        ? { status: 'ASSIGNED', assigneeId: to.id, assignedAt: new Date(), startedAt: null, runId: null }
        : { status: 'PENDING', assigneeId: null, assignedAt: null, startedAt: null, runId: null },
    )
    .where(inArray(tasks.id, open.map((task) => task.id)));
  for (const task of open) {
    await outbox.append(
      to
        ? {
            organizationId: task.organizationId,
            type: 'Worker.assigned',
            subjectId: to.id,
            payload: { taskId: task.id, action: task.action, priority: task.priority, transferredFrom: from.id },
          }
        : {
            organizationId: task.organizationId,
            type: 'Fleet.task.queued',
            subjectId: task.fleetId,
            payload: { taskId: task.id, action: task.action, priority: task.priority, returnedFrom: from.id },
          },
    );
  }
  return open;
}

/**
 * Stops the runs of tasks that moved or ended without them (best effort, after commit):
 * the run-ended hook then finds that the run no longer drives its task and ignores it.
 */
export async function stopRuns(deps: Pick<TaskDeps, 'runs' | 'logger'>, runIds: Array<string | null>): Promise<void> {
  for (const runId of runIds) {
    if (!runId || deps.runs.abort(runId)) continue;
    await deps.runs.cancelIdle(runId).catch((error: unknown) => deps.logger.warn({ err: error, runId }, 'could not stop a stale run'));
  }
}

const TaskIdModel = z.object({ taskId: z.uuid() });

/** What `completeTask` accepts; quality 0–5 like feedback ratings. */
export const CompleteTaskModel = TaskIdModel.extend({
  result: z.unknown().optional(),
  qualityScore: z.number().min(0, 'must be between 0 and 5').max(5, 'must be between 0 and 5').nullish(),
});

/** What `failTask` accepts. */
export const FailTaskModel = TaskIdModel.extend({ error: z.string().trim().min(1, 'must say why').max(4000) });

/** What `cancelTask` and `waitTask` accept. */
export const ReasonModel = TaskIdModel.extend({ reason: z.string().trim().max(4000).nullish() });

/** What `reassignTask` accepts. */
export const ReassignTaskModel = TaskIdModel.extend({ workerId: z.uuid() });

/**
 * Ends task `taskId` with `outcome` in one transaction, then stops its run if one was
 * still driving it.
 */
async function endTask(deps: TaskDeps, organizationId: string, taskId: string, outcome: TaskOutcome): Promise<TaskRow> {
  const { task, runId } = await transactionWithEvents(deps, async (tx, outbox) => {
    const locked = await lockTask(tx, organizationId, taskId);
    return { task: await finishTask(tx, outbox, locked.worker, locked.task, outcome), runId: locked.task.runId };
  });
  await stopRuns(deps, [runId]);
  return task;
}

/**
 * Completes a RUNNING or WAITING task with its result and quality score (0–5).
 * @throws ValidationError; NotFoundError; InvalidTransitionError from any other status
 */
export function completeTask(deps: TaskDeps, organizationId: string, input: z.input<typeof CompleteTaskModel>): Promise<TaskRow> {
  const data = parseInput(CompleteTaskModel, input);
  return endTask(deps, organizationId, data.taskId, { status: 'COMPLETED', result: data.result, qualityScore: data.qualityScore });
}

/**
 * Fails a RUNNING or WAITING task with a reason.
 * @throws ValidationError; NotFoundError; InvalidTransitionError from any other status
 */
export function failTask(deps: TaskDeps, organizationId: string, input: z.input<typeof FailTaskModel>): Promise<TaskRow> {
  const data = parseInput(FailTaskModel, input);
  return endTask(deps, organizationId, data.taskId, { status: 'FAILED', error: data.error });
}

/**
 * Cancels an open task (its run, if any, is cancelled too).
 * @throws ValidationError; NotFoundError; InvalidTransitionError for a finished task
 */
export function cancelTask(deps: TaskDeps, organizationId: string, input: z.input<typeof ReasonModel>): Promise<TaskRow> {
  const data = parseInput(ReasonModel, input);
  return endTask(deps, organizationId, data.taskId, { status: 'CANCELLED', reason: data.reason });
}

/**
 * Parks a RUNNING task as WAITING (on a reply, an approval…); it keeps its slot.
 * `startTask` resumes it. Appends `Worker.task.waiting`.
 * @throws ValidationError; NotFoundError; InvalidTransitionError unless RUNNING
 */
export async function waitTask(deps: TaskDeps, organizationId: string, input: z.input<typeof ReasonModel>): Promise<TaskRow> {
  const data = parseInput(ReasonModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const { task, worker } = await lockTask(tx, organizationId, data.taskId);
    assertTaskTransition(task.status, 'WAITING');
    const [waiting] = await tx.update(tasks).set({ status: 'WAITING' }).where(eq(tasks.id, task.id)).returning();
    await outbox.append({
      organizationId,
      type: 'Worker.task.waiting',
      subjectId: worker?.id ?? null,
      payload: { taskId: task.id, action: task.action, reason: data.reason ?? null },
    });
    return waiting!;
  });
}

/**
 * Gives an open task to another ACTIVE worker: it starts over there as ASSIGNED
 * (`Worker.assigned` with `reassignedFrom`; `Worker.task.reassigned` for the previous
 * worker, whose slot frees up). A run working on it is cancelled.
 * @throws ValidationError; NotFoundError; InvalidTransitionError for a finished task, a
 *   worker that is not ACTIVE, or the task's own assignee
 */
export async function reassignTask(deps: TaskDeps, organizationId: string, input: z.input<typeof ReassignTaskModel>): Promise<TaskRow> {
  const data = parseInput(ReassignTaskModel, input);
  const { task, runId } = await transactionWithEvents(deps, async (tx, outbox) => {
    const { task, worker: previous, others } = await lockTask(tx, organizationId, data.taskId, [data.workerId]);
    const target = others.get(data.workerId)!;
    assertTaskTransition(task.status, 'ASSIGNED');
    if (previous?.id === target.id) {
      throw new InvalidTransitionError('Task', task.status, 'ASSIGNED', `it is already assigned to ${target.name}`);
    }
    assertTakesWork(target);
    const [moved] = await tx
      .update(tasks)
      .set({
        status: 'ASSIGNED',
        assigneeId: target.id,
        fleetId: target.fleetId ?? task.fleetId,
        assignedAt: new Date(),
        startedAt: null,
        runId: null,
      })
      .where(eq(tasks.id, task.id))
      .returning();
    await outbox.append({
      organizationId,
      type: 'Worker.assigned',
      subjectId: target.id,
      payload: { taskId: task.id, action: task.action, priority: task.priority, reassignedFrom: previous?.id ?? null },
    });
    if (previous) {
      await outbox.append({
        organizationId,
        type: 'Worker.task.reassigned',
        subjectId: previous.id,
        payload: { taskId: task.id, action: task.action, to: target.id },
      });
      await refreshAvailability(tx, outbox, previous);
    }
    return { task: moved!, runId: task.runId };
  });
  await stopRuns(deps, [runId]);
  return task;
}
