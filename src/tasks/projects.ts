/**
 * Projects (docs/product/worker.md `assignProject`): a named set of tasks with due dates for
 * one worker, assigned in one transaction. The project is the tasks' `project` name.
 */
import { z } from 'zod';

import type { Database } from '../db/client.js';
import { transactionWithEvents } from '../events/outbox.js';
import type { Bus } from '../realtime/bus.js';
import { parseInput, withDefault } from '../validation.js';
import { lockWorker, type WorkerRow } from '../workers/lifecycle.js';
import { workerTimeZone } from '../workers/performance.js';
import { DueDateModel, dueInstant } from './due-date.js';
import { ActionModel, TaskPriorityModel, type TaskRow } from './service.js';
import { createTask } from './work-state.js';

/** What `assignProject` accepts. */
export const AssignProjectModel = z.object({
  workerId: z.uuid(),
  name: z.string().trim().min(1, 'must not be empty').max(200),
  tasks: z
    .array(
      z.object({
        action: ActionModel,
        input: z.unknown().optional(),
        priority: withDefault(TaskPriorityModel, 'NORMAL'),
        dueDate: DueDateModel.nullish(),
        requiredSkills: withDefault(z.array(z.string().trim().min(1)), []),
      }),
    )
    .min(1, 'a project needs at least one task')
    .max(500),
});
export type AssignProjectInput = z.input<typeof AssignProjectModel>;

/** A project as assigned: its name, its worker and its tasks in the order given. */
export interface Project {
  name: string;
  worker: WorkerRow;
  tasks: TaskRow[];
}

/**
 * Assigns every task of project `name` to an ACTIVE worker, all or nothing; each
 * appends `Worker.assigned` with the project's name.
 * @throws ValidationError; NotFoundError; InvalidTransitionError when the worker is not ACTIVE
 */
export async function assignProject(
  deps: { db: Database; bus: Bus },
  organizationId: string,
  input: AssignProjectInput,
): Promise<Project> {
  const data = parseInput(AssignProjectModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const worker = await lockWorker(tx, organizationId, data.workerId);
    const tasks: TaskRow[] = [];
    for (const task of data.tasks) {
      const dueDate = dueInstant(task.dueDate, workerTimeZone(worker));
      tasks.push((await createTask(tx, outbox, organizationId, { worker }, { ...task, dueDate, project: data.name }))!);
    }
    return { name: data.name, worker, tasks };
  });
}
