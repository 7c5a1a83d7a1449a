/**
 * Handing out a fleet's work (docs/product/fleets.md "assignWork"): new tasks and the fleet
 * queue go to workers by a strategy (strategies.ts), under the fleet's balancer lock and
 * the chosen workers' row locks, so that two processes assigning at once never give a
 * task to two workers nor a worker more tasks than its `concurrency`. Tasks no worker
 * can take now wait in the queue (PENDING), most urgent then oldest first, and are
 * handed out by {@link drainQueue} as workers free up.
 */
import { and, asc, eq, exists, sql } from 'drizzle-orm';
import { z } from 'zod';

import type { Transaction } from '../../db/client.js';
import type { FleetBalancing } from '../../db/documents.js';
import { fleets, tasks, workers } from '../../db/schema.js';
import { ValidationError } from '../../errors.js';
import { transactionWithEvents, type Outbox } from '../../events/outbox.js';
import { dueInstant } from '../../tasks/due-date.js';
import { NewTaskFields, type NewTask, type TaskRow } from '../../tasks/service.js';
import { hasFreeSlot, isQueued } from '../../tasks/predicates.js';
import { createTasks, handOut } from '../../tasks/work-state.js';
import { takingWork } from '../../workers/lifecycle.js';
import { isMember } from '../core/members.js';
import { parseInput } from '../../validation.js';
import { loadCandidates } from './candidates.js';
import { askDistributor } from './distributor.js';
import { checkPrerequisites } from '../../tasks/dependencies.js';
import { PriorityRuleModel, SkillMatchingModel, StrategyModel } from '../core/policy.js';
import { planWork, type DistributorAnswer, type Placement, type WorkItem } from './strategies.js';
import { findFleet, lockFleet, type FleetDeps, type FleetRow } from '../core/store.js';

/** Queued tasks considered per dispatch: enough for any fleet's free slots at once. */
const QUEUE_SCAN_LIMIT = 500;

/** Most tasks one `assignWork` call takes (they are inserted and planned in one transaction). */
export const MAX_TASKS_PER_CALL = 1000;

/** One task of `assignWork`: a new task as `assignTask` takes it. */
export const FleetTaskModel = z.object(NewTaskFields);

/** What `assignWork` accepts; omitted balancing fields take the fleet's. */
export const AssignWorkModel = z.object({
  fleetId: z.uuid(),
  tasks: z.array(FleetTaskModel).min(1, 'send at least one task').max(MAX_TASKS_PER_CALL, `send at most ${MAX_TASKS_PER_CALL} tasks per call`),
  strategy: StrategyModel.nullish(),
  skillMatching: SkillMatchingModel.nullish(),
  priorityRules: z.array(PriorityRuleModel).nullish(),
});
export type AssignWorkInput = z.input<typeof AssignWorkModel>;

/** A new fleet task once its due date is an instant (calendar dates end in the fleet's time zone). */
type FleetTask = Omit<z.output<typeof FleetTaskModel>, 'dueDate'> & { dueDate: Date | null };

/** A task the CUSTOM distributor's answer could not place, and why. */
export interface Fallback {
  task: TaskRow;
  reason: string;
}

/** What `assignWork` did. */
export interface WorkAssignment {
  fleet: FleetRow;
  strategy: FleetBalancing['strategy'];
  /** The new tasks, in input order: ASSIGNED, or PENDING in the queue. */
  tasks: TaskRow[];
  /** Tasks that waited in the queue and were handed out first (more urgent or older). */
  handedOut: TaskRow[];
  fallbacks: Fallback[];
}

/**
 * Sends `tasks` to fleet `fleetId`: each goes to a worker by `strategy` (default: the
 * fleet's) or waits in the fleet queue. Waiting tasks that are more urgent or older are
 * served first. Appends `Worker.assigned` or `Fleet.task.queued` per task and
 * `Fleet.work.assigned` for the batch.
 * @throws ValidationError (CUSTOM without a distributor, bad input); NotFoundError
 */
export async function assignWork(deps: FleetDeps, organizationId: string, input: AssignWorkInput): Promise<WorkAssignment> {
  const data = parseInput(AssignWorkModel, input);
  const known = await findFleet(deps.db, organizationId, data.fleetId);
  const balancing: FleetBalancing = {
    strategy: data.strategy ?? known.balancing.strategy,
    skillMatching: data.skillMatching ?? known.balancing.skillMatching,
    priorityRules: data.priorityRules ?? known.balancing.priorityRules,
  };
  if (balancing.strategy === 'CUSTOM' && !known.distributor) {
    throw new ValidationError([{ path: ['strategy'], message: 'the fleet has no distributor protocol for the CUSTOM strategy' }]);
  }
  const newTasks = data.tasks.map((task) => ({
    ...task,
    dueDate: dueInstant(task.dueDate, known.timezone),
    requiredSkills: [...new Set([...task.requiredSkills, ...balancing.skillMatching.required])],
  }));
  const answers =
    balancing.strategy === 'CUSTOM'
      ? await askDistributor(deps, known, newTasks.map((task, i) => ({ key: newKey(i), ...task })))
      : new Map<string, DistributorAnswer>();
  return transactionWithEvents(deps, async (tx, outbox) => {
    const fleet = await lockFleet(tx, organizationId, data.fleetId);
    for (const [i, task] of newTasks.entries()) {
      await checkPrerequisites(tx, organizationId, task.dependsOn, task.onPrerequisiteFailure, undefined, ['tasks', String(i)]);
    }
    const result = await dispatch(tx, outbox, fleet, { newTasks, balancing, answers }, deps.clock.now());
    const assigned = result.created.filter((task) => task.status === 'ASSIGNED').length;
    await outbox.append({
      organizationId,
      type: 'Fleet.work.assigned',
      subjectId: fleet.id,
      payload: {
        strategy: balancing.strategy,
        tasks: result.created.length,
        assigned,
        queued: result.created.length - assigned,
        handedOutFromQueue: result.handedOut.length,
        fallbacks: result.fallbacks.map((f) => ({ taskId: f.task.id, reason: f.reason })),
      },
    });
    return { fleet, strategy: balancing.strategy, tasks: result.created, handedOut: result.handedOut, fallbacks: result.fallbacks };
  });
}

/**
 * Hands out what the queue of fleet `fleetId` can give its workers now (nothing when no
 * worker has a free slot), in transactions of at most {@link QUEUE_SCAN_LIMIT} tasks.
 * With the CUSTOM strategy the distributor is asked first, outside any lock.
 * @returns the tasks handed out
 */
export async function drainQueue(deps: FleetDeps, organizationId: string, fleetId: string): Promise<TaskRow[]> {
  const handedOut: TaskRow[] = [];
  for (;;) {
    const known = await findFleet(deps.db, organizationId, fleetId);
    const answers = known.balancing.strategy === 'CUSTOM' ? await askDistributor(deps, known, await peekQueue(deps, known)) : undefined;
    const result = await transactionWithEvents(deps, async (tx, outbox) => {
      const fleet = await lockFleet(tx, organizationId, fleetId);
      return dispatch(tx, outbox, fleet, { newTasks: [], balancing: fleet.balancing, answers }, deps.clock.now());
    });
    handedOut.push(...result.handedOut);
    if (result.handedOut.length === 0 || result.scanned < QUEUE_SCAN_LIMIT) return handedOut;
  }
}

/** The queued tasks the next drain will consider, for asking the distributor (unlocked). */
async function peekQueue(deps: FleetDeps, fleet: FleetRow) {
  const queued = await deps.db
    .select()
    .from(tasks)
    .where(and(eq(tasks.fleetId, fleet.id), isQueued))
    .orderBy(asc(tasks.priority), asc(tasks.createdAt), asc(tasks.id))
    .limit(QUEUE_SCAN_LIMIT);
  return queued.map((task) => ({ key: task.id, action: task.action, input: task.input, priority: task.priority, requiredSkills: task.requiredSkills }));
}

/** What one dispatch did inside its transaction. */
export interface DispatchResult {
  created: TaskRow[];
  handedOut: TaskRow[];
  fallbacks: Fallback[];
  /** Queued tasks considered (a full scan means there may be more). */
  scanned: number;
}

/**
 * Plans and applies, in the caller's transaction on the locked `fleet`: the queue (with
 * the fleet's balancing) and `newTasks` (with `balancing`) over the candidates locked
 * now. New tasks are inserted ASSIGNED or PENDING; queued tasks a worker takes become
 * ASSIGNED (`Worker.assigned` with origin `queue`).
 */
export async function dispatch(
  tx: Transaction,
  outbox: Outbox,
  fleet: FleetRow,
  request: { newTasks: FleetTask[]; balancing: FleetBalancing; answers?: Map<string, DistributorAnswer> | undefined },
  now: Date,
): Promise<DispatchResult> {
  const candidates = await loadCandidates(tx, fleet, now, { lock: true });
  const hasRoom = candidates.some((c) => c.open < c.concurrency);
  const queued = hasRoom
    ? await tx
        .select()
        .from(tasks)
        .where(and(eq(tasks.fleetId, fleet.id), isQueued))
        .orderBy(asc(tasks.priority), asc(tasks.createdAt), asc(tasks.id))
        .limit(QUEUE_SCAN_LIMIT)
        .for('update', { skipLocked: true })
    : [];
  const answerOf = (key: string) => request.answers?.get(key);
  const items: WorkItem[] = [
    ...queued.map((task) => itemOf(task.id, task, fleet.balancing, answerOf(task.id))),
    ...request.newTasks.map((task, i) => itemOf(newKey(i), task, request.balancing, answerOf(newKey(i)))),
  ];
  const plan = planWork(items, candidates, { quotas: fleet.quotas, roundRobinCursor: fleet.roundRobinCursor });
  const placements = new Map(plan.placements.map((placement) => [placement.key, placement]));
  const byId = new Map(candidates.map((c) => [c.id, c]));

  const handedOut: TaskRow[] = [];
  const fallbacks: Fallback[] = [];
  const perWorker = new Map<string, TaskRow[]>();
  for (const task of queued) {
    const workerId = placements.get(task.id)!.workerId;
    if (workerId) perWorker.set(workerId, [...(perWorker.get(workerId) ?? []), task]);
  }
  const current = new Map(queued.map((task) => [task.id, task]));
  for (const [workerId, given] of perWorker) {
    for (const row of (await handOut(tx, outbox, byId.get(workerId)!.row, given)).moved) {
      current.set(row.id, row);
      handedOut.push(row);
    }
  }
  for (const task of queued) {
    const placement = placements.get(task.id)!;
    if (placement.fallback) fallbacks.push({ task: current.get(task.id)!, reason: placement.fallback });
  }
  const newPlacements = request.newTasks.map((_, i): Placement => placements.get(newKey(i))!);
  const created = (
    await createTasks(
      tx,
      outbox,
      fleet.organizationId,
      request.newTasks.map((task, i) => {
        const workerId = newPlacements[i]!.workerId;
        return { target: workerId ? { worker: byId.get(workerId)!.row } : { fleetId: fleet.id }, task: { ...task, origin: 'assignWork' } satisfies NewTask };
      }),
    )
  ).map((row) => row!);
  created.forEach((row, i) => {
    const { fallback } = newPlacements[i]!;
    if (fallback) fallbacks.push({ task: row, reason: fallback });
  });
  if (plan.roundRobinCursor !== fleet.roundRobinCursor) {
    await tx.update(fleets).set({ roundRobinCursor: plan.roundRobinCursor }).where(eq(fleets.id, fleet.id));
  }
  return { created, handedOut, fallbacks, scanned: queued.length };
}

function itemOf(
  key: string,
  task: Pick<TaskRow, 'action' | 'priority' | 'requiredSkills'>,
  balancing: FleetBalancing,
  answer: DistributorAnswer | undefined,
): WorkItem {
  return { key, action: task.action, priority: task.priority, requiredSkills: task.requiredSkills, balancing, ...(answer ? { answer } : {}) };
}

/** The planning key of the `i`-th new task of a request. */
function newKey(i: number): string {
  return `new:${i}`;
}

/** Ids of fleets whose queue holds work while one of their members takes work and has a free slot. */
export async function fleetsWithServableQueue(deps: Pick<FleetDeps, 'db'>): Promise<Array<{ id: string; organizationId: string }>> {
  const { db } = deps;
  return db
    .select({ id: fleets.id, organizationId: fleets.organizationId })
    .from(fleets)
    .where(
      and(
        exists(db.select({ one: sql`1` }).from(tasks).where(and(eq(tasks.fleetId, fleets.id), isQueued))),
        exists(db.select({ one: sql`1` }).from(workers).where(and(eq(workers.fleetId, fleets.id), takingWork, isMember, hasFreeSlot))),
      ),
    );
}
