/**
 * Task dependencies (README "Dependencies"): which prerequisites a task may name. A task
 * names existing tasks of its organisation in `dependsOn`; it stays BLOCKED until all are
 * COMPLETED (work-state.ts moves it, `releaseDependants`). A dependency graph never has a
 * cycle: a new task cannot close one, and `updateTaskDependencies` refuses an edge that
 * would.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';

import type { Transaction } from '../db/client.js';
import { tasks } from '../db/schema.js';
import { ValidationError } from '../errors.js';

/** At most this many prerequisites per task. */
export const MAX_PREREQUISITES = 100;

/** `dependsOn` as given: task IDs, each once. */
export const DependsOnModel = z
  .array(z.uuid())
  .max(MAX_PREREQUISITES, `must name at most ${MAX_PREREQUISITES} tasks`)
  .refine((ids) => new Set(ids).size === ids.length, 'must name each task once');

/** `onPrerequisiteFailure` as given. */
export const PrerequisiteFailureModel = z.enum(['FAIL', 'HOLD']);

/**
 * Checks the prerequisites `dependsOn` of a task (`taskId`: an existing one whose
 * dependencies change; omitted: a new task, which no task depends on yet); `at` is the
 * path of the task in the input (`['tasks', '2']`), empty for the input itself.
 * @throws ValidationError naming `dependsOn` (and the index) for an unknown task, a task
 *   that depends on itself or on a task that depends on it (a cycle), and, under
 *   `onPrerequisiteFailure: FAIL`, a prerequisite that already FAILED or was CANCELLED
 */
export async function checkPrerequisites(
  tx: Transaction,
  organizationId: string,
  dependsOn: readonly string[],
  onPrerequisiteFailure: 'FAIL' | 'HOLD',
  taskId?: string,
  at: string[] = [],
): Promise<void> {
  if (dependsOn.length === 0) return;
  const found = await tx
    .select({ id: tasks.id, status: tasks.status })
    .from(tasks)
    .where(and(eq(tasks.organizationId, organizationId), inArray(tasks.id, [...dependsOn])));
  const statusOf = new Map(found.map((row) => [row.id, row.status]));
  const issues = dependsOn.flatMap((id, i) => {
    const status = statusOf.get(id);
    if (!status) return [{ path: [...at, 'dependsOn', String(i)], message: 'no task with this ID' }];
    if (id === taskId) return [{ path: [...at, 'dependsOn', String(i)], message: 'a task cannot depend on itself' }];
    if (onPrerequisiteFailure === 'FAIL' && (status === 'FAILED' || status === 'CANCELLED')) {
      return [{ path: [...at, 'dependsOn', String(i)], message: `the task is ${status}: it can never complete (retry it first, or use onPrerequisiteFailure: HOLD)` }];
    }
    return [];
  });
  if (issues.length) throw new ValidationError(issues);
  if (!taskId) return;
  // A cycle: the task is among the prerequisites of its prerequisites, transitively
  // (one query per level of the graph).
  const seen = new Set<string>(dependsOn);
  for (let frontier = [...dependsOn]; frontier.length > 0; ) {
    const rows = await tx.select({ dependsOn: tasks.dependsOn }).from(tasks).where(inArray(tasks.id, frontier));
    frontier = [];
    for (const id of rows.flatMap((row) => row.dependsOn)) {
      if (id === taskId) {
        throw new ValidationError([{ path: ['dependsOn'], message: 'would make a cycle: a task named depends, directly or not, on this task' }]);
      }
      if (!seen.has(id)) {
        seen.add(id);
        frontier.push(id);
      }
    }
  }
}

