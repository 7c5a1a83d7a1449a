/**
 * The snapshot assignment plans over: the fleet's workers that may take work now (ACTIVE,
 * AVAILABLE or WORKING, not retiring), with their load, track record and quota usage,
 * read in one statement, and which of them have spent a budget (one more statement, and
 * one aggregate per budget of the fleet and of those workers).
 */
import { and, asc, eq, sql } from 'drizzle-orm';

import { exceededBudgetsByWorker } from '../../budgets/service.js';
import type { Executor } from '../../db/client.js';
import { periodStart } from '../../db/periods.js';
import { tasks, workers } from '../../db/schema.js';
import { takingWork, type WorkerRow } from '../../workers/lifecycle.js';
import { heldTasks, runsWorkOf, workerTaskCount } from '../../tasks/predicates.js';
import { isMember } from '../core/members.js';
import type { Candidate } from './strategies.js';
import type { FleetRow } from '../core/store.js';

/** A candidate with the row it was read from. */
export type LoadedCandidate = Candidate & { row: WorkerRow };

/**
 * The fleet's workers that may take work at `now`, in id order, each with the budget it
 * has spent at `now` (its own or the fleet's, in their periods; FAIL before WAIT, as
 * starting its next task would find it) when it runs its work: a worker driven from
 * outside makes no runs and spends nothing. With `lock`, their rows
 * are locked `FOR NO KEY UPDATE SKIP LOCKED`: a worker another transaction holds (it is
 * finishing a task, being offboarded…) sits this decision out and is served by the next.
 * Not `FOR UPDATE`: that also conflicts with the key-share lock every insert referencing
 * the worker takes (a task assigned to it, a run of it…), so a worker would be
 * passed over merely because some row naming it was being written.
 */
export async function loadCandidates(db: Executor, fleet: FleetRow, now: Date, options: { lock: boolean }): Promise<LoadedCandidate[]> {
  const quotaUsed = fleet.quotas.length
    ? sql<number[]>`array[${sql.join(
        fleet.quotas.map(
          (quota) =>
            sql`(select count(*) from ${tasks} where ${tasks.assigneeId} = ${workers.id} and ${tasks.assignedAt} >= ${periodStart(
              quota.period,
              now,
              fleet.timezone,
            )}${quota.action === null ? sql`` : sql` and ${tasks.action} = ${quota.action}`})::int`,
        ),
        sql`, `,
      )}]`
    : sql<number[]>`array[]::int[]`;
  const query = db
    .select({
      row: workers,
      open: heldTasks,
      completed: workerTaskCount(eq(tasks.status, 'COMPLETED')),
      quotaUsed,
    })
    .from(workers)
    .where(
      and(
        eq(workers.fleetId, fleet.id),
        takingWork,
        isMember,
      ),
    )
    .orderBy(asc(workers.id));
  const rows = options.lock ? await query.for('no key update', { of: workers, skipLocked: true }) : await query;
  const running = rows.filter(({ row }) => runsWorkOf(row)).map(({ row }) => row.id);
  const spent = await exceededBudgetsByWorker(db, running, fleet.id, now);
  return rows.map(({ row, open, completed, quotaUsed: used }) => ({
    id: row.id,
    name: row.name,
    skills: row.skills,
    capabilities: row.capabilities,
    concurrency: row.concurrency,
    open,
    completed,
    quotaUsed: used.map(Number),
    budgetSpent: spent.get(row.id)?.[0]?.budget.onExceeded ?? null,
    row,
  }));
}
