/**
 * `work`: do this now and tell me the result (README "Work now"). A task is made for a
 * worker (ASSIGNED) or a fleet (queued, then handed out as any fleet work), its worker's
 * protocol — or the default worker protocol — runs it, and the caller may wait, a bounded
 * number of seconds, for it to end. The wait follows the task's changes as `taskUpdated`
 * does ({@link taskUpdates}): woken by the domain events that move tasks, reading the row
 * after each wake-up, never polling.
 */
import { and, eq, exists, sql } from 'drizzle-orm';
import { z } from 'zod';

import type { Actor } from '../auth/actor.js';
import { canSeeWorkerRow } from '../auth/visibility.js';
import type { Database, Executor } from '../db/client.js';
import { tasks, workers } from '../db/schema.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { eventTypesOf } from '../events/catalogue.js';
import { transactionWithEvents } from '../events/outbox.js';
import { isMember } from '../fleets/core/members.js';
import { lockFleet } from '../fleets/core/store.js';
import type { Bus } from '../realtime/bus.js';
import type { SharedReads } from '../realtime/shared-reads.js';
import { wakeUpsWhere } from '../realtime/wake-up.js';
import { parseInput, withDefault } from '../validation.js';
import { lockWorker } from '../workers/lifecycle.js';
import { runsItsWork, runsWorkOf } from './predicates.js';
import { hasOneTarget, makeTask, NewTaskFields, TargetFields, type TaskRow } from './service.js';
import { ENDED_TASK_STATUSES, type TaskStatus } from './state-machine.js';

/** The longest `wait` of `work`, in seconds. */
export const MAX_WORK_WAIT_SECONDS = 60;

/** The `wait` of `work` when none is given, in seconds. */
export const DEFAULT_WORK_WAIT_SECONDS = 30;

/**
 * What `work` accepts: exactly one target, a worker or a fleet, the task as `assignTask`
 * takes it ({@link NewTaskFields}: prerequisites, retry policy and approval included), and
 * how long to wait for the result.
 */
export const WorkModel = z
  .object({
    ...TargetFields,
    ...NewTaskFields,
    wait: withDefault(
      z
        .number()
        .int('must be a whole number of seconds')
        .min(0, `must be from 0 (do not wait) to ${MAX_WORK_WAIT_SECONDS} seconds`)
        .max(MAX_WORK_WAIT_SECONDS, `must be from 0 (do not wait) to ${MAX_WORK_WAIT_SECONDS} seconds`),
      DEFAULT_WORK_WAIT_SECONDS,
    ),
  })
  .refine(...hasOneTarget);
export type WorkInput = z.input<typeof WorkModel>;

/**
 * The domain events that move a task (its assignment, start, wait and end, for a worker or
 * in a fleet queue): what wakes a stream following one task. Listed from the catalogue.
 */
const TASK_MOVES: ReadonlySet<string> = new Set([
  ...eventTypesOf('Worker').filter((type) => type === 'Worker.assigned' || type.startsWith('Worker.task.')),
  ...eventTypesOf('Fleet').filter((type) => type.startsWith('Fleet.task.')),
]);

/** The task row, read for a stream (no visibility filter: the caller checks it). */
async function readTask(db: Executor, organizationId: string, taskId: string): Promise<TaskRow | undefined> {
  const [task] = await db.select().from(tasks).where(and(eq(tasks.organizationId, organizationId), eq(tasks.id, taskId)));
  return task;
}

/**
 * The task `taskId` now, then again each time its status changes, ending after a final
 * status (COMPLETED, FAILED, CANCELLED) or when `signal` aborts. Woken by the domain events
 * that move tasks ({@link TASK_MOVES}); after each wake-up the row is read from the store
 * (shared between followers of the same task woken by the same change), so the final
 * status is never missed. Statuses a task passes through between two reads are shown as
 * the newest one.
 * @throws NotFoundError when the task does not exist or `actor` may not see it (as `task(id)`)
 */
export async function* taskUpdates(
  deps: { db: Database; bus: Bus; reads: SharedReads },
  actor: Pick<Actor, 'organizationId' | 'role' | 'workerId'>,
  taskId: string,
  signal?: AbortSignal,
): AsyncGenerator<TaskRow> {
  const { organizationId } = actor;
  const notifications = wakeUpsWhere(deps.bus, 'domain:event', organizationId, (event) => TASK_MOVES.has(event.type));
  const stop = () => void notifications.return();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    let wake = notifications.next();
    let last: TaskStatus | undefined;
    while (!signal?.aborted) {
      const task = await deps.reads.read(`task:${organizationId}:${taskId}`, notifications.arrivedAt, () => readTask(deps.db, organizationId, taskId));
      if (!task || !canSeeWorkerRow(actor, task.organizationId, task.assigneeId)) throw new NotFoundError('Task', taskId);
      if (task.status !== last) {
        last = task.status;
        yield task;
      }
      if ((ENDED_TASK_STATUSES as readonly TaskStatus[]).includes(task.status)) return;
      if ((await wake).done) return;
      wake = notifications.next();
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    await notifications.return();
  }
}

/**
 * Makes a task for a worker or a fleet and, with `wait` > 0, waits up to `wait` seconds
 * (at most {@link MAX_WORK_WAIT_SECONDS}) for it to end: returns the ended task with its
 * `result` (or `error`), or the task as it is when the wait ends first or `signal` aborts
 * (the client went away). The task is made as `assignTask` makes one (`makeTask`): with
 * prerequisites it is BLOCKED until they complete, with a retry policy a failed run is
 * tried again (RETRYING, then dead-lettered), so the wait goes on through those states.
 * A worker must run its work (a protocol, or a model for the default worker protocol); a
 * fleet must have a member that does, or hire such workers from its template. Appends
 * `Worker.assigned` or `Fleet.task.queued`, as `assignTask`.
 * @throws ValidationError for bad input (prerequisites named on `dependsOn`), a worker
 *   that does not run its work (`workerId`) or a fleet none of whose workers would
 *   (`fleetId`); NotFoundError for an unknown worker or fleet; InvalidTransitionError
 *   when the worker is not ACTIVE
 */
export async function work(
  deps: { db: Database; bus: Bus; reads: SharedReads },
  actor: Actor,
  input: WorkInput,
  signal?: AbortSignal,
): Promise<TaskRow> {
  const data = parseInput(WorkModel, input);
  const { organizationId } = actor;
  const created = await transactionWithEvents(deps, async (tx, outbox) => {
    if (data.workerId) {
      const worker = await lockWorker(tx, organizationId, data.workerId);
      if (!runsWorkOf(worker)) {
        throw new ValidationError([
          {
            path: ['workerId'],
            message: `${worker.name} has neither a protocol nor a model, so it does not run its work: give it one with updateWorker (a server with DEFAULT_MODEL gives it to workers hired with neither), or use assignTask and drive the task with startTask and completeTask`,
          },
        ]);
      }
      return makeTask(tx, outbox, organizationId, { worker }, data);
    }
    const fleet = await lockFleet(tx, organizationId, data.fleetId!);
    const template = fleet.workerTemplate;
    if (!template.protocolSlug && !template.model && !(await hasWorkingMember(tx, fleet.id))) {
      throw new ValidationError([
        {
          path: ['fleetId'],
          message: `no worker of fleet ${fleet.name} runs its work (a protocol or a model), nor does its template give one to the workers it hires`,
        },
      ]);
    }
    return makeTask(tx, outbox, organizationId, { fleet }, data);
  });
  if (data.wait === 0) return created;
  const waiting = AbortSignal.any([AbortSignal.timeout(data.wait * 1000), ...(signal ? [signal] : [])]);
  let latest = created;
  for await (const task of taskUpdates(deps, actor, created.id, waiting)) latest = task;
  return latest;
}

/** Whether fleet `fleetId` has a member that runs its work. */
async function hasWorkingMember(db: Executor, fleetId: string): Promise<boolean> {
  const [row] = await db
    .select({ found: sql<boolean>`true` })
    .from(sql`(select 1) as one`)
    .where(exists(db.select({ id: workers.id }).from(workers).where(and(eq(workers.fleetId, fleetId), isMember, runsItsWork))));
  return row !== undefined;
}
