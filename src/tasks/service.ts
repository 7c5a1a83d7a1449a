/**
 * Tasks: units of work assigned to workers. Every way work is made (one task, a project,
 * a recurring schedule, a trigger, a fleet) goes through `createTask` of work-state.ts,
 * so the rules (only ACTIVE workers take work) and the events (`Worker.assigned`,
 * `Fleet.task.queued`) are the same for all of them.
 */
import type { JSONSchema7 } from 'ai';
import { z } from 'zod';

import type { Database, Transaction } from '../db/client.js';
import type { RetryPolicy } from '../db/documents.js';
import { tasks } from '../db/schema.js';
import { transactionWithEvents, type Outbox } from '../events/outbox.js';
import type { Bus } from '../realtime/bus.js';
import { schemaValidator } from '../engine/type-schemas.js';
import { parseInput, withDefault } from '../validation.js';
import { lockWorker, type WorkerRow } from '../workers/lifecycle.js';
import { workerTimeZone } from '../workers/performance.js';
import { checkPrerequisites, DependsOnModel, PrerequisiteFailureModel } from './dependencies.js';
import { DueDateModel, dueInstant } from './due-date.js';
import { RetryPolicyModel } from './retry.js';
import { createTask } from './work-state.js';

export type TaskRow = typeof tasks.$inferSelect;
export type TaskPriority = TaskRow['priority'];

/** Priorities, most urgent first (the enum's order in the database, too). */
export const TaskPriorityModel = z.enum(['CRITICAL', 'HIGH', 'NORMAL', 'LOW']);

/** An action name, e.g. `qualify_lead`. */
export const ActionModel = z.string().trim().min(1, 'must not be empty').max(200);

/** Whether `schema` compiles as a JSON Schema the engine checks replies with. */
function compiles(schema: Record<string, unknown>): boolean {
  try {
    schemaValidator(schema as JSONSchema7);
    return true;
  } catch {
    return false;
  }
}

/**
 * A task's `responseSchema`: a JSON Schema of an object (`"type": "object"`), as the
 * engine's structured output takes it (docs/protocol.md section 5, "A response schema
 * from a value"); the result of a run of the task is then an object matching it.
 */
export const ResponseSchemaModel = z.unknown().pipe(
  z
    .record(z.string(), z.unknown(), 'must be a JSON Schema object')
    .refine((schema) => schema.type === 'object', 'must be a JSON Schema of an object ("type": "object")')
    .refine(compiles, 'must be a JSON Schema this server can check (draft 2020-12 or 7 keywords)'),
);

/**
 * The fields of a new task, the same wherever one is made by a caller (`assignTask`,
 * `work`, each task of `assignWork`), validated alike: what to do, its data, urgency and
 * due date (a calendar date ends in the assignee's or fleet's zone: due-date.ts), the
 * skills it needs, its project, the response schema of its result, its retry policy
 * (retry.ts), its prerequisites and what their failure does (dependencies.ts), and
 * whether its result waits for approval.
 */
export const NewTaskFields = {
  action: ActionModel,
  input: z.unknown().optional(),
  priority: withDefault(TaskPriorityModel, 'NORMAL'),
  dueDate: DueDateModel.nullish(),
  requiredSkills: withDefault(z.array(z.string().trim().min(1)), []),
  project: z.string().trim().min(1).nullish(),
  responseSchema: ResponseSchemaModel.nullish(),
  retry: RetryPolicyModel.nullish(),
  dependsOn: withDefault(DependsOnModel, []),
  onPrerequisiteFailure: withDefault(PrerequisiteFailureModel, 'FAIL'),
  requiresApproval: withDefault(z.boolean(), false),
};

/** The target of work: exactly one of a worker and a fleet (refine with {@link hasOneTarget}). */
export const TargetFields = {
  workerId: z.uuid().nullish(),
  fleetId: z.uuid().nullish(),
};

/** The refinement of a model with {@link TargetFields}: one target, named on `workerId` when not. */
export const hasOneTarget: [check: (input: { workerId?: string | null; fleetId?: string | null }) => boolean, issue: { path: string[]; message: string }] = [
  (input) => !input.workerId !== !input.fleetId,
  { path: ['workerId'], message: 'give either workerId or fleetId, not both' },
];

/**
 * The fields of work for a worker or a fleet that recurs (`assignRecurringTask`): the
 * target (refine with {@link hasOneTarget}) and the action, input and priority of each task.
 */
export const TargetedWorkFields = {
  ...TargetFields,
  action: NewTaskFields.action,
  input: NewTaskFields.input,
  priority: NewTaskFields.priority,
};

/** A new task as {@link NewTaskFields} validated it. */
export type NewTaskData = z.output<z.ZodObject<typeof NewTaskFields>>;

/** What `assignTask` accepts. */
export const AssignTaskModel = z.object({ workerId: z.uuid(), ...NewTaskFields });
export type AssignTaskInput = z.input<typeof AssignTaskModel>;

/** The fields of a new task; where it goes is given separately. */
export interface NewTask {
  action: string;
  input?: unknown;
  priority?: TaskPriority;
  dueDate?: Date | null;
  requiredSkills?: string[];
  project?: string | null;
  /** The JSON Schema the result must match ({@link ResponseSchemaModel}). */
  responseSchema?: Record<string, unknown> | null;
  scheduleId?: string | null;
  scheduledFor?: Date | null;
  triggerId?: string | null;
  /** Its own retry policy (retry.ts); none: its fleet's. */
  retry?: RetryPolicy | null;
  /** Tasks that must complete first (checked by dependencies.ts); it is BLOCKED until then. */
  dependsOn?: string[];
  /** What a failed or cancelled prerequisite does to it; default FAIL. */
  onPrerequisiteFailure?: 'FAIL' | 'HOLD';
  /** Its run's result waits for `approveTask` / `rejectTask`. */
  requiresApproval?: boolean;
  /** `assignWork`: a fleet's strategy chose the worker (`Worker.assigned`'s origin); default `assignTask`. */
  origin?: 'assignWork';
}

/**
 * Assigns a new task to one worker (status ASSIGNED) and appends `Worker.assigned`. The
 * worker row is locked so that a concurrent offboarding cannot slip in between.
 * @throws ValidationError for bad input; NotFoundError for an unknown worker;
 *   InvalidTransitionError when the worker is not ACTIVE (only active workers take work)
 */
export async function assignTask(
  deps: { db: Database; bus: Bus },
  organizationId: string,
  input: AssignTaskInput,
): Promise<TaskRow> {
  const data = parseInput(AssignTaskModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const worker = await lockWorker(tx, organizationId, data.workerId);
    return makeTask(tx, outbox, organizationId, { worker }, data);
  });
}

/**
 * Makes the new task `data` ({@link NewTaskFields}, validated) for a locked worker
 * (ASSIGNED, or BLOCKED on its prerequisites) or in a fleet's queue, inside the caller's
 * transaction: its prerequisites are checked and a calendar due date ends in the worker's
 * time zone, or the fleet's (`fleet.timezone`).
 * @throws ValidationError naming `dependsOn` (dependencies.ts); InvalidTransitionError when
 *   the worker is not ACTIVE
 */
export async function makeTask(
  tx: Transaction,
  outbox: Outbox,
  organizationId: string,
  target: { worker: WorkerRow } | { fleet: { id: string; timezone: string } },
  data: NewTaskData,
): Promise<TaskRow> {
  await checkPrerequisites(tx, organizationId, data.dependsOn, data.onPrerequisiteFailure);
  if ('worker' in target) {
    return (await createTask(tx, outbox, organizationId, target, { ...data, dueDate: dueInstant(data.dueDate, workerTimeZone(target.worker)) }))!;
  }
  const { fleet } = target;
  return (await createTask(tx, outbox, organizationId, { fleetId: fleet.id }, { ...data, dueDate: dueInstant(data.dueDate, fleet.timezone) }))!;
}
