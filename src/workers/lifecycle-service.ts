/**
 * Lifecycle services (docs/product/worker.md "Worker Lifecycle"): onboard, activate, promote,
 * offboard, availability and training. Each is one transaction that checks the state
 * machine of lifecycle.ts on the locked worker row and appends its domain event; an
 * illegal move throws InvalidTransitionError before anything is written.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';

import type { Transaction } from '../db/client.js';
import { requireOwned } from '../db/ownership.js';
import { taskSchedules, workerRoleChanges, workers } from '../db/schema.js';
import { InvalidTransitionError, ValidationError } from '../errors.js';
import { transactionWithEvents, type Outbox } from '../events/outbox.js';
import { stopRuns, type TaskDeps } from '../tasks/transitions.js';
import { returnToQueue, transferOpenTasks } from '../tasks/work-state.js';
import { aliased, parseInput, RoleModel, withDefault } from '../validation.js';
import {
  assertLifecycleTransition,
  assertTakesWork,
  countActiveTasks,
  derivedAvailability,
  lockWorker,
  refreshAvailability,
  setAvailability,
  type WorkerRow,
} from './lifecycle.js';
import type { LearningItem } from './performance.js';

type Deps = Pick<TaskDeps, 'db' | 'bus'>;

const WorkerIdModel = z.object({ workerId: z.uuid() });
const Names = z.array(z.string().trim().min(1, 'must not be empty').max(200));

/** What `onboardWorker` accepts (seed: training, access, mentor). */
export const OnboardWorkerModel = WorkerIdModel.extend({
  training: withDefault(Names, []),
  access: withDefault(Names, []),
  mentorId: z.uuid().nullish(),
  /** The worker document's name for `mentorId` (`onboard({ mentor })`). */
  mentor: z.uuid().nullish(),
}).transform((data, ctx) => ({
  workerId: data.workerId,
  training: data.training,
  access: data.access,
  mentorId: aliased(data, 'mentorId', 'mentor', ctx),
}));

/** What `promoteWorker` accepts (seed `updateRole`: newRole, effectiveDate). */
export const PromoteWorkerModel = WorkerIdModel.extend({
  newRole: RoleModel,
  effectiveDate: z.date().nullish(),
});

/**
 * What `offboardWorker` accepts (seed: reason, transition.transferWorkTo, documentationComplete).
 * `transition: { transferWorkTo, documentationComplete }` is the worker document's nesting of
 * the two top-level fields; each may be given in one of the two places (both is an issue on
 * `transition`).
 */
export const OffboardWorkerModel = WorkerIdModel.extend({
  reason: z.string().trim().min(1, 'must say why').max(2000),
  transferWorkTo: z.uuid().nullish(),
  documentationComplete: z.boolean().nullish(),
  transition: z.object({ transferWorkTo: z.uuid().nullish(), documentationComplete: z.boolean().nullish() }).nullish(),
}).transform(({ transition, ...data }, ctx) => ({
  ...data,
  transferWorkTo: aliased({ transferWorkTo: data.transferWorkTo, transition: transition?.transferWorkTo }, 'transferWorkTo', 'transition', ctx),
  documentationComplete:
    aliased({ documentationComplete: data.documentationComplete, transition: transition?.documentationComplete }, 'documentationComplete', 'transition', ctx) ?? false,
}));

/** What `setWorkerAvailability` accepts: WORKING is not set by hand, it follows running tasks. */
export const SetAvailabilityModel = WorkerIdModel.extend({
  availability: z.enum(['AVAILABLE', 'BUSY', 'OFFLINE'], {
    message: 'must be AVAILABLE, BUSY or OFFLINE (WORKING follows running tasks)',
  }),
  location: z.string().trim().min(1).max(200).nullish(),
});

/** What `recordTraining` accepts: a course on one skill. */
export const RecordTrainingModel = WorkerIdModel.extend({
  skill: z.string().trim().min(1, 'must not be empty').max(200),
  hours: withDefault(z.number().min(0, 'must not be negative').max(10_000), 0),
  completed: withDefault(z.boolean(), true),
  certification: z.string().trim().min(1).max(200).nullish(),
});

/** Runs `change` on the locked worker in one transaction with its events. */
function changeWorker<T>(
  deps: Deps,
  organizationId: string,
  workerId: string,
  change: (tx: Transaction, outbox: Outbox, worker: WorkerRow) => Promise<T>,
): Promise<T> {
  return transactionWithEvents(deps, async (tx, outbox) => change(tx, outbox, await lockWorker(tx, organizationId, workerId)));
}

async function update(tx: Transaction, workerId: string, values: Partial<typeof workers.$inferInsert>): Promise<WorkerRow> {
  const [row] = await tx.update(workers).set(values).where(eq(workers.id, workerId)).returning();
  return row!;
}

/**
 * HIRED → ONBOARDING with training, access and a mentor; appends `Worker.onboarded`
 * (its training items start as skills in progress).
 * @throws ValidationError; NotFoundError (worker, mentor); InvalidTransitionError
 */
export function onboardWorker(deps: Deps, organizationId: string, input: z.input<typeof OnboardWorkerModel>): Promise<WorkerRow> {
  const data = parseInput(OnboardWorkerModel, input);
  if (data.mentorId === data.workerId) throw new ValidationError([{ path: ['mentorId'], message: 'a worker cannot mentor itself' }]);
  return changeWorker(deps, organizationId, data.workerId, async (tx, outbox, worker) => {
    assertLifecycleTransition(worker.lifecycle, 'ONBOARDING');
    if (data.mentorId) await requireOwned(tx, workers, organizationId, data.mentorId, 'Worker');
    const onboarding = { training: data.training, access: data.access, mentorId: data.mentorId ?? null, startedAt: new Date().toISOString() };
    const learning: LearningItem[] = data.training.map((skill) => ({ skill, status: 'IN_PROGRESS' }));
    const row = await update(tx, worker.id, { lifecycle: 'ONBOARDING', onboarding });
    await outbox.append({ organizationId, type: 'Worker.onboarded', subjectId: worker.id, payload: { ...onboarding, learning } });
    return row;
  });
}

/**
 * ONBOARDING → ACTIVE; the worker becomes AVAILABLE and its onboarding training counts
 * as acquired. Appends `Worker.activated`.
 * @throws NotFoundError; InvalidTransitionError
 */
export function activateWorker(deps: Deps, organizationId: string, workerId: string): Promise<WorkerRow> {
  const data = parseInput(WorkerIdModel, { workerId });
  return changeWorker(deps, organizationId, data.workerId, async (tx, outbox, worker) => {
    assertLifecycleTransition(worker.lifecycle, 'ACTIVE');
    const learning: LearningItem[] = (worker.onboarding?.training ?? []).map((skill) => ({ skill, status: 'ACQUIRED' }));
    await update(tx, worker.id, { lifecycle: 'ACTIVE' });
    await outbox.append({ organizationId, type: 'Worker.activated', subjectId: worker.id, payload: { learning } });
    await setAvailability(tx, outbox, { ...worker, lifecycle: 'ACTIVE' }, 'AVAILABLE');
    const [row] = await tx.select().from(workers).where(eq(workers.id, worker.id));
    return row!;
  });
}

/**
 * Gives an ACTIVE worker a new role from `effectiveDate` (default now) and keeps the
 * change in its role history. Appends `Worker.promoted`.
 * @throws ValidationError (same role); NotFoundError; InvalidTransitionError unless ACTIVE
 */
export function promoteWorker(deps: Deps, organizationId: string, input: z.input<typeof PromoteWorkerModel>): Promise<WorkerRow> {
  const data = parseInput(PromoteWorkerModel, input);
  return changeWorker(deps, organizationId, data.workerId, async (tx, outbox, worker) => {
    if (worker.lifecycle !== 'ACTIVE') {
      throw new InvalidTransitionError('Worker', worker.lifecycle, 'PROMOTED', 'only an ACTIVE worker can be promoted');
    }
    if (worker.role === data.newRole) {
      throw new ValidationError([{ path: ['newRole'], message: `is already the role of ${worker.name}` }]);
    }
    const effectiveDate = data.effectiveDate ?? new Date();
    await tx.insert(workerRoleChanges).values({
      organizationId,
      workerId: worker.id,
      fromRole: worker.role,
      toRole: data.newRole,
      effectiveDate,
    });
    const row = await update(tx, worker.id, { role: data.newRole });
    await outbox.append({
      organizationId,
      type: 'Worker.promoted',
      subjectId: worker.id,
      payload: { from: worker.role, to: data.newRole, effectiveDate: effectiveDate.toISOString() },
    });
    return row;
  });
}

/**
 * Offboards a worker. With `transferWorkTo` (an ACTIVE worker) every open task and
 * recurring schedule moves to it in the same transaction; otherwise open tasks return
 * to the fleet queue (PENDING) and schedules stop. Runs of moved tasks are cancelled
 * after commit. Appends `Worker.offboarded`.
 * @throws ValidationError (transfer to itself); NotFoundError; InvalidTransitionError
 *   (already offboarded, or a successor that is not ACTIVE)
 */
export async function offboardWorker(
  deps: TaskDeps,
  organizationId: string,
  input: z.input<typeof OffboardWorkerModel>,
): Promise<WorkerRow> {
  const data = parseInput(OffboardWorkerModel, input);
  if (data.transferWorkTo === data.workerId) {
    throw new ValidationError([{ path: ['transferWorkTo'], message: 'must name another worker' }]);
  }
  const { worker, moved } = await transactionWithEvents(deps, async (tx, outbox) => {
    // Lock both rows in id order, like every transaction touching two workers.
    const ids = [data.workerId, ...(data.transferWorkTo ? [data.transferWorkTo] : [])].sort();
    const locked = new Map<string, WorkerRow>();
    for (const id of ids) locked.set(id, await lockWorker(tx, organizationId, id));
    const worker = locked.get(data.workerId)!;
    const successor = data.transferWorkTo ? locked.get(data.transferWorkTo) : undefined;
    assertLifecycleTransition(worker.lifecycle, 'OFFBOARDED');
    if (successor) assertTakesWork(successor);

    // Schedules first: this waits for a scheduler firing one of them, so that the task
    // it made is committed and moved below (READ COMMITTED: each statement sees commits).
    const schedules = await tx
      .update(taskSchedules)
      .set(successor ? { workerId: successor.id } : { nextRunAt: null })
      .where(eq(taskSchedules.workerId, worker.id))
      .returning({ id: taskSchedules.id });
    const moved = successor ? await transferOpenTasks(tx, outbox, worker, successor) : await returnToQueue(tx, outbox, worker);
    const offboarding = {
      reason: data.reason,
      transferWorkToId: successor?.id ?? null,
      documentationComplete: data.documentationComplete,
      at: new Date().toISOString(),
    };
    await update(tx, worker.id, { lifecycle: 'OFFBOARDED', offboarding });
    await outbox.append({
      organizationId,
      type: 'Worker.offboarded',
      subjectId: worker.id,
      payload: {
        ...offboarding,
        tasksTransferred: successor ? moved.length : 0,
        tasksReturnedToQueue: successor ? 0 : moved.length,
        schedulesMoved: successor ? schedules.length : 0,
      },
    });
    await refreshAvailability(tx, outbox, { ...worker, lifecycle: 'OFFBOARDED' });
    const [row] = await tx.select().from(workers).where(eq(workers.id, worker.id));
    return { worker: row!, moved };
  });
  await stopRuns(deps, moved.map((task) => task.runId));
  return worker;
}

/**
 * Sets an ACTIVE worker's availability (AVAILABLE, BUSY or OFFLINE) and optionally its
 * location. While tasks occupy its slots the worker stays WORKING. Appends
 * `Worker.availability.changed` when the availability changes.
 * @throws ValidationError; NotFoundError; InvalidTransitionError unless ACTIVE
 */
export function setWorkerAvailability(
  deps: Deps,
  organizationId: string,
  input: z.input<typeof SetAvailabilityModel>,
): Promise<WorkerRow> {
  const data = parseInput(SetAvailabilityModel, input);
  return changeWorker(deps, organizationId, data.workerId, async (tx, outbox, worker) => {
    if (worker.lifecycle !== 'ACTIVE') {
      throw new InvalidTransitionError('Worker', worker.availability, data.availability, `${worker.name} is ${worker.lifecycle}`);
    }
    if (data.location !== undefined && data.location !== worker.location) {
      await update(tx, worker.id, { location: data.location });
    }
    const next = derivedAvailability({ lifecycle: 'ACTIVE', availability: data.availability }, await countActiveTasks(tx, worker.id));
    if (next !== worker.availability) await setAvailability(tx, outbox, worker, next);
    const [row] = await tx.select().from(workers).where(eq(workers.id, worker.id));
    return row!;
  });
}

/**
 * Records training on one skill (hours, completion, certification) for a worker that is
 * not offboarded; appends `Worker.training.recorded`, read by `learningProgress`.
 * @throws ValidationError; NotFoundError; InvalidTransitionError for an offboarded worker
 */
export function recordTraining(deps: Deps, organizationId: string, input: z.input<typeof RecordTrainingModel>): Promise<WorkerRow> {
  const data = parseInput(RecordTrainingModel, input);
  return changeWorker(deps, organizationId, data.workerId, async (_tx, outbox, worker) => {
    if (worker.lifecycle === 'OFFBOARDED') {
      throw new InvalidTransitionError('Worker', worker.lifecycle, 'TRAINING', 'an offboarded worker does not train');
    }
    const item: LearningItem = {
      skill: data.skill,
      status: data.completed ? 'ACQUIRED' : 'IN_PROGRESS',
      hours: data.hours,
      certification: data.certification ?? null,
    };
    await outbox.append({ organizationId, type: 'Worker.training.recorded', subjectId: worker.id, payload: { learning: [item] } });
    return worker;
  });
}
