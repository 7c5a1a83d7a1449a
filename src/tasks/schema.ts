/** GraphQL types and operations of tasks; resolvers stay thin. */
import { and, eq } from 'drizzle-orm';
import { GraphQLError, Kind } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';

import { findFirstPrepared } from '../db/prepared-reads.js';
import type { Actor } from '../auth/actor.js';
import type { Database } from '../db/client.js';
import type { TaskApproval } from '../db/documents.js';
import { prerequisiteFailure, taskPriority, tasks, taskSchedules, taskStatus } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../errors.js';
import { requireVisibleTask, visibleTasks } from '../auth/visibility.js';
import { builder } from '../graphql/builder.js';
import { Fleet } from '../fleets/core/schema.js';
import { Worker } from '../workers/schema.js';
import { startTask } from './execution.js';
import { assignProject, type Project as ProjectData } from './projects.js';
import {
  assignRecurringTask,
  deleteSchedule,
  pauseSchedule,
  resumeSchedule,
  scheduleStatus,
  scheduleStatusSql,
  updateSchedule,
  type ScheduleStatus,
} from './recurring.js';
import { CALENDAR_DATE, DUE_DATE_EXPECTED } from './due-date.js';
import { assignTask } from './service.js';
import { DEFAULT_WORK_WAIT_SECONDS, MAX_WORK_WAIT_SECONDS, taskUpdates, work } from './work.js';
import { RetryPolicyInput, RetryPolicyRef } from './retry-schema.js';
import { approveTask, cancelTask, completeTask, failTask, reassignTask, rejectTask, retryTasks, updateTaskDependencies, waitTask } from './transitions.js';

export const TaskStatusEnum = builder.enumType('TaskStatus', {
  description: 'PENDING → ASSIGNED → RUNNING → (WAITING) → COMPLETED / FAILED / CANCELLED; a failed run may make the task RETRYING, then ASSIGNED or PENDING again; a task with open prerequisites is BLOCKED until they complete.',
  values: {
    PENDING: { description: 'In a fleet queue, without a worker.' },
    ASSIGNED: { description: 'Given to a worker, waiting for one of its slots.' },
    RUNNING: { description: 'Being worked on (by a protocol run when the worker has a protocol).' },
    WAITING: { description: 'Paused on something outside (a reply, an approval); keeps its slot.' },
    COMPLETED: { description: 'Done, with a result.' },
    FAILED: { description: 'Ended without a result; `error` says why.' },
    CANCELLED: { description: 'Called off.' },
    RETRYING: { description: 'Its run failed and its retry policy tries again at `nextAttemptAt`; it holds no slot meanwhile.' },
    BLOCKED: { description: 'Waits for its prerequisites (`blockedBy`) to complete; then ASSIGNED to its worker or PENDING in its fleet’s queue.' },
  } satisfies Record<(typeof taskStatus.enumValues)[number], { description: string }>,
});

/**
 * Due dates of new tasks: an RFC 3339 date-time, or a calendar date `YYYY-MM-DD` meaning the
 * end of that day in the assignee's time zone (due-date.ts). A date is passed on as text and
 * checked by the service, which names the field of an impossible one (`2025-02-30`).
 */
export const DueDateScalar = builder.scalarType('DueDate', {
  description:
    'A due date: an RFC 3339 date-time (`2025-10-15T17:00:00Z`), or a date alone (`2025-10-15`) meaning the end of that day in the time zone of the worker (its working hours’ zone, else UTC) or, for fleet work, of the fleet.',
  serialize: (value) => DateTimeResolver.serialize(value),
  parseValue: (value) => (typeof value === 'string' && CALENDAR_DATE.test(value) ? value : dueDateTime(() => DateTimeResolver.parseValue(value))),
  parseLiteral: (ast) =>
    ast.kind === Kind.STRING && CALENDAR_DATE.test(ast.value) ? ast.value : dueDateTime(() => DateTimeResolver.parseLiteral(ast, {})),
});

/** A date-time due date, or a GraphQL error (BAD_USER_INPUT) saying what a due date must be. */
function dueDateTime(parse: () => Date): Date {
  try {
    return parse();
  } catch {
    throw new GraphQLError(`DueDate ${DUE_DATE_EXPECTED}`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
}

export const TaskPriorityEnum = builder.enumType('TaskPriority', {
  description: 'How urgent a task is; higher priorities are started first.',
  values: {
    CRITICAL: { description: 'Before everything else.' },
    HIGH: { description: 'Before normal work.' },
    NORMAL: { description: 'The default.' },
    LOW: { description: 'When nothing else waits.' },
  } satisfies Record<(typeof taskPriority.enumValues)[number], { description: string }>,
});

export const PrerequisiteFailureEnum = builder.enumType('PrerequisiteFailure', {
  description: 'What a prerequisite that fails or is cancelled does to the tasks that depend on it.',
  values: {
    FAIL: { description: 'They fail too, naming it (the default); so, in turn, do theirs.' },
    HOLD: { description: 'They stay BLOCKED until it is retried (`retryTask`) and completes.' },
  } satisfies Record<(typeof prerequisiteFailure.enumValues)[number], { description: string }>,
});

const WeekdayEnum = builder.enumType('Weekday', {
  description: 'A day of the week.',
  values: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const,
});

export const Task = builder.drizzleNode('tasks', {
  name: 'Task',
  description: 'A unit of work; when its worker has a protocol, a run executes it.',
  id: { column: (task) => task.id },
  fields: (t) => ({
    action: t.exposeString('action', { description: 'What to do, e.g. `qualify_lead`.' }),
    input: t.expose('input', { type: 'JSON', nullable: true, description: 'Task data; a JSON object becomes the protocol input.' }),
    priority: t.field({ type: TaskPriorityEnum, description: 'Urgency.', resolve: (task) => task.priority }),
    status: t.field({ type: TaskStatusEnum, description: 'Where the task is.', resolve: (task) => task.status }),
    dueDate: t.expose('dueDate', { type: 'DateTime', nullable: true, description: 'When it is due.' }),
    requiredSkills: t.exposeStringList('requiredSkills', { description: 'Skills the assignee must have.' }),
    assignee: t.relation('assignee', { nullable: true, description: 'The worker doing it.' }),
    fleet: t.relation('fleet', { nullable: true, description: 'The fleet whose queue it belongs to.' }),
    project: t.exposeString('project', { nullable: true, description: 'Project name, when part of one.' }),
    responseSchema: t.expose('responseSchema', {
      type: 'JSON',
      nullable: true,
      description: 'The JSON Schema (of an object) the result must match, when the task asks for a structured answer; runs receive it as `TASK.responseSchema`.',
    }),
    result: t.expose('result', { type: 'JSON', nullable: true, description: 'What the work produced (the run output).' }),
    error: t.exposeString('error', { nullable: true, description: 'Why it failed or was cancelled.' }),
    qualityScore: t.exposeFloat('qualityScore', { nullable: true, description: 'Quality 0–5, when rated.' }),
    run: t.relation('run', { nullable: true, description: 'The protocol run executing the task.' }),
    schedule: t.relation('schedule', { nullable: true, description: 'The recurring schedule that made the task.' }),
    scheduledFor: t.expose('scheduledFor', {
      type: 'DateTime',
      nullable: true,
      description: 'The instant of its schedule the task was made for.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the task was created.' }),
    assignedAt: t.expose('assignedAt', { type: 'DateTime', nullable: true, description: 'When it got its assignee.' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true, description: 'When work started.' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true, description: 'When it ended.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
    retry: t.field({
      type: RetryPolicyRef,
      nullable: true,
      description: 'The task’s own retry policy; null: its fleet’s applies, if any.',
      resolve: (task) => task.retry,
    }),
    attempts: t.exposeInt('attempts', { description: 'Attempts begun since it was made or last retried by `retryTask`.' }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true, description: 'RETRYING: when the next attempt is due.' }),
    deadLettered: t.boolean({
      description: 'FAILED after its retry policy’s last attempt; `retryTask` puts it back.',
      resolve: (task) => task.deadLetteredAt !== null,
    }),
    deadLetteredAt: t.expose('deadLetteredAt', { type: 'DateTime', nullable: true, description: 'When it was dead-lettered.' }),
  }),
});

const ApprovalStatusEnum = builder.enumType('ApprovalStatus', {
  description: 'Where the human approval of a task’s result is.',
  values: {
    PENDING: { description: 'Its run produced a result; the task is WAITING for `approveTask` or `rejectTask`.' },
    APPROVED: { description: 'Approved: the task completed with the result.' },
    REJECTED: { description: 'Rejected: the task failed with the reason.' },
  } satisfies Record<TaskApproval['status'], { description: string }>,
});

const TaskApprovalRef = builder.objectRef<TaskApproval>('TaskApproval').implement({
  description: 'The human approval of a task’s result: asked for, then decided by whom, when and why.',
  fields: (t) => ({
    status: t.field({ type: ApprovalStatusEnum, description: 'Where it is.', resolve: (a) => a.status }),
    requestedAt: t.field({ type: 'DateTime', description: 'When the run produced the result to approve.', resolve: (a) => new Date(a.requestedAt) }),
    decidedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it was decided.', resolve: (a) => (a.decidedAt ? new Date(a.decidedAt) : null) }),
    decidedBy: t.string({ nullable: true, description: 'Who decided: the label of the API key used (`key <prefix> (<name>)`, or `open local access`).', resolve: (a) => a.decidedBy?.label ?? null }),
    comment: t.string({ nullable: true, description: 'The approver’s comment, or the reason of the rejection.', resolve: (a) => a.comment }),
  }),
});

builder.drizzleObjectFields(Task, (t) => ({
  requiresApproval: t.exposeBoolean('requiresApproval', { description: 'Its run’s result waits for `approveTask` / `rejectTask` before the task completes.' }),
  approval: t.field({ type: TaskApprovalRef, nullable: true, description: 'The approval asked for, once its run produced a result.', resolve: (task) => task.approval }),
    dependsOn: t.field({
      type: [Task],
      description: 'Its prerequisites: tasks that must be COMPLETED before it is worked on.',
      resolve: (task, _args, ctx) => tasksById(ctx, task.dependsOn),
    }),
    blockedBy: t.field({
      type: [Task],
      description: 'Its prerequisites not COMPLETED yet; empty once it may be worked on.',
      resolve: async (task, _args, ctx) => (await tasksById(ctx, task.dependsOn)).filter((prerequisite) => prerequisite.status !== 'COMPLETED'),
    }),
    onPrerequisiteFailure: t.field({
      type: PrerequisiteFailureEnum,
      description: 'What a prerequisite that fails or is cancelled does to it.',
      resolve: (task) => task.onPrerequisiteFailure,
    }),
}));

/** Who decides an approval: the caller's key and label. */
function approverOf(actor: Actor): { apiKeyId: string | null; label: string } {
  return { apiKeyId: actor.apiKeyId, label: actor.label };
}

/** Tasks `ids` of the caller's organisation, in that order. */
async function tasksById(ctx: { db: Database; actor: { organizationId: string } }, ids: string[]) {
  if (ids.length === 0) return [];
  const rows = await ctx.db.query.tasks.findMany({ where: { organizationId: ctx.actor.organizationId, id: { in: ids } } });
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export const TaskScheduleStatusEnum = builder.enumType('TaskScheduleStatus', {
  description: 'Whether a recurring schedule makes tasks.',
  values: {
    ACTIVE: { description: 'Makes a task at each instant.' },
    PAUSED: { description: 'Makes nothing until `resumeSchedule`; instants that fall meanwhile are not made up.' },
    STOPPED: { description: 'Makes nothing any more: its worker was offboarded without a successor.' },
    DELETED: { description: 'Deleted by `deleteSchedule`; kept for the tasks it made.' },
  } satisfies Record<ScheduleStatus, { description: string }>,
});

export const TaskSchedule = builder.drizzleNode('taskSchedules', {
  name: 'TaskSchedule',
  description: 'Recurring work of a worker or a fleet: a task is made at every instant of the schedule.',
  id: { column: (schedule) => schedule.id },
  fields: (t) => ({
    worker: t.relation('worker', { nullable: true, description: 'The worker each task is assigned to; null when the schedule targets a fleet.' }),
    fleet: t.relation('fleet', { nullable: true, description: 'The fleet whose queue each task joins; null when the schedule targets a worker.' }),
    status: t.field({ type: TaskScheduleStatusEnum, description: 'Whether it makes tasks.', resolve: (s) => scheduleStatus(s) }),
    action: t.exposeString('action', { description: 'Action of each task.' }),
    input: t.expose('input', { type: 'JSON', nullable: true, description: 'Input of each task.' }),
    priority: t.field({ type: TaskPriorityEnum, description: 'Priority of each task.', resolve: (s) => s.priority }),
    schedule: t.exposeString('schedule', { description: 'As given: `$.Daily`, `$.Hourly`, `$.Weekly`, `$.Monthly` or a cron expression.' }),
    time: t.exposeString('time', { nullable: true, description: 'Local time of a preset, `HH:MM`.' }),
    timezone: t.exposeString('timezone', { description: 'IANA time zone the schedule is evaluated in.' }),
    cron: t.exposeString('cron', { description: 'The cron expression evaluated (presets resolved).' }),
    nextRunAt: t.expose('nextRunAt', { type: 'DateTime', nullable: true, description: 'Next instant; null while paused, once stopped or deleted.' }),
    lastRunAt: t.expose('lastRunAt', { type: 'DateTime', nullable: true, description: 'Last instant that fired.' }),
    pausedAt: t.expose('pausedAt', { type: 'DateTime', nullable: true, description: 'Since when it is paused; null when not paused.' }),
    deletedAt: t.expose('deletedAt', { type: 'DateTime', nullable: true, description: 'When it was deleted.' }),
    tasks: t.drizzleConnection({
      type: 'tasks',
      description: 'Tasks made by the schedule, oldest first.',
      totalCount: (schedule, _args, ctx) => ctx.db.$count(tasks, eq(tasks.scheduleId, schedule.id)),
      resolve: (query, schedule, _args, ctx) =>
        ctx.db.query.tasks.findMany(query({ where: { scheduleId: schedule.id }, orderBy: { id: 'asc' } })),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
  }),
});

builder.objectField(Fleet, 'schedules', (t) =>
  t.drizzleConnection({
    type: 'taskSchedules',
    description: 'Recurring work queued into the fleet, oldest first, without deleted schedules (the `schedules` query lists those).',
    totalCount: (fleet, _args, ctx) => ctx.db.$count(taskSchedules, and(eq(taskSchedules.fleetId, fleet.id), ...scheduleStatusSql(undefined))),
    resolve: (query, fleet, _args, ctx) =>
      ctx.db.query.taskSchedules.findMany(
        query({ where: { fleetId: fleet.id, RAW: (table) => and(...scheduleStatusSql(undefined, table))! }, orderBy: { id: 'asc' } }),
      ),
  }),
);

const ProjectRef = builder.objectRef<ProjectData>('Project').implement({
  description: 'A named set of tasks with due dates, assigned to one worker.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Project name; each task carries it in `project`.' }),
    worker: t.field({ type: Worker, description: 'The worker doing the project.', resolve: (p) => p.worker }),
    tasks: t.field({ type: [Task], description: 'The tasks, in the order given.', resolve: (p) => p.tasks }),
  }),
});


/** The builder of an input type's fields (the `t` of `fields: (t) => …`). */
type InputFields = PothosSchemaTypes.InputFieldBuilder<typeof builder extends PothosSchemaTypes.SchemaBuilder<infer Types> ? Types : never, 'InputObject'>;

/**
 * The fields of a new task as every input making one has them (`AssignTaskInput`,
 * `WorkInput`, `FleetTaskInput`), validated alike by `NewTaskFields` (service.ts); the
 * resolver maps `dependsOn` to local IDs with {@link localTaskIds}. `zone` names whose time
 * zone a calendar due date ends in.
 */
export function newTaskInputFields(t: InputFields, zone: string) {
  return {
    action: t.string({ required: true, description: 'What to do, e.g. `qualify_lead`.' }),
    input: t.field({
      type: 'JSON',
      description: 'Task data, any JSON as the product documents write it (`{ lead }`): runs receive it as `TASK.input`, and a JSON object is also the input of the worker’s own protocol.',
    }),
    priority: t.field({ type: TaskPriorityEnum, description: 'Urgency, default NORMAL.' }),
    dueDate: t.field({ type: DueDateScalar, description: `Due date: a date-time, or a date alone for the end of that day in ${zone} time zone.` }),
    requiredSkills: t.stringList({ description: 'Skills the worker must have.' }),
    project: t.string({ description: 'Project name.' }),
    responseSchema: t.field({
      type: 'JSON',
      description:
        'A JSON Schema of an object (`"type": "object"`) the result must match: the default worker protocol answers with such an object, and runs receive it as `TASK.responseSchema`.',
    }),
    retry: t.field({ type: RetryPolicyInput, description: 'Its retry policy; omitted: its fleet’s, if any, else one attempt.' }),
    dependsOn: t.globalIDList({ for: Task, description: 'Prerequisites: the task is BLOCKED (with its worker, if it has one) until they are all COMPLETED.' }),
    onPrerequisiteFailure: t.field({ type: PrerequisiteFailureEnum, description: 'What a prerequisite that fails or is cancelled does to it (default FAIL).' }),
    requiresApproval: t.boolean({ description: 'When its run produces a result, the task is WAITING for `approveTask` / `rejectTask` (default false).' }),
  };
}

/** The local IDs of a new task's `dependsOn` (global IDs as the input decoded them). */
export function localTaskIds(dependsOn: ReadonlyArray<{ id: string }> | null | undefined): string[] | undefined {
  return dependsOn?.map((id) => id.id);
}

const AssignTaskInput = builder.inputType('AssignTaskInput', {
  description: 'A task for one ACTIVE worker (seed `worker.assign`).',
  fields: (t) => ({
    workerId: t.globalID({ required: true, for: Worker, description: 'The assignee.' }),
    ...newTaskInputFields(t, 'the worker’s'),
  }),
});

const WorkInput = builder.inputType('WorkInput', {
  description: `Work to do now (seed \`worker.work\`): give \`workerId\` or \`fleetId\`, and the task as \`assignTask\` takes it. The task runs on the worker's protocol, or the default worker protocol when it has a model and no protocol.`,
  fields: (t) => ({
    workerId: t.globalID({ for: Worker, description: 'The worker to do it; it must run its work (a protocol, or a model).' }),
    fleetId: t.globalID({ for: Fleet, description: 'The fleet whose queue the task joins; it is handed out like any queued work.' }),
    ...newTaskInputFields(t, 'the worker’s (or fleet’s)'),
    wait: t.int({
      description: `Seconds to wait for the task to end, from 0 (do not wait) to ${MAX_WORK_WAIT_SECONDS}; default ${DEFAULT_WORK_WAIT_SECONDS}. The answer is the ended task with its result, or the task as it is when the wait ends first (follow it with \`taskUpdated\`).`,
    }),
  }),
});

const ApproveTaskInput = builder.inputType('ApproveTaskInput', {
  description: 'A task WAITING for approval and the approver’s comment.',
  fields: (t) => ({
    taskId: t.globalID({ required: true, for: Task, description: 'The task.' }),
    comment: t.string({ description: 'Why, or anything the approver adds.' }),
  }),
});

const RejectTaskInput = builder.inputType('RejectTaskInput', {
  description: 'A task WAITING for approval and why its result is rejected.',
  fields: (t) => ({
    taskId: t.globalID({ required: true, for: Task, description: 'The task.' }),
    reason: t.string({ required: true, description: 'Why the result is rejected; becomes the task’s `error`.' }),
  }),
});

const UpdateTaskDependenciesInput = builder.inputType('UpdateTaskDependenciesInput', {
  description: 'New prerequisites of a task not started yet.',
  fields: (t) => ({
    taskId: t.globalID({ required: true, for: Task, description: 'The task.' }),
    dependsOn: t.globalIDList({ required: true, for: Task, description: 'All its prerequisites (an empty list removes them).' }),
    onPrerequisiteFailure: t.field({ type: PrerequisiteFailureEnum, description: 'What a prerequisite that fails or is cancelled does to it; omitted: unchanged.' }),
  }),
});

const AssignRecurringTaskInput = builder.inputType('AssignRecurringTaskInput', {
  description: 'Recurring work for one ACTIVE worker or one fleet (seed `worker.assignRecurring`): give `workerId` or `fleetId`.',
  fields: (t) => ({
    workerId: t.globalID({ for: Worker, description: 'The assignee of each task.' }),
    fleetId: t.globalID({ for: Fleet, description: 'The fleet whose queue each task joins; it is handed out like any queued work.' }),
    action: t.string({ required: true, description: 'What to do each time.' }),
    input: t.field({ type: 'JSON', description: 'Task data of each task.' }),
    priority: t.field({ type: TaskPriorityEnum, description: 'Urgency, default NORMAL.' }),
    schedule: t.string({ required: true, description: '`$.Hourly`, `$.Daily`, `$.Weekly`, `$.Monthly`, or a cron expression (5 fields, or 6 with seconds).' }),
    time: t.string({ description: 'Local time `HH:MM` of a preset (default 09:00; minutes only for `$.Hourly`). Not with a cron expression.' }),
    dayOfWeek: t.field({ type: WeekdayEnum, description: 'Day of `$.Weekly` (default MONDAY).' }),
    timezone: t.string({ description: 'IANA time zone; default the worker’s working-hours zone or the fleet’s, else UTC.' }),
  }),
});

const UpdateScheduleInput = builder.inputType('UpdateScheduleInput', {
  description: 'What to change of a recurring schedule; omitted fields stay. Tasks already made keep what they were made with.',
  fields: (t) => ({
    scheduleId: t.globalID({ required: true, for: TaskSchedule, description: 'The schedule.' }),
    action: t.string({ description: 'Action of each task from now on.' }),
    input: t.field({ type: 'JSON', description: 'Task data of each task from now on; null: none.' }),
    priority: t.field({ type: TaskPriorityEnum, description: 'Urgency of each task from now on.' }),
    schedule: t.string({ description: '`$.Hourly`, `$.Daily`, `$.Weekly`, `$.Monthly`, or a cron expression; the next instant is the first after now.' }),
    time: t.string({ description: 'Local time `HH:MM` of a preset; given alone it moves the current preset’s time.' }),
    dayOfWeek: t.field({ type: WeekdayEnum, description: 'Day of `$.Weekly`.' }),
    timezone: t.string({ description: 'IANA time zone the schedule is evaluated in.' }),
  }),
});

const ScheduleRefInput = builder.inputType('ScheduleRefInput', {
  description: 'A recurring schedule.',
  fields: (t) => ({ scheduleId: t.globalID({ required: true, for: TaskSchedule, description: 'The schedule.' }) }),
});

const ProjectTaskInput = builder.inputType('ProjectTaskInput', {
  description: 'One task of a project.',
  fields: (t) => ({
    action: t.string({ required: true, description: 'What to do.' }),
    input: t.field({ type: 'JSON', description: 'Task data.' }),
    priority: t.field({ type: TaskPriorityEnum, description: 'Urgency, default NORMAL.' }),
    dueDate: t.field({ type: DueDateScalar, description: 'Due date: a date-time, or a date alone for the end of that day in the worker’s time zone.' }),
    requiredSkills: t.stringList({ description: 'Skills needed.' }),
  }),
});

const AssignProjectInput = builder.inputType('AssignProjectInput', {
  description: 'A named project of tasks for one ACTIVE worker (seed `worker.assignProject`).',
  fields: (t) => ({
    workerId: t.globalID({ required: true, for: Worker, description: 'The assignee.' }),
    name: t.string({ required: true, description: 'Project name.' }),
    tasks: t.field({ type: [ProjectTaskInput], required: true, description: 'The tasks, at least one.' }),
  }),
});

const TaskRefInput = builder.inputType('StartTaskInput', {
  description: 'The task to start (ASSIGNED) or resume (WAITING).',
  fields: (t) => ({ taskId: t.globalID({ required: true, for: Task, description: 'The task.' }) }),
});

const WaitTaskInput = builder.inputType('WaitTaskInput', {
  description: 'A RUNNING task to park.',
  fields: (t) => ({
    taskId: t.globalID({ required: true, for: Task, description: 'The task.' }),
    reason: t.string({ description: 'What it waits for.' }),
  }),
});

const CompleteTaskInput = builder.inputType('CompleteTaskInput', {
  description: 'The result of a RUNNING or WAITING task.',
  fields: (t) => ({
    taskId: t.globalID({ required: true, for: Task, description: 'The task.' }),
    result: t.field({ type: 'JSON', description: 'What the work produced.' }),
    qualityScore: t.float({ description: 'Quality 0–5.' }),
  }),
});

const FailTaskInput = builder.inputType('FailTaskInput', {
  description: 'A RUNNING or WAITING task that failed.',
  fields: (t) => ({
    taskId: t.globalID({ required: true, for: Task, description: 'The task.' }),
    error: t.string({ required: true, description: 'Why it failed.' }),
  }),
});

const CancelTaskInput = builder.inputType('CancelTaskInput', {
  description: 'An open task to call off.',
  fields: (t) => ({
    taskId: t.globalID({ required: true, for: Task, description: 'The task.' }),
    reason: t.string({ description: 'Why.' }),
  }),
});

const ReassignTaskInput = builder.inputType('ReassignTaskInput', {
  description: 'An open task and the ACTIVE worker to give it to.',
  fields: (t) => ({
    taskId: t.globalID({ required: true, for: Task, description: 'The task.' }),
    workerId: t.globalID({ required: true, for: Worker, description: 'The new assignee.' }),
  }),
});

builder.queryFields((t) => ({
  schedules: t.drizzleConnection({
    type: 'taskSchedules',
    description: 'Recurring schedules, oldest first; deleted ones only when asked for by `status: DELETED`.',
    args: {
      workerId: t.arg.globalID({ for: Worker, description: 'Only schedules of this worker.' }),
      fleetId: t.arg.globalID({ for: Fleet, description: 'Only schedules of this fleet.' }),
      status: t.arg({ type: TaskScheduleStatusEnum, description: 'Only schedules in this status.' }),
    },
    totalCount: (_root, args, ctx) =>
      ctx.db.$count(
        taskSchedules,
        and(
          eq(taskSchedules.organizationId, ctx.actor.organizationId),
          args.workerId ? eq(taskSchedules.workerId, args.workerId.id) : undefined,
          args.fleetId ? eq(taskSchedules.fleetId, args.fleetId.id) : undefined,
          ...scheduleStatusSql(args.status ?? undefined),
        ),
      ),
    resolve: (query, _root, args, ctx) =>
      ctx.db.query.taskSchedules.findMany(
        query({
          where: {
            organizationId: ctx.actor.organizationId,
            ...(args.workerId ? { workerId: args.workerId.id } : {}),
            ...(args.fleetId ? { fleetId: args.fleetId.id } : {}),
            RAW: (table) => and(...scheduleStatusSql(args.status ?? undefined, table))!,
          },
          orderBy: { id: 'asc' },
        }),
      ),
  }),
  task: t.drizzleField({
    authScopes: { viewer: true, worker: true },
    skipTypeScopes: true,
    type: 'tasks',
    nullable: true,
    description: 'One task by global ID.',
    args: { id: t.arg.globalID({ required: true, for: Task, description: 'Global ID of the task.' }) },
    resolve: (query, _root, { id }, ctx) => findFirstPrepared(ctx.db, 'tasks', query, { id: id.id, ...visibleTasks(ctx.actor) }),
  }),
  tasks: t.drizzleConnection({
    authScopes: { viewer: true, worker: true },
    skipTypeScopes: true,
    type: 'tasks',
    description: 'Tasks, oldest first.',
    args: {
      status: t.arg({ type: TaskStatusEnum, description: 'Only tasks in this status.' }),
      priority: t.arg({ type: TaskPriorityEnum, description: 'Only tasks of this priority.' }),
      project: t.arg.string({ description: 'Only tasks of this project.' }),
    },
    totalCount: (_root, args, ctx) =>
      ctx.db.$count(
        tasks,
        and(
          eq(tasks.organizationId, ctx.actor.organizationId),
          ctx.actor.role === 'worker' ? eq(tasks.assigneeId, ctx.actor.workerId!) : undefined,
          args.status ? eq(tasks.status, args.status) : undefined,
          args.priority ? eq(tasks.priority, args.priority) : undefined,
          args.project ? eq(tasks.project, args.project) : undefined,
        ),
      ),
    resolve: (query, _root, args, ctx) =>
      ctx.db.query.tasks.findMany(
        query({
          where: {
            ...visibleTasks(ctx.actor),
            ...(args.status ? { status: args.status } : {}),
            ...(args.priority ? { priority: args.priority } : {}),
            ...(args.project ? { project: args.project } : {}),
          },
          orderBy: { id: 'asc' },
        }),
      ),
  }),
}));

const taskErrors = { types: [ValidationError, NotFoundError, InvalidTransitionError] };

builder.mutationFields((t) => ({
  assignTask: t.field({
    type: Task,
    description: 'Assigns a new task to one ACTIVE worker. Appends `Worker.assigned`.',
    errors: taskErrors,
    args: { input: t.arg({ type: AssignTaskInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      assignTask(ctx, ctx.actor.organizationId, { ...input, workerId: input.workerId.id, dependsOn: localTaskIds(input.dependsOn) }),
  }),
  approveTask: t.field({
    type: Task,
    description:
      'Approves the result of a task WAITING for approval: it COMPLETES with it. The caller and the comment are recorded in `approval`. Appends `Task.approved` and `Worker.task.completed`.',
    errors: taskErrors,
    args: { input: t.arg({ type: ApproveTaskInput, required: true }) },
    resolve: (_root, { input }, ctx) => approveTask(ctx, ctx.actor.organizationId, approverOf(ctx.actor), { ...input, taskId: input.taskId.id }),
  }),
  rejectTask: t.field({
    type: Task,
    description:
      'Rejects the result of a task WAITING for approval: it FAILS with the reason (`retryTask` runs it again). The caller and the reason are recorded in `approval`. Appends `Task.rejected` and `Worker.task.failed`.',
    errors: taskErrors,
    args: { input: t.arg({ type: RejectTaskInput, required: true }) },
    resolve: (_root, { input }, ctx) => rejectTask(ctx, ctx.actor.organizationId, approverOf(ctx.actor), { ...input, taskId: input.taskId.id }),
  }),
  updateTaskDependencies: t.field({
    type: Task,
    description:
      'Replaces the prerequisites of a task not started yet: it is BLOCKED while one of them has not COMPLETED and goes to work when none is left open. Refuses unknown tasks and cycles, naming `dependsOn`.',
    errors: taskErrors,
    args: { input: t.arg({ type: UpdateTaskDependenciesInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      updateTaskDependencies(ctx, ctx.actor.organizationId, { ...input, taskId: input.taskId.id, dependsOn: input.dependsOn.map((id) => id.id) }),
  }),
  work: t.field({
    type: Task,
    description:
      'Does work now: makes a task for the worker (or the fleet’s queue), it runs, and the answer waits up to `wait` seconds for it to end, with its `result`. Appends `Worker.assigned` (`Fleet.task.queued`).',
    errors: taskErrors,
    args: { input: t.arg({ type: WorkInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      work(ctx, ctx.actor, { ...input, workerId: input.workerId?.id, fleetId: input.fleetId?.id, dependsOn: localTaskIds(input.dependsOn) }, ctx.signal),
  }),
  assignRecurringTask: t.field({
    type: TaskSchedule,
    description: 'Gives an ACTIVE worker recurring work; the scheduler makes a task at each instant. Appends `Worker.recurring.assigned`.',
    errors: taskErrors,
    args: { input: t.arg({ type: AssignRecurringTaskInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      assignRecurringTask(ctx, ctx.actor.organizationId, { ...input, workerId: input.workerId?.id, fleetId: input.fleetId?.id }),
  }),
  pauseSchedule: t.field({
    type: TaskSchedule,
    description: 'Pauses a recurring schedule: it makes no task until resumed. Appends `Worker.recurring.paused` (`Fleet.recurring.paused` for a fleet’s).',
    errors: taskErrors,
    args: { input: t.arg({ type: ScheduleRefInput, required: true }) },
    resolve: (_root, { input }, ctx) => pauseSchedule(ctx, ctx.actor.organizationId, input.scheduleId.id),
  }),
  resumeSchedule: t.field({
    type: TaskSchedule,
    description:
      'Resumes a paused schedule from its first instant after now; instants that fell while it was paused are not made up. Appends `Worker.recurring.resumed` (`Fleet.recurring.resumed`).',
    errors: taskErrors,
    args: { input: t.arg({ type: ScheduleRefInput, required: true }) },
    resolve: (_root, { input }, ctx) => resumeSchedule(ctx, ctx.actor.organizationId, input.scheduleId.id),
  }),
  updateSchedule: t.field({
    type: TaskSchedule,
    description: 'Changes a schedule’s timing or its tasks; the next instant is the first after now. Appends `Worker.recurring.updated` (`Fleet.recurring.updated`) naming the fields given.',
    errors: taskErrors,
    args: { input: t.arg({ type: UpdateScheduleInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const { scheduleId, action, priority, schedule, timezone, ...rest } = input;
      return updateSchedule(ctx, ctx.actor.organizationId, {
        ...rest,
        scheduleId: scheduleId.id,
        // Null for these means nothing to change.
        ...(action != null ? { action } : {}),
        ...(priority != null ? { priority } : {}),
        ...(schedule != null ? { schedule } : {}),
        ...(timezone != null ? { timezone } : {}),
      });
    },
  }),
  deleteSchedule: t.field({
    type: TaskSchedule,
    description:
      'Deletes a schedule: it makes no more tasks. Tasks it made stay as they are (open ones go on; cancel them with `cancelTask`). Appends `Worker.recurring.deleted` (`Fleet.recurring.deleted`).',
    errors: taskErrors,
    args: { input: t.arg({ type: ScheduleRefInput, required: true }) },
    resolve: (_root, { input }, ctx) => deleteSchedule(ctx, ctx.actor.organizationId, input.scheduleId.id),
  }),
  assignProject: t.field({
    type: ProjectRef,
    description: 'Assigns a named project of tasks to an ACTIVE worker, all or nothing. Appends `Worker.assigned` per task.',
    errors: taskErrors,
    args: { input: t.arg({ type: AssignProjectInput, required: true }) },
    resolve: (_root, { input }, ctx) => assignProject(ctx, ctx.actor.organizationId, { ...input, workerId: input.workerId.id }),
  }),
  startTask: t.field({
    // Operators, and a worker key for its own tasks.
    authScopes: { operator: true, worker: true },
    skipTypeScopes: true,
    type: Task,
    description: 'Starts an ASSIGNED task (a run starts when the worker has a protocol) or resumes a WAITING one. Appends `Worker.task.started`.',
    errors: taskErrors,
    args: { input: t.arg({ type: TaskRefInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      await requireVisibleTask(ctx.db, ctx.actor, input.taskId.id);
      return startTask(ctx, ctx.actor.organizationId, input.taskId.id);
    },
  }),
  waitTask: t.field({
    // Operators, and a worker key for its own tasks.
    authScopes: { operator: true, worker: true },
    skipTypeScopes: true,
    type: Task,
    description: 'Parks a RUNNING task as WAITING. Appends `Worker.task.waiting`.',
    errors: taskErrors,
    args: { input: t.arg({ type: WaitTaskInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      await requireVisibleTask(ctx.db, ctx.actor, input.taskId.id);
      return waitTask(ctx, ctx.actor.organizationId, { ...input, taskId: input.taskId.id });
    },
  }),
  completeTask: t.field({
    // Operators, and a worker key for its own tasks.
    authScopes: { operator: true, worker: true },
    skipTypeScopes: true,
    type: Task,
    description: 'Completes a RUNNING or WAITING task with its result. Appends `Worker.task.completed` (and `Worker.goal.achieved` when a KPI target is reached).',
    errors: taskErrors,
    args: { input: t.arg({ type: CompleteTaskInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      await requireVisibleTask(ctx.db, ctx.actor, input.taskId.id);
      return completeTask(ctx, ctx.actor.organizationId, { ...input, taskId: input.taskId.id });
    },
  }),
  failTask: t.field({
    // Operators, and a worker key for its own tasks.
    authScopes: { operator: true, worker: true },
    skipTypeScopes: true,
    type: Task,
    description: 'Fails a RUNNING or WAITING task. Appends `Worker.task.failed`.',
    errors: taskErrors,
    args: { input: t.arg({ type: FailTaskInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      await requireVisibleTask(ctx.db, ctx.actor, input.taskId.id);
      return failTask(ctx, ctx.actor.organizationId, { ...input, taskId: input.taskId.id });
    },
  }),
  cancelTask: t.field({
    type: Task,
    description: 'Cancels an open task and its run. Appends `Worker.task.cancelled` (`Fleet.task.cancelled` for a queued task).',
    errors: taskErrors,
    args: { input: t.arg({ type: CancelTaskInput, required: true }) },
    resolve: (_root, { input }, ctx) => cancelTask(ctx, ctx.actor.organizationId, { ...input, taskId: input.taskId.id }),
  }),
  retryTask: t.field({
    type: [Task],
    description:
      'Puts FAILED tasks (dead-lettered or not) back to work, their attempts reset: each to its worker when that worker takes work, else to its fleet’s queue. All or nothing. Appends `Task.retried` per task and `Worker.assigned` (origin `retry`) or `Fleet.task.queued`.',
    errors: taskErrors,
    args: { ids: t.arg.globalIDList({ required: true, for: Task, description: 'The tasks, 1–100.' }) },
    resolve: (_root, { ids }, ctx) => retryTasks(ctx, ctx.actor.organizationId, { ids: ids.map((id) => id.id) }),
  }),
  reassignTask: t.field({
    type: Task,
    description: 'Gives an open task to another ACTIVE worker; it starts over there as ASSIGNED. Appends `Worker.assigned`.',
    errors: taskErrors,
    args: { input: t.arg({ type: ReassignTaskInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      reassignTask(ctx, ctx.actor.organizationId, { taskId: input.taskId.id, workerId: input.workerId.id }),
  }),
}));

builder.subscriptionField('taskUpdated', (t) =>
  t.field({
    authScopes: { viewer: true, worker: true },
    skipTypeScopes: true,
    type: Task,
    description:
      'The task now, then again at each change of its status; completes after its final status (COMPLETED, FAILED, CANCELLED), which carries its `result` or `error`. Statuses passed between two reads of the task show as the newest. Visible as `task(id)`.',
    args: { taskId: t.arg.globalID({ required: true, for: Task, description: 'The task.' }) },
    subscribe: async (_root, args, ctx) => {
      // Refused here, before the stream, so that the error reaches the client as NOT_FOUND.
      await requireVisibleTask(ctx.db, ctx.actor, args.taskId.id);
      return taskUpdates(ctx, ctx.actor, args.taskId.id, ctx.signal);
    },
    resolve: (task) => task,
  }),
);
