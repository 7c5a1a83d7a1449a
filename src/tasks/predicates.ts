/**
 * Shared SQL predicates over tasks and their workers, built from the state machine's
 * status sets (state-machine.ts) — the only place where queries learn what is open,
 * queued, ready, what occupies a slot and when a worker has room for more work.
 *
 * Worker-side expressions (`slotsInUse`, `heldTasks`, `hasFreeSlot`, `hasSlotToStart`)
 * are correlated to the `workers` row of the enclosing query; whether a worker takes
 * work at all (lifecycle, availability) is `takingWork` in workers/lifecycle.ts.
 */
import { inArray, isNotNull, or, sql, type SQL } from 'drizzle-orm';

import { tasks, workers } from '../db/schema.js';
import type { WorkerRow } from '../workers/lifecycle.js';
import {
  ENDED_TASK_STATUSES,
  HELD_TASK_STATUSES,
  NOT_STARTED_TASK_STATUSES,
  OPEN_TASK_STATUSES,
  QUEUED_TASK_STATUSES,
  READY_TASK_STATUSES,
  SLOT_TASK_STATUSES,
} from './state-machine.js';

/** The task row is not finished (PENDING, ASSIGNED, RUNNING, WAITING, RETRYING, BLOCKED). */
export const isOpen = inArray(tasks.status, OPEN_TASK_STATUSES);

/** The task row is finished (COMPLETED, FAILED, CANCELLED). */
export const isEnded = inArray(tasks.status, ENDED_TASK_STATUSES);

/** The task row waits in a fleet queue (PENDING). */
export const isQueued = inArray(tasks.status, QUEUED_TASK_STATUSES);

/** The task row is given to a worker and waits for one of its slots (ASSIGNED). */
export const isReady = inArray(tasks.status, READY_TASK_STATUSES);

/** The task row has not started (queued or ready). */
export const isNotStarted = inArray(tasks.status, NOT_STARTED_TASK_STATUSES);

/**
 * The worker's tasks run a protocol (README "Workers"): its own, or, when it has a model
 * and no protocol, the default worker protocol. A worker with neither is driven from
 * outside (`startTask`, `completeTask`); its tasks never start by themselves.
 */
export const runsItsWork = or(isNotNull(workers.protocolId), isNotNull(workers.model))!;

/** {@link runsItsWork} of a worker row in memory. */
export function runsWorkOf(worker: Pick<WorkerRow, 'protocolId' | 'model'>): boolean {
  return worker.protocolId !== null || worker.model !== null;
}

/** The task row occupies one of its worker's slots (RUNNING, WAITING). */
export const occupiesSlot = inArray(tasks.status, SLOT_TASK_STATUSES);

/** The task row is held by its worker: ready or occupying a slot. */
export const isHeld = inArray(tasks.status, HELD_TASK_STATUSES);

/** SQL int: the number of the `workers` row's tasks that satisfy `which`. */
export function workerTaskCount(which: SQL | undefined): SQL<number> {
  return sql<number>`(select count(*) from ${tasks} where ${tasks.assigneeId} = ${workers.id} and ${which})::int`;
}

/** SQL int: the `workers` row's occupied slots. */
export const slotsInUse = workerTaskCount(occupiesSlot);

/** SQL int: the tasks the `workers` row holds (ready or occupying a slot). */
export const heldTasks = workerTaskCount(isHeld);

/**
 * The `workers` row may be handed one more task by a fleet: the tasks it holds are fewer
 * than its `concurrency` (see `HELD_TASK_STATUSES`).
 */
export const hasFreeSlot = sql`${heldTasks} < ${workers.concurrency}`;

/** The `workers` row can start one more task now: its occupied slots are fewer than its `concurrency`. */
export const hasSlotToStart = sql`${slotsInUse} < ${workers.concurrency}`;

