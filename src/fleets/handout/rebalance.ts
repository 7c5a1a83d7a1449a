/**
 * Rebalancing (docs/product/fleets.md `every($.Hourly, () => fleet.rebalance())`): tasks
 * assigned but not started, stuck behind a worker that cannot start them (all its slots
 * in use, BUSY, OFFLINE or no longer ACTIVE), move to workers with a free slot by the
 * fleet's strategy; then the queue is served. On demand (`rebalanceFleet`) and on a
 * schedule ({@link REBALANCE_INTERVAL_MS}).
 */
import { and, asc, eq, exists, inArray, notExists, sql } from 'drizzle-orm';

import type { Transaction } from '../../db/client.js';
import type { FleetBalancing } from '../../db/documents.js';
import { fleets, tasks, teamWorkflowStages, workers } from '../../db/schema.js';
import { transactionWithEvents, type Outbox } from '../../events/outbox.js';
import { hasSlotToStart, isReady } from '../../tasks/predicates.js';
import type { TaskRow } from '../../tasks/service.js';
import { rebalanceMove } from '../../tasks/work-state.js';
import { takingWork, type WorkerRow } from '../../workers/lifecycle.js';
import { loadCandidates } from './candidates.js';
import { dispatch } from './dispatch.js';
import { planWork } from './strategies.js';
import { lockFleet, type FleetDeps, type FleetRow } from '../core/store.js';

/** How often the scheduler rebalances each fleet, in ms of the scheduler's clock. */
export const REBALANCE_INTERVAL_MS = 60_000;

/** One move of a rebalance. */
export interface Move {
  task: TaskRow;
  from: WorkerRow;
  to: WorkerRow;
}

/** What a rebalance did. */
export interface Rebalance {
  fleet: FleetRow;
  moved: Move[];
  /** Queued tasks handed out afterwards. */
  handedOut: TaskRow[];
}

/**
 * SQL: the task row is ready (ASSIGNED) for a worker that cannot start it now — one that
 * does not take work or has no slot to start it — and is no team pipeline stage (those
 * belong to their slot).
 */
const stuck = and(
  isReady,
  notExists(sql`(select 1 from ${teamWorkflowStages} where ${teamWorkflowStages.taskId} = ${tasks.id})`),
  exists(sql`(select 1 from ${workers} where ${workers.id} = ${tasks.assigneeId} and not (${takingWork} and ${hasSlotToStart}))`),
)!;

/**
 * Rebalances fleet `fleetId`; appends `Fleet.rebalanced` (moves and tasks handed out)
 * when anything changed. `trigger` says who asked (`on demand`, `scheduled`).
 * @throws NotFoundError
 */
export async function rebalanceFleet(deps: FleetDeps, organizationId: string, fleetId: string, trigger: string): Promise<Rebalance> {
  return transactionWithEvents(deps, async (tx, outbox) => {
    const fleet = await lockFleet(tx, organizationId, fleetId);
    const now = deps.clock.now();
    // CUSTOM fleets move by LEAST_LOADED: asking a protocol per task would hold the lock for minutes.
    const balancing: FleetBalancing = fleet.balancing.strategy === 'CUSTOM' ? { ...fleet.balancing, strategy: 'LEAST_LOADED' } : fleet.balancing;
    const moved = await moveStuckTasks(tx, outbox, fleet, balancing, now);
    const handedOut =
      fleet.balancing.strategy === 'CUSTOM' ? [] : (await dispatch(tx, outbox, fleet, { newTasks: [], balancing }, now)).handedOut;
    if (moved.length > 0 || handedOut.length > 0) {
      await outbox.append({
        organizationId,
        type: 'Fleet.rebalanced',
        subjectId: fleet.id,
        payload: {
          trigger,
          moved: moved.map((move) => ({ taskId: move.task.id, from: move.from.id, to: move.to.id })),
          handedOutFromQueue: handedOut.length,
        },
      });
    }
    return { fleet, moved, handedOut };
  });
}

async function moveStuckTasks(tx: Transaction, outbox: Outbox, fleet: FleetRow, balancing: FleetBalancing, now: Date): Promise<Move[]> {
  // Workers first (lock order), those other transactions hold sit this one out.
  const holders = await tx
    .select()
    .from(workers)
    .where(
      and(
        eq(workers.fleetId, fleet.id),
        sql`exists (select 1 from ${tasks} where ${tasks.assigneeId} = ${workers.id} and ${stuck})`,
      ),
    )
    .orderBy(asc(workers.id))
    .for('update', { skipLocked: true });
  if (holders.length === 0) return [];
  const candidates = await loadCandidates(tx, fleet, now, { lock: true });
  const waiting = await tx
    .select()
    .from(tasks)
    .where(and(inArray(tasks.assigneeId, holders.map((w) => w.id)), stuck))
    .orderBy(asc(tasks.priority), asc(tasks.assignedAt), asc(tasks.id))
    .for('update', { skipLocked: true });
  // Planned as if unassigned: a source with room after all would keep its task.
  for (const task of waiting) {
    const source = candidates.find((c) => c.id === task.assigneeId);
    if (source) source.open -= 1;
  }
  const plan = planWork(
    waiting.map((task) => ({ key: task.id, action: task.action, priority: task.priority, requiredSkills: task.requiredSkills, balancing })),
    candidates,
    { quotas: fleet.quotas, roundRobinCursor: fleet.roundRobinCursor },
  );
  const holderById = new Map(holders.map((w) => [w.id, w]));
  const candidateById = new Map(candidates.map((c) => [c.id, c.row]));
  const moves: Move[] = [];
  for (const placement of plan.placements) {
    const task = waiting.find((t) => t.id === placement.key)!;
    if (!placement.workerId || placement.workerId === task.assigneeId) continue;
    const from = holderById.get(task.assigneeId!)!;
    const to = candidateById.get(placement.workerId)!;
    const row = await rebalanceMove(tx, outbox, task, from, to);
    if (row) moves.push({ task: row, from, to });
  }
  return moves;
}

/** Fleets with a task stuck behind a worker that cannot start it. */
export async function fleetsWithStuckTasks(deps: Pick<FleetDeps, 'db'>): Promise<Array<{ id: string; organizationId: string }>> {
  return deps.db
    .selectDistinct({ id: fleets.id, organizationId: fleets.organizationId })
    .from(fleets)
    .innerJoin(tasks, eq(tasks.fleetId, fleets.id))
    .where(stuck);
}
