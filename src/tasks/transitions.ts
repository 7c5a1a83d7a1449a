/**
 * Task services (startTask lives in execution.ts; completeTask, failTask, cancelTask,
 * waitTask, reassignTask here): each parses its input, locks the task in one
 * transaction and calls the move of work-state.ts, the only writer of task state.
 */
import { z } from 'zod';

import type { Database } from '../db/client.js';
import { transactionWithEvents } from '../events/outbox.js';
import type { Logger } from '../logger.js';
import type { Bus } from '../realtime/bus.js';
import type { RunExecutor } from '../runs/executor.js';
import { parseInput } from '../validation.js';
import type { TaskRow } from './service.js';
import { finishTask, lockTask, parkTask, reassign, type TaskOutcome } from './work-state.js';

/** What task services need: storage, events, and the run executor to stop stale runs. */
export interface TaskDeps {
  db: Database;
  bus: Bus;
  runs: RunExecutor;
  logger: Logger;
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
