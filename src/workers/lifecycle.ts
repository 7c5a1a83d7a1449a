/**
 * The worker lifecycle (issue "Lifecycle"): HIRED → ONBOARDING → ACTIVE → OFFBOARDED,
 * where any state before OFFBOARDED may be offboarded. Availability is a second,
 * derived dimension: OFFLINE unless ACTIVE; WORKING while a task occupies a slot;
 * otherwise what was last set (AVAILABLE, or BUSY / OFFLINE by `setWorkerAvailability`).
 */
import { and, eq, inArray } from 'drizzle-orm';

import type { Transaction } from '../db/client.js';
import { tasks, workers } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError } from '../errors.js';
import type { Outbox } from '../events/outbox.js';
import { occupiesSlot } from '../tasks/predicates.js';

export type WorkerRow = typeof workers.$inferSelect;
export type WorkerLifecycle = WorkerRow['lifecycle'];
export type WorkerAvailability = WorkerRow['availability'];

const LIFECYCLE: Record<WorkerLifecycle, readonly WorkerLifecycle[]> = {
  HIRED: ['ONBOARDING', 'OFFBOARDED'],
  ONBOARDING: ['ACTIVE', 'OFFBOARDED'],
  ACTIVE: ['OFFBOARDED'],
  OFFBOARDED: [],
};

/** Availabilities of an ACTIVE worker that starts work (BUSY and OFFLINE do not). */
export const AVAILABILITIES_TAKING_WORK = ['AVAILABLE', 'WORKING'] as const satisfies readonly WorkerAvailability[];

/** Whether `worker` starts work now: ACTIVE, and AVAILABLE or WORKING. */
export function takesWorkNow(worker: Pick<WorkerRow, 'lifecycle' | 'availability'>): boolean {
  return worker.lifecycle === 'ACTIVE' && (AVAILABILITIES_TAKING_WORK as readonly string[]).includes(worker.availability);
}

/** SQL: the `workers` row starts work now (see {@link takesWorkNow}). */
export const takingWork = and(eq(workers.lifecycle, 'ACTIVE'), inArray(workers.availability, AVAILABILITIES_TAKING_WORK))!;

/**
 * @throws InvalidTransitionError when a worker may not go from `from` to `to`
 */
export function assertLifecycleTransition(from: WorkerLifecycle, to: WorkerLifecycle): void {
  if (!LIFECYCLE[from].includes(to)) throw new InvalidTransitionError('Worker', from, to);
}

/**
 * @throws InvalidTransitionError (from the worker's lifecycle to `to`) unless the worker
 *   is ACTIVE: only active workers take work (issue "Assignment")
 */
export function assertTakesWork(worker: Pick<WorkerRow, 'lifecycle' | 'name'>, to = 'ASSIGNED'): void {
  if (worker.lifecycle !== 'ACTIVE') {
    throw new InvalidTransitionError('Worker', worker.lifecycle, to, `${worker.name} is not ACTIVE and takes no work`);
  }
}

/**
 * Reads worker `workerId` of `organizationId` and locks its row until the transaction
 * ends; every change to a worker's tasks takes this lock first, so counts stay exact.
 * @throws NotFoundError
 */
export async function lockWorker(tx: Transaction, organizationId: string, workerId: string): Promise<WorkerRow> {
  const [worker] = await tx
    .select()
    .from(workers)
    .where(and(eq(workers.organizationId, organizationId), eq(workers.id, workerId)))
    .for('update');
  if (!worker) throw new NotFoundError('Worker', workerId);
  return worker;
}

/** Number of the worker's tasks that occupy a slot (RUNNING or WAITING). */
export async function countActiveTasks(tx: Transaction, workerId: string): Promise<number> {
  return tx.$count(tasks, and(eq(tasks.assigneeId, workerId), occupiesSlot));
}

/** The availability the rules give `worker` with `activeTasks` slots in use. */
export function derivedAvailability(worker: Pick<WorkerRow, 'lifecycle' | 'availability'>, activeTasks: number): WorkerAvailability {
  if (worker.lifecycle !== 'ACTIVE') return 'OFFLINE';
  if (activeTasks > 0) return 'WORKING';
  return worker.availability === 'WORKING' ? 'AVAILABLE' : worker.availability;
}

/**
 * Recomputes a locked worker's availability after its tasks or lifecycle changed, stores
 * it and appends `Worker.availability.changed` when it differs.
 * @returns the worker's availability now
 */
export async function refreshAvailability(tx: Transaction, outbox: Outbox, worker: WorkerRow): Promise<WorkerAvailability> {
  const next = derivedAvailability(worker, await countActiveTasks(tx, worker.id));
  if (next !== worker.availability) await setAvailability(tx, outbox, worker, next);
  return next;
}

/** Stores `availability` on a locked worker and appends `Worker.availability.changed`. */
export async function setAvailability(
  tx: Transaction,
  outbox: Outbox,
  worker: WorkerRow,
  availability: WorkerAvailability,
): Promise<void> {
  await tx.update(workers).set({ availability }).where(eq(workers.id, worker.id));
  await outbox.append({
    organizationId: worker.organizationId,
    type: 'Worker.availability.changed',
    subjectId: worker.id,
    payload: { from: worker.availability, to: availability },
  });
  worker.availability = availability;
}
