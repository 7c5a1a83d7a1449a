/**
 * Tasks: units of work assigned to workers (seed worker.do.md "Work Assignment"). Every
 * way work is made (one task, a project, a recurring schedule, a trigger) goes through
 * {@link createTask}, so the rules (only ACTIVE workers take work) and the events
 * (`Worker.assigned`, `Fleet.task.queued`) are the same for all of them.
 */
import { z } from 'zod';

import type { Database, Transaction } from '../db/client.js';
import { tasks } from '../db/schema.js';
import { transactionWithEvents, type Outbox } from '../events/outbox.js';
import type { Bus } from '../realtime/bus.js';
import { parseInput, withDefault } from '../validation.js';
import { assertTakesWork, lockWorker, type WorkerRow } from '../workers/lifecycle.js';

export type TaskRow = typeof tasks.$inferSelect;
export type TaskPriority = TaskRow['priority'];

/** Priorities, most urgent first (the enum's order in the database, too). */
export const TaskPriorityModel = z.enum(['CRITICAL', 'HIGH', 'NORMAL', 'LOW']);

/** An action name, e.g. `qualify_lead`. */
export const ActionModel = z.string().trim().min(1, 'must not be empty').max(200);

/** What `assignTask` accepts. */
export const AssignTaskModel = z.object({
  workerId: z.uuid(),
  action: ActionModel,
  input: z.unknown().optional(),
  priority: withDefault(TaskPriorityModel, 'NORMAL'),
  dueDate: z.date().nullish(),
  requiredSkills: withDefault(z.array(z.string().trim().min(1)), []),
  project: z.string().trim().min(1).nullish(),
});
export type AssignTaskInput = z.input<typeof AssignTaskModel>;

/** The fields of a new task; where it goes is given separately. */
export interface NewTask {
  action: string;
  input?: unknown;
  priority?: TaskPriority;
  dueDate?: Date | null;
  requiredSkills?: string[];
  project?: string | null;
  scheduleId?: string | null;
  scheduledFor?: Date | null;
  triggerId?: string | null;
}

/**
 * Inserts a task inside the caller's transaction: ASSIGNED to `worker` with
 * `Worker.assigned`, or, for a fleet, PENDING in its queue with `Fleet.task.queued`.
 * Callers lock the worker's row first, except the scheduler, which must not (see
 * recurring.ts) and relies on offboarding moving schedules before tasks.
 * @throws InvalidTransitionError when `worker` is not ACTIVE
 * @returns the task, or undefined when `onConflictDoNothing` skipped a duplicate
 *   (a schedule instant that another process materialised first)
 */
export async function createTask(
  tx: Transaction,
  outbox: Outbox,
  organizationId: string,
  target: { worker: WorkerRow } | { fleetId: string },
  task: NewTask,
): Promise<TaskRow | undefined> {
  const worker = 'worker' in target ? target.worker : undefined;
  if (worker) assertTakesWork(worker);
  const [row] = await tx
    .insert(tasks)
    .values({
      organizationId,
      action: task.action,
      input: task.input ?? null,
      priority: task.priority ?? 'NORMAL',
      status: worker ? 'ASSIGNED' : 'PENDING',
      dueDate: task.dueDate ?? null,
      requiredSkills: task.requiredSkills ?? [],
      assigneeId: worker?.id ?? null,
      fleetId: worker ? worker.fleetId : 'fleetId' in target ? target.fleetId : null,
      project: task.project ?? null,
      scheduleId: task.scheduleId ?? null,
      scheduledFor: task.scheduledFor ?? null,
      triggerId: task.triggerId ?? null,
      assignedAt: worker ? new Date() : null,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) return undefined;
  const origin = {
    ...(row.project ? { project: row.project } : {}),
    ...(row.scheduleId ? { scheduleId: row.scheduleId } : {}),
    ...(row.triggerId ? { triggerId: row.triggerId } : {}),
  };
  await outbox.append(
    worker
      ? {
          organizationId,
          type: 'Worker.assigned',
          subjectId: worker.id,
          payload: { taskId: row.id, action: row.action, priority: row.priority, ...origin },
        }
      : {
          organizationId,
          type: 'Fleet.task.queued',
          subjectId: row.fleetId,
          payload: { taskId: row.id, action: row.action, priority: row.priority, ...origin },
        },
  );
  return row;
}

/**
 * Assigns a new task to one worker (status ASSIGNED) and appends `Worker.assigned`. The
 * worker row is locked so that a concurrent offboarding cannot slip in between.
 * @throws ValidationError for bad input; NotFoundError for an unknown worker;
 *   InvalidTransitionError when the worker is not ACTIVE (only active workers take work)
 */
export async function assignTask(
  deps: { db: Database; bus: Bus },
  organizationId: string,
  input: AssignTaskInput,
): Promise<TaskRow> {
  const data = parseInput(AssignTaskModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const worker = await lockWorker(tx, organizationId, data.workerId);
    return (await createTask(tx, outbox, organizationId, { worker }, data))!;
  });
}
