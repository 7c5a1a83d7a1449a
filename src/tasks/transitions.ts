/**
 * Task services (startTask lives in execution.ts; completeTask, failTask, cancelTask,
 * waitTask, reassignTask, retryTask and the retry job here): each parses its input, locks the task in one
 * transaction and calls the move of work-state.ts, the only writer of task state.
 */
import { and, asc, eq, isNotNull, lte, min } from 'drizzle-orm';
import { z } from 'zod';

import type { Database } from '../db/client.js';
import { tasks } from '../db/schema.js';
import { InvalidTransitionError } from '../errors.js';
import { transactionWithEvents } from '../events/outbox.js';
import type { Logger } from '../logger.js';
import type { Bus } from '../realtime/bus.js';
import type { RunExecutor } from '../runs/executor.js';
import type { Clock } from '../scheduler/clock.js';
import { parseInput } from '../validation.js';
import type { TaskRow } from './service.js';
import { checkPrerequisites, DependsOnModel, PrerequisiteFailureModel } from './dependencies.js';
import { decideApproval, finishTask, lockTask, parkTask, reassign, requeueTask, setPrerequisites, type ApprovalDecision, type TaskOutcome } from './work-state.js';

/** What task services need: storage, events, and the run executor to stop stale runs. */
export interface TaskDeps {
  db: Database;
  bus: Bus;
  runs: RunExecutor;
  logger: Logger;
  /** The instant of retries' backoff. */
  clock: Clock;
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
    return parkTask(tx, outbox, worker, task, data.reason ?? null);
  });
}

/**
 * Gives an open task to another ACTIVE worker: it starts over there as ASSIGNED
 * (`Worker.assigned` with origin `reassign`; `Worker.task.reassigned` for the previous
 * worker, whose slot frees up). A run working on it is cancelled.
 * @throws ValidationError; NotFoundError; InvalidTransitionError for a finished task, a
 *   worker that is not ACTIVE, or the task's own assignee
 */
export async function reassignTask(deps: TaskDeps, organizationId: string, input: z.input<typeof ReassignTaskModel>): Promise<TaskRow> {
  const data = parseInput(ReassignTaskModel, input);
  const { task, runId } = await transactionWithEvents(deps, async (tx, outbox) => {
    const { task, worker: previous, others } = await lockTask(tx, organizationId, data.taskId, [data.workerId]);
    return { task: await reassign(tx, outbox, task, previous, others.get(data.workerId)!), runId: task.runId };
  });
  await stopRuns(deps, [runId]);
  return task;
}

/** What `approveTask` accepts: the task and an optional comment. */
export const ApproveTaskModel = TaskIdModel.extend({ comment: z.string().trim().max(4000).nullish() });

/** What `rejectTask` accepts: the task and why. */
export const RejectTaskModel = TaskIdModel.extend({ reason: z.string().trim().min(1, 'must say why').max(4000) });

/**
 * Approves the result of a task WAITING for approval (README "Approval"): it COMPLETES
 * with it. `by` is the caller, recorded with the comment in `approval` and `Task.approved`.
 * @throws ValidationError; NotFoundError; InvalidTransitionError when it waits for no approval
 */
export function approveTask(deps: TaskDeps, organizationId: string, by: ApprovalDecision['by'], input: z.input<typeof ApproveTaskModel>): Promise<TaskRow> {
  const data = parseInput(ApproveTaskModel, input);
  return decide(deps, organizationId, data.taskId, { approved: true, by, comment: data.comment ?? null, now: deps.clock.now() });
}

/**
 * Rejects the result of a task WAITING for approval: it FAILS with the reason (`retryTask`
 * runs it again). `by` and the reason are recorded in `approval` and `Task.rejected`.
 * @throws ValidationError (a reason is required); NotFoundError; InvalidTransitionError
 *   when it waits for no approval
 */
export function rejectTask(deps: TaskDeps, organizationId: string, by: ApprovalDecision['by'], input: z.input<typeof RejectTaskModel>): Promise<TaskRow> {
  const data = parseInput(RejectTaskModel, input);
  return decide(deps, organizationId, data.taskId, { approved: false, by, comment: data.reason, now: deps.clock.now() });
}

function decide(deps: TaskDeps, organizationId: string, taskId: string, decision: ApprovalDecision): Promise<TaskRow> {
  return transactionWithEvents(deps, async (tx, outbox) => {
    const { task, worker } = await lockTask(tx, organizationId, taskId);
    return decideApproval(tx, outbox, worker, task, decision);
  });
}

/** What `updateTaskDependencies` accepts. */
export const UpdateTaskDependenciesModel = TaskIdModel.extend({
  dependsOn: DependsOnModel,
  onPrerequisiteFailure: PrerequisiteFailureModel.nullish(),
});

/**
 * Replaces the prerequisites of a task not started yet (README "Dependencies"): it is
 * BLOCKED while one of them has not COMPLETED, and goes to work when none is left open.
 * `onPrerequisiteFailure` omitted keeps the task's.
 * @throws ValidationError naming `dependsOn` (unknown task, the task itself, a cycle, a
 *   failed prerequisite under FAIL); NotFoundError; InvalidTransitionError for a task that
 *   has started or ended
 */
export async function updateTaskDependencies(deps: TaskDeps, organizationId: string, input: z.input<typeof UpdateTaskDependenciesModel>): Promise<TaskRow> {
  const data = parseInput(UpdateTaskDependenciesModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const { task, worker } = await lockTask(tx, organizationId, data.taskId);
    const onFailure = data.onPrerequisiteFailure ?? task.onPrerequisiteFailure;
    await checkPrerequisites(tx, organizationId, data.dependsOn, onFailure, task.id);
    return setPrerequisites(tx, outbox, worker, task, data.dependsOn, onFailure);
  });
}

/** At most this many tasks per `retryTask`. */
export const RETRY_TASKS_LIMIT = 100;

/** What `retryTask` accepts: one or many task IDs. */
export const RetryTasksModel = z.object({
  ids: z.array(z.uuid()).min(1, 'must name at least one task').max(RETRY_TASKS_LIMIT, `must name at most ${RETRY_TASKS_LIMIT} tasks`),
});

/**
 * Puts FAILED tasks (dead-lettered or not) back to work with their attempts reset and
 * their failure cleared, all in one transaction: each goes back to its worker when that
 * worker takes work, else to its fleet's queue (`requeueTask`). Appends `Task.retried` per
 * task.
 * @throws ValidationError; NotFoundError for an unknown task; InvalidTransitionError for
 *   a task that is not FAILED (nothing is changed)
 */
export async function retryTasks(deps: TaskDeps, organizationId: string, input: z.input<typeof RetryTasksModel>): Promise<TaskRow[]> {
  const data = parseInput(RetryTasksModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const retried: TaskRow[] = [];
    for (const taskId of [...new Set(data.ids)]) {
      const { task, worker } = await lockTask(tx, organizationId, taskId);
      if (task.status !== 'FAILED') throw new InvalidTransitionError('Task', task.status, 'ASSIGNED', 'only a FAILED task can be retried');
      const requeued = await requeueTask(tx, outbox, worker, task, { origin: 'retry', reset: true });
      await outbox.append({
        organizationId,
        type: 'Task.retried',
        subjectId: task.id,
        payload: { action: task.action, status: requeued.status, workerId: requeued.assigneeId, fleetId: requeued.fleetId },
      });
      retried.push(requeued);
    }
    return retried;
  });
}

/** Tasks whose retry is due, taken per transaction by {@link requeueDueRetries}. */
const RETRY_BATCH = 100;

/** The earliest instant a RETRYING task's next attempt falls due (one indexed query), or null. */
export async function nextRetryDue(db: Database): Promise<Date | null> {
  const [row] = await db
    .select({ at: min(tasks.nextAttemptAt) })
    .from(tasks)
    .where(and(isNotNull(tasks.nextAttemptAt), eq(tasks.status, 'RETRYING')));
  return row?.at ?? null;
}

/**
 * Scheduler job: puts every RETRYING task whose `nextAttemptAt` has come (by the
 * scheduler's clock) back to work (`requeueTask`). Each is locked as every move locks
 * (worker, then task) and checked again, so processes sharing the database put it back once.
 * @returns the number of tasks put back
 */
export async function requeueDueRetries(deps: Pick<TaskDeps, 'db' | 'bus'>, now: Date): Promise<number> {
  let requeued = 0;
  for (;;) {
    const batch = await transactionWithEvents(deps, async (tx, outbox) => {
      const due = await tx
        .select({ id: tasks.id, organizationId: tasks.organizationId })
        .from(tasks)
        .where(and(eq(tasks.status, 'RETRYING'), lte(tasks.nextAttemptAt, now)))
        .orderBy(asc(tasks.nextAttemptAt))
        .limit(RETRY_BATCH);
      for (const { id, organizationId } of due) {
        const { task, worker } = await lockTask(tx, organizationId, id);
        if (task.status === 'RETRYING') await requeueTask(tx, outbox, worker, task, { origin: 'retry', reset: false });
      }
      return due.length;
    });
    requeued += batch;
    // A full batch may leave more due; rows another process moved meanwhile are not selected again.
    if (batch < RETRY_BATCH) return requeued;
  }
}
