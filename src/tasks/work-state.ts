/**
 * Work state: the only writer of a task's `status` and `assignee_id` (and of what moves
 * with them: assignment, start and end times, the run link, the outcome). Every move is
 * checked by the task state machine (state-machine.ts): a move of one locked row with
 * {@link assertTaskTransition}, which throws InvalidTransitionError; a move of many rows
 * in SQL, its `where` admitting only the statuses the machine allows to reach the target
 * (`sourcesOf`), so that a row another transaction changed meanwhile stays where it is
 * and is reported as not moved.
 *
 * The moves: a new task (queued or assigned), hand-out from the fleet queue, return to
 * the queue, a rebalance move, transfer on offboarding, reassignment, begin (with its
 * run, in the same transaction), wait, finish (complete, fail, cancel; the open tasks of
 * a deleted fleet or team are cancelled together), and the end of the run a task was
 * driven by.
 *
 * Locking: a change to a task locks its worker's row first, then the task's row, so
 * that slot counts, availability and goal checks of one worker are serialised and two
 * transactions never wait on each other in opposite orders. Functions here run inside
 * the caller's transaction and expect those locks to be held as documented.
 */
import { and, arrayContains, asc, eq, inArray, ne, type SQL } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';

import { BudgetExceededError, describeExceeded, exceededBudgets } from '../budgets/service.js';
import type { Transaction } from '../db/client.js';
import type { RetryPolicy, TaskApproval } from '../db/documents.js';
import { fleets, protocols, tasks, workers } from '../db/schema.js';
import { DomainError, InvalidTransitionError, NotFoundError, ValidationError } from '../errors.js';
import type { AssignmentOrigin } from '../events/catalogue.js';
import type { Outbox } from '../events/outbox.js';
import type { RunEnding } from '../runs/executor.js';
import { defaultWorkerProtocol } from '../protocols/service.js';
import { queueRun, type RunRow } from '../runs/service.js';
import { assertTakesWork, countActiveTasks, refreshAvailability, takesWorkNow, type WorkerRow } from '../workers/lifecycle.js';
import { recordGoalsAchieved } from '../workers/performance.js';
import { isOpen, runsWorkOf } from './predicates.js';
import { backoffSeconds, retries } from './retry.js';
import { workContextOf } from './work-context.js';
import type { NewTask, TaskRow } from './service.js';
import { assertTaskTransition, canTransition, ENDED_TASK_STATUSES, READY_TASK_STATUSES, sourcesOf, SLOT_TASK_STATUSES, type TaskStatus } from './state-machine.js';

/** How a task ends. `qualityScore` is 0–5, like feedback ratings. */
export type TaskOutcome =
  | { status: 'COMPLETED'; result: unknown; qualityScore?: number | null }
  | { status: 'FAILED'; error: string }
  | { status: 'CANCELLED'; reason?: string | null };

/** A task with its assignee, both rows locked. */
export interface LockedTask {
  task: TaskRow;
  worker: WorkerRow | undefined;
}

/** What a move of many rows did: the rows moved (as they are now) and those that could not move. */
export interface BulkMove {
  moved: TaskRow[];
  /** Rows asked for whose status (or assignee) changed meanwhile: they stay as they are. */
  refused: TaskRow[];
}

/**
 * Locks task `taskId`, its assignee and the workers in `alsoLock` (in id order, worker
 * rows before the task row).
 * @throws NotFoundError for an unknown task or worker
 */
export async function lockTask(
  tx: Transaction,
  organizationId: string,
  taskId: string,
  alsoLock: string[] = [],
): Promise<LockedTask & { others: Map<string, WorkerRow> }> {
  for (;;) {
    const [peek] = await tx
      .select({ assigneeId: tasks.assigneeId })
      .from(tasks)
      .where(and(eq(tasks.organizationId, organizationId), eq(tasks.id, taskId)));
    if (!peek) throw new NotFoundError('Task', taskId);
    const ids = [...new Set([...(peek.assigneeId ? [peek.assigneeId] : []), ...alsoLock])].sort();
    const locked = ids.length
      ? await tx
          .select()
          .from(workers)
          .where(and(eq(workers.organizationId, organizationId), inArray(workers.id, ids)))
          .orderBy(asc(workers.id))
          .for('update')
      : [];
    const byId = new Map(locked.map((worker) => [worker.id, worker]));
    const missing = alsoLock.find((id) => !byId.has(id));
    if (missing) throw new NotFoundError('Worker', missing);
    const [task] = await tx.select().from(tasks).where(eq(tasks.id, taskId)).for('update');
    // The assignee changed between the first read and the locks: lock the new one.
    if (task!.assigneeId !== peek.assigneeId) continue;
    return { task: task!, worker: task!.assigneeId ? byId.get(task!.assigneeId) : undefined, others: byId };
  }
}

/** Where a new task goes: to a locked worker (ASSIGNED), or into a fleet's queue (PENDING). */
export type TaskTarget = { worker: WorkerRow } | { fleetId: string };

/** New tasks per INSERT statement (17 parameters a row, PostgreSQL takes 65 535). */
const INSERT_BATCH = 1000;

/**
 * Inserts a task inside the caller's transaction: ASSIGNED to `worker` with
 * `Worker.assigned`, or, for a fleet, PENDING in its queue with `Fleet.task.queued`.
 * Callers lock the worker's row first, except the scheduler, which must not (see
 * recurring.ts) and relies on offboarding moving schedules before tasks.
 * @throws InvalidTransitionError when `worker` is not ACTIVE
 * @returns the task, or undefined when `onConflictDoNothing` skipped a duplicate
 *   (a schedule instant that another process materialised first)
 */
export async function createTask(
  tx: Transaction,
  outbox: Outbox,
  organizationId: string,
  target: TaskTarget,
  task: NewTask,
): Promise<TaskRow | undefined> {
  return (await createTasks(tx, outbox, organizationId, [{ target, task }]))[0];
}

/** Those of the tasks `ids` that are not COMPLETED. */
async function openPrerequisites(tx: Transaction, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(inArray(tasks.id, [...new Set(ids)]), ne(tasks.status, 'COMPLETED')));
  return new Set(rows.map((row) => row.id));
}

/**
 * {@link createTask} for many tasks at once: the rows go in one INSERT (per
 * {@link INSERT_BATCH}) and their events in one append, in the order given.
 * @throws InvalidTransitionError when a target worker is not ACTIVE (nothing is inserted)
 * @returns per entry, the task or undefined (a skipped duplicate)
 */
export async function createTasks(
  tx: Transaction,
  outbox: Outbox,
  organizationId: string,
  entries: ReadonlyArray<{ target: TaskTarget; task: NewTask }>,
): Promise<Array<TaskRow | undefined>> {
  for (const { target } of entries) if ('worker' in target) assertTakesWork(target.worker);
  const now = new Date();
  const open = await openPrerequisites(tx, entries.flatMap(({ task }) => task.dependsOn ?? []));
  const values = entries.map(({ target, task }) => {
    const worker = 'worker' in target ? target.worker : undefined;
    const blocked = (task.dependsOn ?? []).some((id) => open.has(id));
    return {
      // Made here, as the column's default would (time-ordered), to match rows to entries.
      id: uuidv7(),
      organizationId,
      action: task.action,
      input: task.input ?? null,
      priority: task.priority ?? 'NORMAL',
      status: blocked ? ('BLOCKED' as const) : worker ? ('ASSIGNED' as const) : ('PENDING' as const),
      dueDate: task.dueDate ?? null,
      requiredSkills: task.requiredSkills ?? [],
      assigneeId: worker?.id ?? null,
      fleetId: worker ? worker.fleetId : 'fleetId' in target ? target.fleetId : null,
      project: task.project ?? null,
      responseSchema: task.responseSchema ?? null,
      scheduleId: task.scheduleId ?? null,
      scheduledFor: task.scheduledFor ?? null,
      triggerId: task.triggerId ?? null,
      retry: task.retry ?? null,
      dependsOn: task.dependsOn ?? [],
      onPrerequisiteFailure: task.onPrerequisiteFailure ?? 'FAIL',
      requiresApproval: task.requiresApproval ?? false,
      assignedAt: worker ? now : null,
    };
  });
  const inserted = new Map<string, TaskRow>();
  for (let i = 0; i < values.length; i += INSERT_BATCH) {
    const rows = await tx.insert(tasks).values(values.slice(i, i + INSERT_BATCH)).onConflictDoNothing().returning();
    for (const row of rows) inserted.set(row.id, row);
  }
  const created = values.map((value) => inserted.get(value.id));
  await outbox.appendAll(
    created.flatMap((row, i) => {
      if (!row) return [];
      const origin = {
        ...(row.project ? { project: row.project } : {}),
        ...(row.scheduleId ? { scheduleId: row.scheduleId } : {}),
        ...(row.triggerId ? { triggerId: row.triggerId } : {}),
      };
      const assignedBy: AssignmentOrigin = row.triggerId
        ? { origin: 'trigger', triggerId: row.triggerId }
        : row.scheduleId
          ? { origin: 'schedule', scheduleId: row.scheduleId }
          : row.project
            ? { origin: 'project', project: row.project }
            : { origin: entries[i]!.task.origin ?? 'assignTask' };
      return [
        row.assigneeId
          ? {
              organizationId,
              type: 'Worker.assigned' as const,
              subjectId: row.assigneeId,
              payload: { taskId: row.id, action: row.action, priority: row.priority, ...assignedBy },
            }
          : {
              organizationId,
              type: 'Fleet.task.queued' as const,
              subjectId: row.fleetId,
              payload: { taskId: row.id, action: row.action, priority: row.priority, ...origin },
            },
      ];
    }),
  );
  return created;
}

/**
 * Moves rows `ids` to `to` with `values`, each only from a status among `among` that
 * the state machine allows to reach `to` (checked in SQL), and only while `also` holds.
 */
async function moveRows(
  tx: Transaction,
  rows: readonly TaskRow[],
  to: TaskStatus,
  among: readonly TaskStatus[],
  values: Partial<typeof tasks.$inferInsert>,
  also?: SQL,
): Promise<BulkMove> {
  if (rows.length === 0) return { moved: [], refused: [] };
  const from = sourcesOf(to, among);
  const moved = from.length
    ? await tx
        .update(tasks)
        .set({ ...values, status: to })
        .where(and(inArray(tasks.id, rows.map((row) => row.id)), inArray(tasks.status, from), also))
        .returning()
    : [];
  const movedIds = new Set(moved.map((row) => row.id));
  const byId = new Map(moved.map((row) => [row.id, row]));
  return {
    moved: rows.filter((row) => movedIds.has(row.id)).map((row) => byId.get(row.id)!),
    refused: rows.filter((row) => !movedIds.has(row.id)),
  };
}

/**
 * Hands queued tasks (locked PENDING rows) to a locked `worker` that takes work: they
 * become ASSIGNED, each with `Worker.assigned` (origin `queue`, `waitedMs`).
 */
export async function handOut(tx: Transaction, outbox: Outbox, worker: WorkerRow, queued: readonly TaskRow[]): Promise<BulkMove> {
  if (queued.length === 0) return { moved: [], refused: [] };
  assertTakesWork(worker);
  const now = new Date();
  const result = await moveRows(tx, queued, 'ASSIGNED', ['PENDING'], { assigneeId: worker.id, assignedAt: now });
  await outbox.appendAll(
    result.moved.map((task) => ({
      organizationId: task.organizationId,
      type: 'Worker.assigned' as const,
      subjectId: worker.id,
      payload: { taskId: task.id, action: task.action, priority: task.priority, origin: 'queue' as const, waitedMs: now.getTime() - task.createdAt.getTime() },
    })),
  );
  return result;
}

/**
 * The open tasks a locked worker holds, locked, in id order; `among` narrows their
 * statuses. BLOCKED tasks are not among them: they move with {@link moveBlocked}.
 */
async function lockHeldTasks(tx: Transaction, worker: WorkerRow, among?: readonly TaskStatus[]): Promise<TaskRow[]> {
  return tx
    .select()
    .from(tasks)
    .where(and(eq(tasks.assigneeId, worker.id), among ? inArray(tasks.status, among) : and(isOpen, ne(tasks.status, 'BLOCKED'))))
    .orderBy(asc(tasks.id))
    .for('update');
}

/**
 * The BLOCKED tasks of a locked worker change hands and stay BLOCKED: to worker `to`, or
 * (null) into the fleet `fleetId` (when given) without a worker; their prerequisites then
 * release them there.
 */
async function moveBlocked(tx: Transaction, worker: WorkerRow, to: string | null, fleetId: string | null): Promise<void> {
  await tx
    .update(tasks)
    .set({ assigneeId: to, ...(fleetId ? { fleetId } : {}) })
    .where(and(eq(tasks.assigneeId, worker.id), eq(tasks.status, 'BLOCKED')));
}

/**
 * Returns a locked worker's tasks to its fleet's queue (PENDING, unassigned), each with
 * `Fleet.task.queued` (`returnedFrom`): all its open tasks, or with `notStartedOnly` its
 * ASSIGNED ones. A task keeps its fleet unless the worker has one. BLOCKED tasks go to
 * the fleet too but stay BLOCKED. The caller recomputes the worker's availability when
 * running tasks left.
 * @returns the returned tasks as they were before (their runs, if any, are to be stopped
 *   after commit: see `stopRuns`)
 */
export async function returnToQueue(
  tx: Transaction,
  outbox: Outbox,
  worker: WorkerRow,
  options: { notStartedOnly?: boolean } = {},
): Promise<TaskRow[]> {
  const held = await lockHeldTasks(tx, worker, options.notStartedOnly ? READY_TASK_STATUSES : undefined);
  await moveBlocked(tx, worker, null, worker.fleetId);
  const { moved } = await moveRows(
    tx,
    held,
    'PENDING',
    held.map((task) => task.status),
    { assigneeId: null, assignedAt: null, startedAt: null, runId: null, nextAttemptAt: null, ...(worker.fleetId ? { fleetId: worker.fleetId } : {}) },
    eq(tasks.assigneeId, worker.id),
  );
  for (const task of moved) {
    await outbox.append({
      organizationId: task.organizationId,
      type: 'Fleet.task.queued',
      subjectId: task.fleetId,
      payload: { taskId: task.id, action: task.action, priority: task.priority, returnedFrom: worker.id },
    });
  }
  const movedIds = new Set(moved.map((task) => task.id));
  return held.filter((task) => movedIds.has(task.id));
}

/**
 * Transfers every open task of locked worker `from` to the locked ACTIVE worker `to`
 * (ASSIGNED, starting over; `Worker.assigned` with origin `transfer`); BLOCKED ones go to
 * `to` and stay BLOCKED. The caller recomputes `from`'s availability.
 * @throws InvalidTransitionError when `to` is not ACTIVE (and `from` holds open tasks)
 * @returns the moved tasks as they were before, for stopping their runs after commit
 */
export async function transferOpenTasks(tx: Transaction, outbox: Outbox, from: WorkerRow, to: WorkerRow): Promise<TaskRow[]> {
  await moveBlocked(tx, from, to.id, null);
  const held = await lockHeldTasks(tx, from);
  if (held.length === 0) return [];
  assertTakesWork(to);
  const { moved } = await moveRows(
    tx,
    held,
    'ASSIGNED',
    held.map((task) => task.status),
    { assigneeId: to.id, assignedAt: new Date(), startedAt: null, runId: null, nextAttemptAt: null },
    eq(tasks.assigneeId, from.id),
  );
  for (const task of moved) {
    await outbox.append({
      organizationId: task.organizationId,
      type: 'Worker.assigned',
      subjectId: to.id,
      payload: { taskId: task.id, action: task.action, priority: task.priority, origin: 'transfer', previousAssigneeId: from.id },
    });
  }
  const movedIds = new Set(moved.map((task) => task.id));
  return held.filter((task) => movedIds.has(task.id));
}

/**
 * A rebalance move: the locked ASSIGNED (not started) `task` of locked worker `from`
 * goes to locked worker `to` (`Worker.assigned` with origin `rebalance`,
 * `Worker.task.reassigned` for `from`).
 * @returns the moved task, or undefined when it is no longer ASSIGNED to `from`
 */
export async function rebalanceMove(tx: Transaction, outbox: Outbox, task: TaskRow, from: WorkerRow, to: WorkerRow): Promise<TaskRow | undefined> {
  assertTakesWork(to);
  const { moved } = await moveRows(tx, [task], 'ASSIGNED', READY_TASK_STATUSES, { assigneeId: to.id, assignedAt: new Date() }, eq(tasks.assigneeId, from.id));
  const row = moved[0];
  if (!row) return undefined;
  await outbox.append({
    organizationId: task.organizationId,
    type: 'Worker.assigned',
    subjectId: to.id,
    payload: { taskId: task.id, action: task.action, priority: task.priority, origin: 'rebalance', previousAssigneeId: from.id },
  });
  await outbox.append({
    organizationId: task.organizationId,
    type: 'Worker.task.reassigned',
    subjectId: from.id,
    payload: { taskId: task.id, action: task.action, to: to.id },
  });
  return row;
}

/**
 * Gives the locked open `task` to another locked ACTIVE worker `target`: it starts over
 * there as ASSIGNED (`Worker.assigned` with origin `reassign`; `Worker.task.reassigned`
 * for the previous worker, whose slot frees up); a BLOCKED task stays BLOCKED there.
 * @throws InvalidTransitionError for a finished task, a worker that is not ACTIVE, or
 *   the task's own assignee
 */
export async function reassign(tx: Transaction, outbox: Outbox, task: TaskRow, previous: WorkerRow | undefined, target: WorkerRow): Promise<TaskRow> {
  assertTaskTransition(task.status, 'ASSIGNED');
  // The machine lets a FAILED task go back to work, but only through retryTask.
  if ((ENDED_TASK_STATUSES as readonly TaskStatus[]).includes(task.status)) {
    throw new InvalidTransitionError('Task', task.status, 'ASSIGNED', 'it has ended (a FAILED task goes back to work with retryTask)');
  }
  if (previous?.id === target.id) {
    throw new InvalidTransitionError('Task', task.status, 'ASSIGNED', `it is already assigned to ${target.name}`);
  }
  assertTakesWork(target);
  const [moved] = await tx
    .update(tasks)
    .set({
      // A BLOCKED task changes hands and waits for its prerequisites there.
      status: task.status === 'BLOCKED' ? 'BLOCKED' : 'ASSIGNED',
      assigneeId: target.id,
      fleetId: target.fleetId ?? task.fleetId,
      assignedAt: new Date(),
      startedAt: null,
      runId: null,
    })
    .where(eq(tasks.id, task.id))
    .returning();
  await outbox.append({
    organizationId: task.organizationId,
    type: 'Worker.assigned',
    subjectId: target.id,
    payload: { taskId: task.id, action: task.action, priority: task.priority, origin: 'reassign', previousAssigneeId: previous?.id ?? null },
  });
  if (previous) {
    await outbox.append({
      organizationId: task.organizationId,
      type: 'Worker.task.reassigned',
      subjectId: previous.id,
      payload: { taskId: task.id, action: task.action, to: target.id },
    });
    await refreshAvailability(tx, outbox, previous);
  }
  return moved!;
}

/**
 * The input a worker's own protocol receives from its task, besides `WORKER` and `TASK`:
 * the task's JSON object as it is (its keys meet the declared inputs by the engine's rule,
 * docs/protocol.md section 4), no input being `{}`.
 * @throws ValidationError (path `input`) for any other input: the task then fails
 */
function ownProtocolInputOf(task: Pick<TaskRow, 'input'>): Record<string, unknown> {
  if (task.input === null || task.input === undefined) return {};
  if (typeof task.input === 'object' && !Array.isArray(task.input)) return task.input as Record<string, unknown>;
  throw new ValidationError([{ path: ['input'], message: "must be a JSON object to become the protocol's input" }]);
}

/** What beginning a task did: the task now, and the run to start after commit (if any). */
export interface Begun {
  task: TaskRow;
  /** A QUEUED run made in the same transaction; start it after commit. */
  runId: string | null;
}

/**
 * Moves a locked task of locked `worker` to RUNNING (from ASSIGNED, or back from
 * WAITING) and appends `Worker.task.started`; the worker becomes WORKING. A task that
 * starts (not one resumed from WAITING) of a worker that runs its work (`runsWorkOf`) gets its QUEUED run
 * in the same transaction, linked as `runId`, so no RUNNING task is left without a run;
 * when the run cannot be made (the input is not a JSON object, the protocol is gone)
 * the task fails at once with the reason. Before a run is made, the budgets of the worker
 * and its fleet are checked in their periods at `now` (src/budgets/service.ts): a spent
 * FAIL budget fails the task with the reason, a spent WAIT budget refuses the start.
 * @throws InvalidTransitionError when the task is not ASSIGNED or WAITING, the worker is
 *   not ACTIVE, or all of the worker's slots (`concurrency`) are in use;
 *   BudgetExceededError (an InvalidTransitionError) when a WAIT budget is spent
 */
export async function beginTask(tx: Transaction, outbox: Outbox, worker: WorkerRow, task: TaskRow, now: Date): Promise<Begun> {
  assertTaskTransition(task.status, 'RUNNING');
  if (task.approval?.status === 'PENDING') throw new InvalidTransitionError('Task', task.status, 'RUNNING', 'it waits for approveTask or rejectTask');
  const resumed = (SLOT_TASK_STATUSES as readonly TaskStatus[]).includes(task.status);
  if (!resumed) {
    assertTakesWork(worker, 'RUNNING');
    const active = await countActiveTasks(tx, worker.id);
    if (active >= worker.concurrency) {
      throw new InvalidTransitionError(
        'Task',
        task.status,
        'RUNNING',
        `${worker.name} already works on ${active} task(s) and has a concurrency of ${worker.concurrency}`,
      );
    }
  }
  const makesRun = !resumed && task.runId === null && runsWorkOf(worker);
  // A run is about to start: a spent budget stops it (src/budgets/service.ts).
  const [spent] = makesRun ? await exceededBudgets(tx, worker.id, worker.fleetId, now) : [];
  if (spent?.budget.onExceeded === 'WAIT') throw new BudgetExceededError(task.status, spent);
  const [started] = await tx
    .update(tasks)
    .set({ status: 'RUNNING', startedAt: task.startedAt ?? new Date(), ...(resumed ? {} : { attempts: task.attempts + 1 }) })
    .where(eq(tasks.id, task.id))
    .returning();
  await outbox.append({
    organizationId: task.organizationId,
    type: 'Worker.task.started',
    subjectId: worker.id,
    payload: { taskId: task.id, action: task.action, resumed },
  });
  await refreshAvailability(tx, outbox, worker);
  if (!makesRun) return { task: started!, runId: null };
  if (spent) return { task: await finishTask(tx, outbox, worker, started!, { status: 'FAILED', error: describeExceeded(spent) }), runId: null };
  return attachRun(tx, outbox, worker, started!);
}

/**
 * Queues a run of `worker`'s protocol for its locked RUNNING `task` and links it; when
 * no run can be made the task fails with the reason.
 */
async function attachRun(tx: Transaction, outbox: Outbox, worker: WorkerRow, task: TaskRow): Promise<Begun> {
  try {
    const context = await workContextOf(tx, worker, task);
    let slug: string;
    let input: Record<string, unknown>;
    if (worker.protocolId) {
      const [protocol] = await tx.select({ slug: protocols.slug }).from(protocols).where(eq(protocols.id, worker.protocolId));
      if (!protocol) throw new NotFoundError('Protocol', worker.protocolId);
      slug = protocol.slug;
      input = { ...ownProtocolInputOf(task), ...context };
    } else {
      // The default worker protocol declares no inputs: it takes the task whole, as TASK.input.
      slug = await defaultWorkerProtocol(tx, outbox, task.organizationId);
      input = { ...context };
    }
    const run = await queueRun(tx, outbox, task.organizationId, { protocol: slug, input, workerId: worker.id, taskId: task.id });
    const [linked] = await tx.update(tasks).set({ runId: run.id }).where(eq(tasks.id, task.id)).returning();
    return { task: linked!, runId: run.id };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const failed = await finishTask(tx, outbox, worker, task, { status: 'FAILED', error: `the run could not start: ${error.message}` });
    return { task: failed, runId: null };
  }
}

/**
 * Parks a locked RUNNING task as WAITING (on a reply, an approval…); it keeps its slot.
 * Appends `Worker.task.waiting`.
 * @throws InvalidTransitionError unless RUNNING
 */
export async function parkTask(tx: Transaction, outbox: Outbox, worker: WorkerRow | undefined, task: TaskRow, reason: string | null): Promise<TaskRow> {
  assertTaskTransition(task.status, 'WAITING');
  const [waiting] = await tx.update(tasks).set({ status: 'WAITING' }).where(eq(tasks.id, task.id)).returning();
  await outbox.append({
    organizationId: task.organizationId,
    type: 'Worker.task.waiting',
    subjectId: worker?.id ?? null,
    payload: { taskId: task.id, action: task.action, reason },
  });
  return waiting!;
}

/**
 * Ends a locked task with `outcome` and appends `Worker.task.completed` / `.failed` /
 * `.cancelled` (`Fleet.task.cancelled` for a task in a fleet queue). A completion counts
 * towards the worker's KPIs and may append `Worker.goal.achieved`.
 * @throws InvalidTransitionError when the task may not reach `outcome.status`
 */
export async function finishTask(
  tx: Transaction,
  outbox: Outbox,
  worker: WorkerRow | undefined,
  task: TaskRow,
  outcome: TaskOutcome,
): Promise<TaskRow> {
  assertTaskTransition(task.status, outcome.status);
  const completedAt = new Date();
  const [ended] = await tx
    .update(tasks)
    .set({
      status: outcome.status,
      completedAt,
      ...(outcome.status === 'COMPLETED' ? { result: outcome.result ?? null, qualityScore: outcome.qualityScore ?? null } : {}),
      ...(outcome.status === 'FAILED' ? { error: outcome.error } : {}),
      ...(outcome.status === 'CANCELLED' && outcome.reason ? { error: `cancelled: ${outcome.reason}` } : {}),
    })
    .where(eq(tasks.id, task.id))
    .returning();
  const what = outcome.status.toLowerCase() as Lowercase<TaskOutcome['status']>;
  await outbox.append({
    organizationId: task.organizationId,
    type: worker ? `Worker.task.${what}` : `Fleet.task.${what}`,
    subjectId: worker?.id ?? task.fleetId,
    payload: {
      taskId: task.id,
      action: task.action,
      ...(outcome.status === 'COMPLETED'
        ? {
            qualityScore: outcome.qualityScore ?? null,
            durationMs: task.startedAt ? completedAt.getTime() - task.startedAt.getTime() : null,
          }
        : {}),
      ...(outcome.status === 'FAILED' ? { error: outcome.error } : {}),
      ...(outcome.status === 'CANCELLED' ? { reason: outcome.reason ?? null } : {}),
    },
  });
  if (worker) {
    await refreshAvailability(tx, outbox, worker);
    if (outcome.status === 'COMPLETED') await recordGoalsAchieved(tx, outbox, worker, ended!, completedAt);
  }
  await settleDependants(tx, outbox, ended!);
  return ended!;
}

/**
 * What the end of `prerequisite` does to the BLOCKED tasks that depend on it: once all of
 * a dependant's prerequisites are COMPLETED it goes to work ({@link requeueTask}, origin
 * `prerequisites`); when the prerequisite FAILED or was CANCELLED, dependants with
 * `onPrerequisiteFailure: FAIL` fail (and so, in turn, theirs), HOLD ones stay BLOCKED.
 * Each dependant is locked as every move locks (its worker, then itself), after the
 * prerequisite's own locks.
 */
async function settleDependants(tx: Transaction, outbox: Outbox, prerequisite: TaskRow): Promise<void> {
  const dependants = await tx
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(arrayContains(tasks.dependsOn, [prerequisite.id]), eq(tasks.status, 'BLOCKED')))
    .orderBy(asc(tasks.id));
  for (const { id } of dependants) {
    const { task, worker } = await lockTask(tx, prerequisite.organizationId, id);
    if (task.status !== 'BLOCKED') continue;
    if (prerequisite.status === 'COMPLETED') {
      // One with neither worker nor fleet (its worker left without a successor or a fleet) waits for `reassignTask`.
      const placed = worker !== undefined || task.fleetId !== null;
      if (placed && (await openPrerequisites(tx, task.dependsOn)).size === 0) await requeueTask(tx, outbox, worker, task, { origin: 'prerequisites' });
    } else if (task.onPrerequisiteFailure === 'FAIL') {
      await finishTask(tx, outbox, worker, task, { status: 'FAILED', error: `prerequisite ${prerequisite.id} (${prerequisite.action}) is ${prerequisite.status}` });
    }
  }
}

/**
 * Cancels the open tasks `taskIds` (each locked with its worker, in turn) with `reason`,
 * as `cancelTask` does one: `Worker.task.cancelled`, or `Fleet.task.cancelled` for a
 * queued task. Tasks that ended meanwhile are left as they are.
 * @returns the cancelled tasks and the runs to stop after commit (see `stopRuns`)
 */
export async function cancelOpenTasks(
  tx: Transaction,
  outbox: Outbox,
  organizationId: string,
  taskIds: readonly string[],
  reason: string,
): Promise<{ cancelled: TaskRow[]; runIds: string[] }> {
  const cancelled: TaskRow[] = [];
  const runIds: string[] = [];
  for (const taskId of [...taskIds].sort()) {
    const { task, worker } = await lockTask(tx, organizationId, taskId);
    if (!canTransition(task.status, 'CANCELLED')) continue;
    cancelled.push(await finishTask(tx, outbox, worker, task, { status: 'CANCELLED', reason }));
    if (task.runId) runIds.push(task.runId);
  }
  return { cancelled, runIds };
}

/**
 * The task a run executed ends with it — COMPLETED with the run's output as result,
 * FAILED with the run's error, CANCELLED with the run — inside the transaction that
 * records the run's end. A failure its retry policy retries (retry.ts) makes the task
 * RETRYING instead ({@link retryLater}); one that used up the policy's attempts is
 * dead-lettered. Ignored when the task no longer waits for this run (it was reassigned,
 * ended by hand, or started another run).
 * @param now the clock's instant, from which a retry's backoff is counted
 * @returns the task when it ended or waits for its retry
 */
export async function settleTaskOfRun(tx: Transaction, outbox: Outbox, run: RunRow, ending: RunEnding, now: Date): Promise<TaskRow | undefined> {
  if (!run.taskId) return undefined;
  const { task, worker } = await lockTask(tx, run.organizationId, run.taskId);
  const drivenByRun =
    (SLOT_TASK_STATUSES as readonly TaskStatus[]).includes(task.status) &&
    task.assigneeId === run.workerId &&
    (task.runId === null || task.runId === run.id);
  if (!drivenByRun || !canTransition(task.status, ending.status)) return undefined;
  const linked = task.runId === null ? (await tx.update(tasks).set({ runId: run.id }).where(eq(tasks.id, task.id)).returning())[0]! : task;
  if (ending.status === 'COMPLETED') {
    return linked.requiresApproval
      ? awaitApproval(tx, outbox, worker, linked, ending.output, now)
      : finishTask(tx, outbox, worker, linked, { status: 'COMPLETED', result: ending.output });
  }
  if (ending.status === 'CANCELLED') return finishTask(tx, outbox, worker, linked, { status: 'CANCELLED', reason: 'its run was cancelled' });
  const error = `${ending.error.errorType}: ${ending.error.message}`;
  const policy = await retryPolicyOf(tx, linked);
  if (retries(policy, ending.error.errorType, linked.attempts)) return retryLater(tx, outbox, worker, linked, policy!, error, now);
  const failed = await finishTask(tx, outbox, worker, linked, { status: 'FAILED', error });
  if (!policy || linked.attempts < policy.maxAttempts) return failed;
  const [deadLettered] = await tx.update(tasks).set({ deadLetteredAt: now }).where(eq(tasks.id, task.id)).returning();
  await outbox.append({
    organizationId: task.organizationId,
    type: 'Task.deadLettered',
    subjectId: task.id,
    payload: { action: task.action, attempts: linked.attempts, error, workerId: worker?.id ?? null },
  });
  return deadLettered!;
}

/**
 * The run of a locked task that `requiresApproval` produced `result`: the task keeps it
 * and is WAITING (it keeps its slot) for `approveTask` / `rejectTask`. Appends
 * `Worker.task.waiting` (reason `approval`).
 */
async function awaitApproval(tx: Transaction, outbox: Outbox, worker: WorkerRow | undefined, task: TaskRow, result: unknown, now: Date): Promise<TaskRow> {
  const waiting = await parkTask(tx, outbox, worker, task, 'approval');
  const approval: TaskApproval = { status: 'PENDING', requestedAt: now.toISOString(), decidedAt: null, decidedBy: null, comment: null };
  const [asked] = await tx.update(tasks).set({ result: result ?? null, approval }).where(eq(tasks.id, waiting.id)).returning();
  return asked!;
}

/** Who decides an approval and why: the caller and its comment (approval) or reason (rejection). */
export interface ApprovalDecision {
  approved: boolean;
  by: { apiKeyId: string | null; label: string };
  comment: string | null;
  now: Date;
}

/**
 * Decides the approval a locked WAITING task asks for: approved, it COMPLETES with the
 * result its run produced; rejected, it FAILS with the reason (`retryTask` can run it
 * again). The decision (who, when, why) stays in `approval`; appends `Task.approved` or
 * `Task.rejected`, then the task's end.
 * @throws InvalidTransitionError when the task does not wait for an approval
 */
export async function decideApproval(tx: Transaction, outbox: Outbox, worker: WorkerRow | undefined, task: TaskRow, decision: ApprovalDecision): Promise<TaskRow> {
  const to = decision.approved ? 'COMPLETED' : 'FAILED';
  if (task.status !== 'WAITING' || task.approval?.status !== 'PENDING') {
    throw new InvalidTransitionError('Task', task.status, to, 'it does not wait for an approval');
  }
  const approval: TaskApproval = {
    ...task.approval,
    status: decision.approved ? 'APPROVED' : 'REJECTED',
    decidedAt: decision.now.toISOString(),
    decidedBy: decision.by,
    comment: decision.comment,
  };
  const [decided] = await tx.update(tasks).set({ approval }).where(eq(tasks.id, task.id)).returning();
  await outbox.append({
    organizationId: task.organizationId,
    type: decision.approved ? 'Task.approved' : 'Task.rejected',
    subjectId: task.id,
    payload: { action: task.action, by: decision.by.label, apiKeyId: decision.by.apiKeyId, comment: decision.comment, workerId: worker?.id ?? null },
  });
  return finishTask(
    tx,
    outbox,
    worker,
    decided!,
    decision.approved
      ? { status: 'COMPLETED', result: task.result }
      : { status: 'FAILED', error: `rejected by ${decision.by.label}${decision.comment ? `: ${decision.comment}` : ''}` },
  );
}

/** The retry policy of a task: its own, else its fleet's, else none. */
async function retryPolicyOf(tx: Transaction, task: TaskRow): Promise<RetryPolicy | null> {
  if (task.retry || !task.fleetId) return task.retry;
  const [fleet] = await tx.select({ retry: fleets.retry }).from(fleets).where(eq(fleets.id, task.fleetId));
  return fleet?.retry ?? null;
}

/**
 * Parks the locked task of a failed run as RETRYING until its backoff is over
 * (`nextAttemptAt`); it keeps its worker but no slot. Appends `Worker.task.retrying`.
 */
async function retryLater(
  tx: Transaction,
  outbox: Outbox,
  worker: WorkerRow | undefined,
  task: TaskRow,
  policy: RetryPolicy,
  error: string,
  now: Date,
): Promise<TaskRow> {
  assertTaskTransition(task.status, 'RETRYING');
  const nextAttemptAt = new Date(now.getTime() + Math.round(backoffSeconds(policy, task.attempts) * 1000));
  const [retrying] = await tx
    .update(tasks)
    .set({ status: 'RETRYING', error, nextAttemptAt, startedAt: null, runId: null })
    .where(eq(tasks.id, task.id))
    .returning();
  await outbox.append({
    organizationId: task.organizationId,
    type: 'Worker.task.retrying',
    subjectId: worker?.id ?? null,
    payload: { taskId: task.id, action: task.action, attempts: task.attempts, error, nextAttemptAt: nextAttemptAt.toISOString() },
  });
  if (worker) await refreshAvailability(tx, outbox, worker);
  return retrying!;
}

/**
 * Replaces the prerequisites of a locked task not started yet (PENDING, ASSIGNED or
 * BLOCKED; checked by dependencies.ts): with one not COMPLETED it is BLOCKED, else a
 * BLOCKED task goes to work ({@link requeueTask}) and a PENDING or ASSIGNED one stays.
 * @throws InvalidTransitionError for a task that has started or ended
 */
export async function setPrerequisites(
  tx: Transaction,
  outbox: Outbox,
  worker: WorkerRow | undefined,
  task: TaskRow,
  dependsOn: string[],
  onPrerequisiteFailure: TaskRow['onPrerequisiteFailure'],
): Promise<TaskRow> {
  const blocked = (await openPrerequisites(tx, dependsOn)).size > 0;
  if (!canTransition(task.status, 'BLOCKED') && task.status !== 'BLOCKED') {
    throw new InvalidTransitionError('Task', task.status, 'BLOCKED', 'only a task not started yet can change its prerequisites');
  }
  const [changed] = await tx
    .update(tasks)
    .set({ dependsOn, onPrerequisiteFailure, ...(blocked ? { status: 'BLOCKED' as const } : {}) })
    .where(eq(tasks.id, task.id))
    .returning();
  return !blocked && task.status === 'BLOCKED' ? requeueTask(tx, outbox, worker, changed!, { origin: 'prerequisites' }) : changed!;
}

/** Why a task goes back to work: a retry (`reset`: by `retryTask`, attempts reset) or its prerequisites completed. */
export type Requeue = { origin: 'retry'; reset: boolean } | { origin: 'prerequisites' };

/**
 * Puts a locked task back to work: a RETRYING one whose backoff is over, a FAILED one
 * (`retryTask`, which also resets the attempts and clears the failure, result and approval) or a BLOCKED one
 * whose prerequisites completed. It goes ASSIGNED to its worker when that worker takes
 * work (`Worker.assigned` with origin `retry` or `prerequisites`), else PENDING in its
 * fleet's queue (`Fleet.task.queued`), else ASSIGNED to its worker all the same, where it
 * waits.
 * @throws InvalidTransitionError when the task may not go back to work from its status,
 *   or has neither a worker nor a fleet
 */
export async function requeueTask(tx: Transaction, outbox: Outbox, worker: WorkerRow | undefined, task: TaskRow, why: Requeue): Promise<TaskRow> {
  const reset = why.origin === 'retry' && why.reset;
  const toWorker = worker && (takesWorkNow(worker) || !task.fleetId);
  const to = toWorker ? 'ASSIGNED' : 'PENDING';
  assertTaskTransition(task.status, to);
  if (!toWorker && !task.fleetId) throw new InvalidTransitionError('Task', task.status, to, 'it has neither a worker nor a fleet');
  const [requeued] = await tx
    .update(tasks)
    .set({
      status: to,
      nextAttemptAt: null,
      startedAt: null,
      runId: null,
      ...(toWorker ? { assignedAt: new Date() } : { assigneeId: null, assignedAt: null }),
      ...(reset ? { attempts: 0, deadLetteredAt: null, error: null, completedAt: null, result: null, approval: null } : {}),
    })
    .where(eq(tasks.id, task.id))
    .returning();
  const attempts = requeued!.attempts;
  if (toWorker) {
    await outbox.append({
      organizationId: task.organizationId,
      type: 'Worker.assigned',
      subjectId: worker.id,
      payload: { taskId: task.id, action: task.action, priority: task.priority, ...(why.origin === 'retry' ? { origin: 'retry', attempts } : { origin: 'prerequisites' }) },
    });
  } else {
    await outbox.append({
      organizationId: task.organizationId,
      type: 'Fleet.task.queued',
      subjectId: task.fleetId,
      payload: { taskId: task.id, action: task.action, priority: task.priority, ...(why.origin === 'retry' ? { attempts } : { prerequisitesCompleted: true }) },
    });
  }
  return requeued!;
}

/**
 * Gives the locked RUNNING `task` of locked `worker` the run that executes it: `existing`
 * (a run made for it whose link was not stored), or else a new QUEUED run, as
 * {@link beginTask} does — also when its link names a run that does not exist. Used by
 * the sweep that repairs work a crash interrupted; anything else is left as it is.
 */
export async function reattachRun(tx: Transaction, outbox: Outbox, worker: WorkerRow, task: TaskRow, existing: RunRow | undefined): Promise<Begun> {
  if (task.status !== 'RUNNING' || task.assigneeId !== worker.id || (existing && task.runId === existing.id)) return { task, runId: null };
  if (!existing) return attachRun(tx, outbox, worker, task);
  const [linked] = await tx.update(tasks).set({ runId: existing.id }).where(eq(tasks.id, task.id)).returning();
  return { task: linked!, runId: existing.id };
}
