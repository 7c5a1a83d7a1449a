/**
 * The task state machine (API.md "Tasks"): PENDING → ASSIGNED → RUNNING → (WAITING) →
 * COMPLETED / FAILED / CANCELLED. An open task can also move back: to another worker
 * (reassignment, ASSIGNED again) or to its fleet's queue (PENDING, when its worker is
 * offboarded without a successor).
 */
import type { tasks } from '../db/schema.js';
import { InvalidTransitionError } from '../errors.js';

export type TaskStatus = (typeof tasks.$inferSelect)['status'];

const TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  PENDING: ['ASSIGNED', 'CANCELLED'],
  ASSIGNED: ['PENDING', 'ASSIGNED', 'RUNNING', 'CANCELLED'],
  RUNNING: ['PENDING', 'ASSIGNED', 'WAITING', 'COMPLETED', 'FAILED', 'CANCELLED'],
  WAITING: ['PENDING', 'ASSIGNED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

/** Tasks that are not finished: they move with their worker on offboarding. */
export const OPEN_TASK_STATUSES = ['PENDING', 'ASSIGNED', 'RUNNING', 'WAITING'] as const satisfies readonly TaskStatus[];

/** Tasks that occupy one of their worker's concurrency slots. */
export const ACTIVE_TASK_STATUSES = ['RUNNING', 'WAITING'] as const satisfies readonly TaskStatus[];

/** Whether a task may go from `from` to `to`. */
export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * @throws InvalidTransitionError when the task may not go from `from` to `to`
 */
export function assertTaskTransition(from: TaskStatus, to: TaskStatus, detail?: string): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError('Task', from, to, detail);
}
