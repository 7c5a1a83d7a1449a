/**
 * The task state machine: PENDING → ASSIGNED → RUNNING → (WAITING) → COMPLETED / FAILED /
 * CANCELLED. An open task can also move back: to another worker (reassignment, transfer
 * on offboarding, a rebalance move: ASSIGNED again) or to its fleet's queue (PENDING).
 *
 * Failure (README "Retries"): a task whose run failed and whose retry policy allows
 * another attempt goes RETRYING until its backoff is over, then back to its worker
 * (ASSIGNED) or its fleet's queue (PENDING). One that used up its attempts is FAILED
 * and dead-lettered (`deadLetteredAt`, a column, not a status: it is a failure like any
 * other for counts and metrics). `retryTask` takes a FAILED task back to ASSIGNED or
 * PENDING: the only way out of an ended status.
 *
 * Dependencies (README "Dependencies"): a task made with prerequisites (`dependsOn`) not
 * all COMPLETED is BLOCKED — with its worker or fleet, holding no slot — until the last
 * completes, then ASSIGNED or PENDING like a new task. A prerequisite that fails or is
 * cancelled fails its BLOCKED dependants (`onPrerequisiteFailure: FAIL`, the default) or
 * leaves them BLOCKED (HOLD) until `retryTask` gets it done. `updateTaskDependencies`
 * blocks a task not started yet (PENDING, ASSIGNED) or releases a BLOCKED one.
 *
 * The status sets below are the only definitions of what is open, what is queued, what
 * occupies a slot …; SQL predicates (predicates.ts) and the single writer of task state
 * (work-state.ts) are built from them.
 */
import type { tasks } from '../db/schema.js';
import { InvalidTransitionError } from '../errors.js';

export type TaskStatus = (typeof tasks.$inferSelect)['status'];

const TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  PENDING: ['ASSIGNED', 'CANCELLED', 'BLOCKED'],
  ASSIGNED: ['PENDING', 'ASSIGNED', 'RUNNING', 'CANCELLED', 'BLOCKED'],
  RUNNING: ['PENDING', 'ASSIGNED', 'WAITING', 'COMPLETED', 'FAILED', 'CANCELLED', 'RETRYING'],
  WAITING: ['PENDING', 'ASSIGNED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'RETRYING'],
  COMPLETED: [],
  FAILED: ['PENDING', 'ASSIGNED'],
  CANCELLED: [],
  RETRYING: ['PENDING', 'ASSIGNED', 'CANCELLED'],
  BLOCKED: ['PENDING', 'ASSIGNED', 'FAILED', 'CANCELLED'],
};

/** Tasks that are not finished. */
export const OPEN_TASK_STATUSES = ['PENDING', 'ASSIGNED', 'RUNNING', 'WAITING', 'RETRYING', 'BLOCKED'] as const satisfies readonly TaskStatus[];

/** Tasks that have ended: only `retryTask` moves one again (a FAILED one). */
export const ENDED_TASK_STATUSES = ['COMPLETED', 'FAILED', 'CANCELLED'] as const satisfies readonly TaskStatus[];

/** Tasks waiting in a fleet queue for a worker. */
export const QUEUED_TASK_STATUSES = ['PENDING'] as const satisfies readonly TaskStatus[];

/** Tasks given to a worker and ready to start as soon as one of its slots is free. */
export const READY_TASK_STATUSES = ['ASSIGNED'] as const satisfies readonly TaskStatus[];

/** Tasks not started yet: queued or ready. */
export const NOT_STARTED_TASK_STATUSES = [...QUEUED_TASK_STATUSES, ...READY_TASK_STATUSES] as const satisfies readonly TaskStatus[];

/**
 * Tasks that occupy one of their worker's `concurrency` slots: the ones it works on.
 * This is the one definition of an occupied slot — availability WORKING, the slot check
 * of starting a task, utilization and busy slots in fleet metrics all count these.
 */
export const SLOT_TASK_STATUSES = ['RUNNING', 'WAITING'] as const satisfies readonly TaskStatus[];

/**
 * Tasks a worker holds: ready ones and those occupying a slot. A fleet hands a worker
 * work only while these are fewer than its `concurrency` (a free slot that no ready task
 * is lined up for), so queued work stays in the fleet queue, where whichever worker
 * frees up first takes it, instead of piling up behind one worker.
 */
export const HELD_TASK_STATUSES = [...READY_TASK_STATUSES, ...SLOT_TASK_STATUSES] as const satisfies readonly TaskStatus[];

/** Whether a task may go from `from` to `to`. */
export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * The statuses of `among` (default: all) from which a task may go to `to`, for moves of
 * many rows whose `from` is checked in SQL.
 */
export function sourcesOf(to: TaskStatus, among?: readonly TaskStatus[]): TaskStatus[] {
  return (Object.keys(TRANSITIONS) as TaskStatus[]).filter((from) => canTransition(from, to) && (!among || among.includes(from)));
}

/**
 * @throws InvalidTransitionError when the task may not go from `from` to `to`
 */
export function assertTaskTransition(from: TaskStatus, to: TaskStatus, detail?: string): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError('Task', from, to, detail);
}
