/**
 * A fleet's members: hiring from the worker template and retiring. A member is a worker
 * of the fleet that is neither offboarded nor retiring; the fleet's size counts members.
 *
 * Retiring never drops a task: an idle worker is offboarded at once; a busy one hands
 * its not-yet-started (ASSIGNED) tasks back to the fleet queue, finishes what it is
 * RUNNING or WAITING on, and is offboarded by {@link completeRetirements} once its last
 * task ends (Kubernetes' graceful termination of a pod, without the grace deadline).
 */
import { and, asc, count, eq, inArray, ne, notExists, sql } from 'drizzle-orm';

import type { Executor, Transaction } from '../../db/client.js';
import { fleetRetirements, taskSchedules, tasks, workers } from '../../db/schema.js';
import type { Outbox } from '../../events/outbox.js';
import { heldTasks, isOpen } from '../../tasks/predicates.js';
import { returnToQueue } from '../../tasks/work-state.js';
import { refreshAvailability, type WorkerRow } from '../../workers/lifecycle.js';
import { protocolIdOf, type FleetRow } from './store.js';

/** SQL condition: the worker row is a member of its fleet (not offboarded, not retiring). */
export const isMember = and(
  ne(workers.lifecycle, 'OFFBOARDED'),
  notExists(sql`(select 1 from ${fleetRetirements} where ${fleetRetirements.workerId} = ${workers.id})`),
);

/** The fleet's size: its members. */
export async function countMembers(db: Executor, fleetId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(workers).where(and(eq(workers.fleetId, fleetId), isMember));
  return row?.n ?? 0;
}

/** A locked member and its open tasks. */
export interface Member {
  worker: WorkerRow;
  open: number;
}

/** Locks the fleet's members (by id) and counts their open tasks. */
export async function lockMembers(tx: Transaction, fleetId: string): Promise<Member[]> {
  return tx
    .select({ worker: workers, open: heldTasks })
    .from(workers)
    .where(and(eq(workers.fleetId, fleetId), isMember))
    .orderBy(asc(workers.id))
    .for('update', { of: workers });
}

/**
 * Hires `n` workers from the fleet's template, ACTIVE and AVAILABLE at once (a fleet's
 * workers need no onboarding: the template is their training). Names continue the
 * fleet's numbering, `Support Fleet #12`. Appends `Worker.hired`, `Worker.activated` and
 * `Worker.availability.changed` for each, as hiring and activating one by hand would.
 * @throws NotFoundError when the template names a protocol that no longer exists
 */
export async function hireFromTemplate(tx: Transaction, outbox: Outbox, fleet: FleetRow, n: number, now: Date): Promise<WorkerRow[]> {
  if (n <= 0) return [];
  const template = fleet.workerTemplate;
  const protocolId = template.protocolSlug ? await protocolIdOf(tx, fleet.organizationId, template.protocolSlug) : null;
  const [numbered] = await tx.select({ n: count() }).from(workers).where(eq(workers.fleetId, fleet.id));
  const onboarding = { training: [], access: [], mentorId: null, startedAt: now.toISOString() };
  const hired = await tx
    .insert(workers)
    .values(
      Array.from({ length: n }, (_, i) => ({
        organizationId: fleet.organizationId,
        name: `${fleet.name} #${(numbered?.n ?? 0) + i + 1}`,
        role: template.role,
        capabilities: template.capabilities,
        skills: template.skills,
        model: template.model ?? null,
        protocolId,
        fleetId: fleet.id,
        concurrency: template.concurrency ?? 1,
        lifecycle: 'ACTIVE' as const,
        availability: 'AVAILABLE' as const,
        startDate: now,
        onboarding,
      })),
    )
    .returning();
  for (const worker of hired) {
    const subject = { organizationId: fleet.organizationId, subjectId: worker.id };
    await outbox.append({
      ...subject,
      type: 'Worker.hired',
      payload: { name: worker.name, role: worker.role, startDate: worker.startDate.toISOString(), fleetId: fleet.id },
    });
    await outbox.append({ ...subject, type: 'Worker.activated', payload: { learning: [] } });
    await outbox.append({ ...subject, type: 'Worker.availability.changed', payload: { from: 'OFFLINE', to: 'AVAILABLE' } });
  }
  return hired;
}

/**
 * Scale-down order, the first to go first. After Kubernetes' ReplicaSet (pods that are
 * not ready before ready ones, then by fewest restarts, then newest first:
 * kubernetes/pkg/controller/controller_utils.go `ActivePodsWithRanks.Less`): workers
 * that do not work yet (HIRED, ONBOARDING), then idle ones, then the least loaded, then
 * the newest.
 */
export function retirementOrder(a: Member, b: Member): number {
  const notWorking = (m: Member) => (m.worker.lifecycle === 'ACTIVE' ? 1 : 0);
  return notWorking(a) - notWorking(b) || a.open - b.open || (a.worker.id < b.worker.id ? 1 : a.worker.id > b.worker.id ? -1 : 0);
}

/** What retiring some members did. */
export interface Retirement {
  /** Offboarded now. */
  retired: WorkerRow[];
  /** Finishing their running work first. */
  draining: WorkerRow[];
}

/**
 * Retires the locked `members`: the idle are offboarded now; the busy hand their
 * ASSIGNED tasks back to the fleet queue and drain.
 */
export async function retire(tx: Transaction, outbox: Outbox, members: Member[], reason: string, now: Date): Promise<Retirement> {
  const result: Retirement = { retired: [], draining: [] };
  for (const { worker, open } of members) {
    const returned = open > 0 ? (await returnToQueue(tx, outbox, worker, { notStartedOnly: true })).length : 0;
    if (open - returned === 0 || worker.lifecycle !== 'ACTIVE') {
      await offboardNow(tx, outbox, worker, reason, now, returned);
      result.retired.push(worker);
    } else {
      await tx.insert(fleetRetirements).values({
        workerId: worker.id,
        organizationId: worker.organizationId,
        fleetId: worker.fleetId!,
        reason,
        requestedAt: now,
      });
      await outbox.append({
        organizationId: worker.organizationId,
        type: 'Worker.retiring',
        subjectId: worker.id,
        payload: { reason, fleetId: worker.fleetId, tasksReturnedToQueue: returned, tasksToFinish: open - returned },
      });
      result.draining.push(worker);
    }
  }
  return result;
}

/**
 * Takes up to `n` retiring workers of the fleet back as members (a scale-up keeps
 * workers it was about to lose before hiring new ones), the busiest first.
 * @returns the workers kept
 */
export async function keepRetiring(tx: Transaction, outbox: Outbox, fleetId: string, n: number): Promise<WorkerRow[]> {
  if (n <= 0) return [];
  const retiring = await tx
    .select({ worker: workers, open: heldTasks })
    .from(fleetRetirements)
    .innerJoin(workers, eq(workers.id, fleetRetirements.workerId))
    .where(and(eq(fleetRetirements.fleetId, fleetId), eq(workers.lifecycle, 'ACTIVE')))
    .orderBy(asc(workers.id))
    .for('update', { of: workers });
  const kept = retiring
    .sort((a, b) => b.open - a.open)
    .slice(0, n)
    .map((row) => row.worker);
  if (kept.length === 0) return [];
  await tx.delete(fleetRetirements).where(inArray(fleetRetirements.workerId, kept.map((worker) => worker.id)));
  for (const worker of kept) {
    await outbox.append({ organizationId: worker.organizationId, type: 'Worker.retirement.cancelled', subjectId: worker.id, payload: { fleetId } });
  }
  return kept;
}

/**
 * Offboards the fleet's retiring workers whose last task has ended (rows other
 * transactions hold are left for the next call), and forgets retirements of workers
 * offboarded by hand meanwhile.
 * @returns the workers offboarded
 */
export async function completeRetirements(tx: Transaction, outbox: Outbox, fleetId: string, now: Date): Promise<WorkerRow[]> {
  const retiring = await tx
    .select({ worker: workers, reason: fleetRetirements.reason })
    .from(fleetRetirements)
    .innerJoin(workers, eq(workers.id, fleetRetirements.workerId))
    .where(eq(fleetRetirements.fleetId, fleetId))
    .orderBy(asc(workers.id))
    .for('update', { of: workers, skipLocked: true });
  const done: WorkerRow[] = [];
  for (const { worker, reason } of retiring) {
    if (worker.lifecycle === 'OFFBOARDED') {
      await tx.delete(fleetRetirements).where(eq(fleetRetirements.workerId, worker.id));
    } else if ((await tx.$count(tasks, and(eq(tasks.assigneeId, worker.id), isOpen))) === 0) {
      await offboardNow(tx, outbox, worker, reason, now, 0);
      done.push(worker);
    }
  }
  return done;
}

/**
 * Offboards a locked worker without open work (as `offboardWorker` without a
 * successor: its recurring schedules stop) and ends its retirement, if any.
 */
async function offboardNow(tx: Transaction, outbox: Outbox, worker: WorkerRow, reason: string, now: Date, returned: number): Promise<void> {
  const stopped = await tx
    .update(taskSchedules)
    .set({ nextRunAt: null })
    .where(eq(taskSchedules.workerId, worker.id))
    .returning({ id: taskSchedules.id });
  const offboarding = { reason, transferWorkToId: null, documentationComplete: true, at: now.toISOString() };
  await tx.update(workers).set({ lifecycle: 'OFFBOARDED', offboarding }).where(eq(workers.id, worker.id));
  await tx.delete(fleetRetirements).where(eq(fleetRetirements.workerId, worker.id));
  await outbox.append({
    organizationId: worker.organizationId,
    type: 'Worker.offboarded',
    subjectId: worker.id,
    payload: { ...offboarding, tasksTransferred: 0, tasksReturnedToQueue: returned, schedulesMoved: 0, schedulesStopped: stopped.length },
  });
  await refreshAvailability(tx, outbox, { ...worker, lifecycle: 'OFFBOARDED' });
}
