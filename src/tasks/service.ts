/** Tasks: units of work assigned to workers (seed worker.do.md "Assignment"). */
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';

import type { Database } from '../db/client.js';
import { tasks, workers } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError } from '../errors.js';
import { transactionWithEvents } from '../events/outbox.js';
import type { Bus } from '../realtime/bus.js';
import { parseInput, withDefault } from '../validation.js';

export type TaskRow = typeof tasks.$inferSelect;

/** What `assignTask` accepts. */
export const AssignTaskModel = z.object({
  workerId: z.uuid(),
  action: z.string().trim().min(1, 'must not be empty').max(200),
  input: z.unknown().optional(),
  priority: withDefault(z.enum(['CRITICAL', 'HIGH', 'NORMAL', 'LOW']), 'NORMAL'),
  dueDate: z.date().nullish(),
  requiredSkills: withDefault(z.array(z.string().trim().min(1)), []),
  project: z.string().trim().min(1).nullish(),
});
export type AssignTaskInput = z.input<typeof AssignTaskModel>;

/**
 * Assigns a new task to one worker (status ASSIGNED) and appends `Worker.assigned`.
 * The worker row is locked so that a concurrent offboarding cannot slip in between.
 * @throws ValidationError for bad input; NotFoundError for an unknown worker;
 *   InvalidTransitionError when the worker is OFFBOARDED (it takes no work)
 */
export async function assignTask(
  deps: { db: Database; bus: Bus },
  organizationId: string,
  input: AssignTaskInput,
): Promise<TaskRow> {
  const data = parseInput(AssignTaskModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const [worker] = await tx
      .select({ id: workers.id, lifecycle: workers.lifecycle, fleetId: workers.fleetId })
      .from(workers)
      .where(and(eq(workers.organizationId, organizationId), eq(workers.id, data.workerId)))
      .for('update');
    if (!worker) throw new NotFoundError('Worker', data.workerId);
    if (worker.lifecycle === 'OFFBOARDED') {
      throw new InvalidTransitionError('Worker', worker.lifecycle, 'ASSIGNED', 'an offboarded worker takes no work');
    }
    const now = new Date();
    const [task] = await tx
      .insert(tasks)
      .values({
        organizationId,
        action: data.action,
        input: data.input ?? null,
        priority: data.priority,
        status: 'ASSIGNED',
        dueDate: data.dueDate ?? null,
        requiredSkills: data.requiredSkills,
        assigneeId: worker.id,
        fleetId: worker.fleetId,
        project: data.project ?? null,
        assignedAt: now,
      })
      .returning();
    await outbox.append({
      organizationId,
      type: 'Worker.assigned',
      subjectId: worker.id,
      payload: { taskId: task!.id, action: task!.action, priority: task!.priority },
    });
    return task!;
  });
}
