/**
 * A worker's status (state, current task, availability, location) and its live stream
 * for the `workerStatus` subscription: the current value first, then a new value after
 * each of the worker's events that changed it.
 */
import { and, asc, eq, sql } from 'drizzle-orm';

import type { Database } from '../db/client.js';
import { tasks, workers } from '../db/schema.js';
import { NotFoundError } from '../errors.js';
import type { Bus } from '../realtime/bus.js';
import type { SharedReads } from '../realtime/shared-reads.js';
import { wakeUpsWhere } from '../realtime/wake-up.js';
import type { TaskRow } from '../tasks/service.js';
import { isHeld, isReady, occupiesSlot } from '../tasks/predicates.js';
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
  /** When it can take more work, for people: `free now`, `after 2 queued tasks`, `offline`. */
  availability: string;
  location: string | null;
}

/**
 * The status of worker `workerId` now.
 * @throws NotFoundError
 */
export async function readWorkerStatus(db: Database, organizationId: string, workerId: string): Promise<WorkerStatus> {
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
  const activeTasks = counts?.active ?? 0;
  const queuedTasks = counts?.queued ?? 0;
  return {
    worker,
    state: worker.availability,
    lifecycle: worker.lifecycle,
    currentTask: currentTask ?? null,
    activeTasks,
    queuedTasks,
    availability: describeAvailability(worker, activeTasks, queuedTasks),
    location: worker.location,
  };
}

function describeAvailability(worker: WorkerRow, active: number, queued: number): string {
  if (worker.lifecycle !== 'ACTIVE') return `not working (${worker.lifecycle.toLowerCase()})`;
  if (worker.availability === 'OFFLINE') return 'offline';
  if (worker.availability === 'BUSY') return 'busy';
  if (active < worker.concurrency) return 'free now';
  return queued > 0 ? `after ${queued} queued task${queued === 1 ? '' : 's'}` : 'when its current task ends';
}

/**
 * The worker's status now, then again after each of its domain events that changed it
 * (identical values are not repeated). Listens before reading, so no change between the
 * first read and the subscription is lost; watchers of the same worker woken by the same
 * event share one read (`reads`). Never ends by itself.
 * @throws NotFoundError
 */
export async function* streamWorkerStatus(
  deps: { db: Database; bus: Bus; reads: SharedReads },
  organizationId: string,
  workerId: string,
): AsyncGenerator<WorkerStatus> {
  const notifications = wakeUpsWhere(deps.bus, 'domain:event', organizationId, (event) => event.subjectId === workerId);
  let wake = notifications.next();
  let last = '';
  try {
    for (;;) {
      const status = await deps.reads.read(`workerStatus:${organizationId}:${workerId}`, notifications.arrivedAt, () =>
        readWorkerStatus(deps.db, organizationId, workerId),
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
