/**
 * What an actor may see, as row filters shared by resolvers and services, so that the
 * rule lives in one place: everything of its organisation for people's keys; for a
 * worker key, only its own worker, its tasks and its runs (issue "Access control").
 */
import { eq } from 'drizzle-orm';

import type { Database } from '../db/client.js';
import { tasks } from '../db/schema.js';
import { NotFoundError } from '../errors.js';
import type { Actor } from './actor.js';

/** Relational-query `where` for tasks the actor may see. */
export function visibleTasks(actor: Actor) {
  return { organizationId: actor.organizationId, ...(actor.role === 'worker' ? { assigneeId: actor.workerId ?? undefined } : {}) };
}

/** Relational-query `where` for runs the actor may see. */
export function visibleRuns(actor: Actor) {
  return { organizationId: actor.organizationId, ...(actor.role === 'worker' ? { workerId: actor.workerId ?? undefined } : {}) };
}

/** Whether the actor may see a row of `organizationId` that belongs to worker `workerId` (null: to no worker). */
export function canSeeWorkerRow(
  actor: Pick<Actor, 'organizationId' | 'role' | 'workerId'>,
  organizationId: string,
  workerId: string | null,
): boolean {
  if (organizationId !== actor.organizationId) return false;
  return actor.role !== 'worker' || (workerId !== null && workerId === actor.workerId);
}

/**
 * Checks that `actor` may act on task `taskId` (its organisation; a worker key: tasks
 * assigned to its worker).
 * @throws NotFoundError otherwise, exactly as for a missing task
 */
export async function requireVisibleTask(db: Database, actor: Actor, taskId: string): Promise<void> {
  const [task] = await db
    .select({ organizationId: tasks.organizationId, assigneeId: tasks.assigneeId })
    .from(tasks)
    .where(eq(tasks.id, taskId));
  if (!task || !canSeeWorkerRow(actor, task.organizationId, task.assigneeId)) throw new NotFoundError('Task', taskId);
}
