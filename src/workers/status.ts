/**
 * A worker's status (state, current task, availability, location) and its live stream
 * for the `workerStatus` subscription: the current value first, then a new value after
 * each of the worker's events that changed it. The availability estimate and the reason a
 * held queue does not move are documented in README.md "Worker status".
 */
import { and, asc, desc, eq, isNotNull, sql } from 'drizzle-orm';

import { describeExceeded, exceededBudgets } from '../budgets/service.js';
import type { Database } from '../db/client.js';
import { tasks, workers } from '../db/schema.js';
import { NotFoundError } from '../errors.js';
import { ModelResolutionError, type ModelRegistry } from '../models/registry.js';
import type { Bus } from '../realtime/bus.js';
import type { SharedReads } from '../realtime/shared-reads.js';
import type { Clock } from '../scheduler/clock.js';
import { wakeUpsWhere } from '../realtime/wake-up.js';
import type { TaskRow } from '../tasks/service.js';
import { isHeld, isReady, occupiesSlot, runsWorkOf } from '../tasks/predicates.js';
import type { WorkerAvailability, WorkerLifecycle, WorkerRow } from './lifecycle.js';

export interface WorkerStatus {
  worker: WorkerRow;
  /** What the worker is doing: its availability. */
  state: WorkerAvailability;
  lifecycle: WorkerLifecycle;
  /** The oldest task occupying a slot (RUNNING or WAITING). */
  currentTask: TaskRow | null;
  activeTasks: number;
  /** ASSIGNED tasks waiting for a slot. */
  queuedTasks: number;
  /** When it can take more work, for people: `free now`, `free in about 2 hours`, `after 2 queued tasks`, `offline`. */
  availability: string;
  /** When a slot is estimated to be free for new work (see {@link estimateNextFree}); null when unknown. */
  nextFreeAt: Date | null;
  /** Mean start-to-completion time of its last {@link RECENT_COMPLETED_TASKS} completed tasks, ms; null before its first. */
  avgCompletionTimeMs: number | null;
  /**
   * Why the tasks it holds do not move by themselves, or why it cannot run work by itself
   * at all (no model to run it with), for people; null when its work moves.
   */
  reason: string | null;
  location: string | null;
}

/** How many of a worker's latest completed tasks its measured completion time is averaged over. */
export const RECENT_COMPLETED_TASKS = 20;

/** What a status needs of the model registry: whether a worker's model resolves, and the server's default model. */
export type StatusModels = Pick<ModelRegistry, 'resolve' | 'defaultModel'>;

/**
 * The status of worker `workerId` now; `models` tells whether its work has a model to run on.
 * @throws NotFoundError
 */
export async function readWorkerStatus(deps: { db: Database; models: StatusModels }, organizationId: string, workerId: string, now: Date): Promise<WorkerStatus> {
  const { db } = deps;
  const [worker] = await db
    .select()
    .from(workers)
    .where(and(eq(workers.organizationId, organizationId), eq(workers.id, workerId)));
  if (!worker) throw new NotFoundError('Worker', workerId);
  const [counts] = await db
    .select({
      active: sql<number>`(count(*) filter (where ${occupiesSlot}))::int`,
      queued: sql<number>`(count(*) filter (where ${isReady}))::int`,
    })
    .from(tasks)
    .where(and(eq(tasks.assigneeId, worker.id), isHeld));
  const [currentTask] = await db
    .select()
    .from(tasks)
    .where(and(eq(tasks.assigneeId, worker.id), occupiesSlot))
    .orderBy(asc(tasks.startedAt), asc(tasks.id))
    .limit(1);
  const running = await db
    .select({ startedAt: tasks.startedAt })
    .from(tasks)
    .where(and(eq(tasks.assigneeId, worker.id), occupiesSlot));
  const recent = db
    .select({ ms: sql<number>`extract(epoch from ${tasks.completedAt} - ${tasks.startedAt}) * 1000`.as('ms') })
    .from(tasks)
    .where(and(eq(tasks.assigneeId, worker.id), eq(tasks.status, 'COMPLETED'), isNotNull(tasks.startedAt)))
    .orderBy(desc(tasks.completedAt))
    .limit(RECENT_COMPLETED_TASKS)
    .as('recent');
  const [measured] = await db.select({ avgMs: sql<number | null>`avg(${recent.ms})::float8` }).from(recent);
  const avgCompletionTimeMs = measured?.avgMs === null || measured?.avgMs === undefined ? null : Math.round(Number(measured.avgMs));
  const activeTasks = counts?.active ?? 0;
  const queuedTasks = counts?.queued ?? 0;
  const stalled = stallReason(worker, activeTasks + queuedTasks, queuedTasks, noModel(worker, deps.models));
  const heldByBudget = stalled === null && queuedTasks > 0 ? await budgetHold(db, worker, queuedTasks, now) : null;
  const reason = stalled ?? heldByBudget;
  const nextFreeAt =
    worker.lifecycle !== 'ACTIVE' || worker.availability === 'OFFLINE' || heldByBudget !== null || (queuedTasks > 0 && !runsWorkOf(worker))
      ? null
      : estimateNextFree({
          now,
          concurrency: worker.concurrency,
          runningSince: running.map((task) => task.startedAt ?? now),
          queued: queuedTasks,
          avgMs: avgCompletionTimeMs,
        });
  return {
    worker,
    state: worker.availability,
    lifecycle: worker.lifecycle,
    currentTask: currentTask ?? null,
    activeTasks,
    queuedTasks,
    availability: describeAvailability(worker, activeTasks, queuedTasks, now, nextFreeAt),
    nextFreeAt,
    avgCompletionTimeMs,
    reason,
    location: worker.location,
  };
}

/**
 * When one of a worker's `concurrency` slots is free for new work, estimated from its
 * queue and its measured completion time `avgMs` (ms): a running task is expected to take
 * `avgMs` from its start (at least until `now`), each of the `queued` ASSIGNED tasks takes
 * the slot that frees first and holds it for `avgMs`, and the answer is the first slot free
 * after them. `now` when a slot is free after the queue is placed; null when that depends on
 * a duration never measured (`avgMs` null).
 */
export function estimateNextFree(input: { now: Date; concurrency: number; runningSince: readonly Date[]; queued: number; avgMs: number | null }): Date | null {
  const { now, concurrency, runningSince, queued, avgMs } = input;
  if (runningSince.length + queued < concurrency) return now;
  if (avgMs === null) return null;
  const slots = runningSince.map((startedAt) => Math.max(0, startedAt.getTime() + avgMs - now.getTime()));
  while (slots.length < concurrency) slots.push(0);
  for (let i = 0; i < queued; i++) {
    const first = slots.indexOf(Math.min(...slots));
    slots[first] = slots[first]! + avgMs;
  }
  return new Date(now.getTime() + Math.min(...slots));
}

/**
 * Why `worker`, which has no protocol of its own, has no model to run the default worker
 * protocol on: none at all (and whether the server has a default model for new workers,
 * DEFAULT_MODEL), or one the registry cannot resolve; null when it has a protocol or a
 * model that resolves.
 */
function noModel(worker: WorkerRow, models: StatusModels): string | null {
  if (worker.protocolId !== null) return null;
  if (worker.model === null) {
    const unset = models.defaultModel === null ? ', and this server gives new workers none (DEFAULT_MODEL is not set)' : '';
    return `it has no protocol and no model${unset}: give it one with updateWorker, or start and complete its tasks with startTask and completeTask`;
  }
  try {
    models.resolve(worker.model);
    return null;
  } catch (error) {
    if (!(error instanceof ModelResolutionError)) throw error;
    return `its model ${worker.model} cannot be resolved (${error.reason}), so every run of its tasks fails: give it another with updateWorker`;
  }
}

/**
 * Why the `queued` ASSIGNED tasks of `worker`, which runs its work, do not start: a spent
 * WAIT budget of its own or of its fleet at `now` (src/budgets/service.ts); null when none
 * is spent.
 */
async function budgetHold(db: Database, worker: WorkerRow, queued: number, now: Date): Promise<string | null> {
  if (!runsWorkOf(worker)) return null;
  const [spent] = await exceededBudgets(db, worker.id, worker.fleetId, now);
  if (spent?.budget.onExceeded !== 'WAIT') return null;
  return `holds ${queued} task${queued === 1 ? '' : 's'} it cannot start: ${describeExceeded(spent)}; they wait until the period rolls over`;
}

/**
 * Why the `held` tasks (`queued` of them ASSIGNED) of `worker` do not move by themselves,
 * or, `missingModel` ({@link noModel}), why it cannot run work by itself; null when its
 * work moves.
 */
function stallReason(worker: WorkerRow, held: number, queued: number, missingModel: string | null): string | null {
  const tasksHeld = `holds ${held} task${held === 1 ? '' : 's'}`;
  if (held > 0 && worker.lifecycle !== 'ACTIVE') return `${tasksHeld} but is ${worker.lifecycle}: none starts until it is activated`;
  if (held > 0 && worker.availability === 'OFFLINE') return `${tasksHeld} but is OFFLINE: none starts until it is available again`;
  if (missingModel === null) return null;
  return queued > 0 ? `${tasksHeld} it cannot run: ${missingModel}` : `it cannot run work by itself: ${missingModel}`;
}

function describeAvailability(worker: WorkerRow, active: number, queued: number, now: Date, nextFreeAt: Date | null): string {
  if (worker.lifecycle !== 'ACTIVE') return `not working (${worker.lifecycle.toLowerCase()})`;
  if (worker.availability === 'OFFLINE') return 'offline';
  if (worker.availability === 'BUSY') return 'busy';
  if (active + queued < worker.concurrency) return 'free now';
  const waitMs = nextFreeAt === null ? null : nextFreeAt.getTime() - now.getTime();
  if (waitMs !== null && waitMs > 0) return `free in about ${roughDuration(waitMs)}`;
  // Not measured yet, or its tasks already took longer than they usually do.
  return queued > 0 ? `after ${queued} queued task${queued === 1 ? '' : 's'}` : 'when its current task ends';
}

/** `ms` for people, rounded: `less than a minute`, `25 minutes`, `2 hours`, `3 days`. */
function roughDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'less than a minute';
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (minutes < 90) return plural(minutes, 'minute');
  const hours = Math.round(minutes / 60);
  return hours < 48 ? plural(hours, 'hour') : plural(Math.round(hours / 24), 'day');
}

/**
 * The worker's status now, then again after each of its domain events that changed it
 * (identical values are not repeated). Listens before reading, so no change between the
 * first read and the subscription is lost; watchers of the same worker woken by the same
 * event share one read (`reads`). Never ends by itself.
 * @throws NotFoundError
 */
export async function* streamWorkerStatus(
  deps: { db: Database; bus: Bus; reads: SharedReads; clock: Clock; models: StatusModels },
  organizationId: string,
  workerId: string,
): AsyncGenerator<WorkerStatus> {
  const notifications = wakeUpsWhere(deps.bus, 'domain:event', organizationId, (event) => event.subjectId === workerId);
  let wake = notifications.next();
  let last = '';
  try {
    for (;;) {
      const status = await deps.reads.read(`workerStatus:${organizationId}:${workerId}`, notifications.arrivedAt, () =>
        readWorkerStatus(deps, organizationId, workerId, deps.clock.now()),
      );
      const { worker: _row, ...shown } = status;
      const key = JSON.stringify(shown);
      if (key !== last) {
        last = key;
        yield status;
      }
      if ((await wake).done) return;
      wake = notifications.next();
    }
  } finally {
    await notifications.return();
  }
}
