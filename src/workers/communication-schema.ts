/**
 * GraphQL types and operations of feedback and communication:
 * feedback, messages, meetings, status; `provideFeedback`, `messageWorker`,
 * `requestUpdate`, `scheduleMeeting`; the `workerStatus` subscription.
 */
import { eq } from 'drizzle-orm';

import { workerFeedback, workerMeetings, workerMessages } from '../db/schema.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import { Run } from '../runs/schema.js';
import { Task, TaskPriorityEnum } from '../tasks/schema.js';
import { messageWorker, provideFeedback, requestUpdate, scheduleMeeting, type TaskUpdate } from './communication.js';
import { Worker, WorkerAvailabilityEnum, WorkerLifecycleEnum } from './schema.js';
import { readWorkerStatus, streamWorkerStatus, type WorkerStatus } from './status.js';

export const Feedback = builder.drizzleNode('workerFeedback', {
  name: 'Feedback',
  description: 'Feedback given to a worker (seed `provideFeedback`).',
  id: { column: (feedback) => feedback.id },
  fields: (t) => ({
    worker: t.relation('worker', { description: 'The worker.' }),
    type: t.exposeString('type', { description: 'Kind, e.g. `performance_review`.' }),
    rating: t.exposeFloat('rating', { description: 'Rating 1–5.' }),
    strengths: t.exposeStringList('strengths', { description: 'What went well.' }),
    improvements: t.exposeStringList('improvements', { description: 'What to improve.' }),
    goals: t.exposeStringList('goals', { description: 'Goals agreed.' }),
    from: t.exposeString('from', { nullable: true, description: 'Who gave it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was given.' }),
  }),
});

export const WorkerMessage = builder.drizzleNode('workerMessages', {
  name: 'WorkerMessage',
  description: 'A message sent to a worker (seed `worker.message`).',
  id: { column: (message) => message.id },
  fields: (t) => ({
    worker: t.relation('worker', { description: 'The recipient.' }),
    from: t.exposeString('from', { description: 'The sender.' }),
    subject: t.exposeString('subject', { description: 'Subject line.' }),
    body: t.exposeString('body', { description: 'Text.' }),
    priority: t.field({ type: TaskPriorityEnum, description: 'Urgency.', resolve: (m) => m.priority }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was sent.' }),
  }),
});

export const Meeting = builder.drizzleNode('workerMeetings', {
  name: 'Meeting',
  description: 'A meeting scheduled with a worker (seed `scheduleMeeting`).',
  id: { column: (meeting) => meeting.id },
  fields: (t) => ({
    worker: t.relation('worker', { description: 'The worker.' }),
    type: t.exposeString('type', { description: 'Kind, e.g. `one_on_one`.' }),
    durationMinutes: t.exposeInt('durationMinutes', { description: 'Length in minutes.' }),
    agenda: t.exposeStringList('agenda', { description: 'Agenda items.' }),
    startsAt: t.expose('startsAt', { type: 'DateTime', description: 'When it starts.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was scheduled.' }),
  }),
});

const RunEventSummary = builder.objectRef<NonNullable<TaskUpdate['lastRunEvent']>>('RunEventSummary').implement({
  description: 'Which event of a run came last.',
  fields: (t) => ({
    seq: t.exposeInt('seq', { description: 'Its place in the run’s stream.' }),
    type: t.exposeString('type', { description: 'Stream event name, e.g. `text-delta`.' }),
    at: t.expose('at', { type: 'DateTime', description: 'When it was emitted.' }),
  }),
});

const TaskUpdateRef = builder.objectRef<TaskUpdate>('TaskUpdate').implement({
  description: 'The latest state of a task, as a worker reports it (seed `requestUpdate`).',
  fields: (t) => ({
    task: t.field({ type: Task, description: 'The task now.', resolve: (u) => u.task }),
    elapsedMs: t.exposeFloat('elapsedMs', { nullable: true, description: 'Time since it started, until it ended or now, milliseconds.' }),
    run: t.field({
      type: Run,
      nullable: true,
      description: 'The run executing it.',
      resolve: async (u, _args, ctx) => (u.task.runId ? await ctx.db.query.runs.findFirst({ where: { id: u.task.runId } }) : null),
    }),
    lastRunEvent: t.field({ type: RunEventSummary, nullable: true, description: 'The newest event of its run.', resolve: (u) => u.lastRunEvent }),
    summary: t.exposeString('summary', { description: 'One line for people.' }),
  }),
});

const WorkerStatusRef = builder.objectRef<WorkerStatus>('WorkerStatus').implement({
  description: 'What a worker is doing now (seed `getStatus`).',
  fields: (t) => ({
    worker: t.field({ type: Worker, description: 'The worker.', resolve: (s) => s.worker }),
    state: t.field({ type: WorkerAvailabilityEnum, description: 'AVAILABLE, WORKING, BUSY or OFFLINE.', resolve: (s) => s.state }),
    lifecycle: t.field({ type: WorkerLifecycleEnum, description: 'Lifecycle state.', resolve: (s) => s.lifecycle }),
    currentTask: t.field({ type: Task, nullable: true, description: 'The oldest task it works on.', resolve: (s) => s.currentTask }),
    activeTasks: t.exposeInt('activeTasks', { description: 'Tasks RUNNING or WAITING.' }),
    queuedTasks: t.exposeInt('queuedTasks', { description: 'Tasks ASSIGNED, waiting for a slot.' }),
    availability: t.exposeString('availability', {
      description: 'When it can take more work, for people: `free now`, `free in about 2 hours`, `after 2 queued tasks` (no measured completion time yet), `offline` …',
    }),
    nextFreeAt: t.expose('nextFreeAt', {
      type: 'DateTime',
      nullable: true,
      description:
        'When a slot is estimated to be free for new work: its queue placed on its slots, each task taking `avgCompletionTimeMs`. Null when not known: no measured completion time, not ACTIVE, OFFLINE, or holding tasks it cannot run.',
    }),
    avgCompletionTimeMs: t.exposeFloat('avgCompletionTimeMs', {
      nullable: true,
      description: 'Mean start-to-completion time of its last 20 completed tasks, milliseconds (a Float: durations can pass the 32-bit Int range); null before its first.',
    }),
    reason: t.exposeString('reason', {
      nullable: true,
      description:
        'Why the tasks it holds do not start by themselves (not ACTIVE, OFFLINE, a spent WAIT budget), or why it cannot run work by itself at all: no protocol and no model (nor a DEFAULT_MODEL it was hired with), or a model that cannot be resolved; null when its work moves.',
    }),
    location: t.exposeString('location', { nullable: true, description: 'Where it works, e.g. `remote`.' }),
  }),
});

builder.drizzleObjectFields(Worker, (t) => ({
  status: t.field({
    type: WorkerStatusRef,
    description: 'What the worker is doing now.',
    resolve: (worker, _args, ctx) => readWorkerStatus(ctx, worker.organizationId, worker.id, ctx.clock.now()),
  }),
  feedback: t.drizzleConnection({
    type: 'workerFeedback',
    description: 'Feedback received, oldest first.',
    totalCount: (worker, _args, ctx) => ctx.db.$count(workerFeedback, eq(workerFeedback.workerId, worker.id)),
    resolve: (query, worker, _args, ctx) =>
      ctx.db.query.workerFeedback.findMany(query({ where: { workerId: worker.id }, orderBy: { id: 'asc' } })),
  }),
  messages: t.drizzleConnection({
    type: 'workerMessages',
    description: 'Messages received, oldest first.',
    totalCount: (worker, _args, ctx) => ctx.db.$count(workerMessages, eq(workerMessages.workerId, worker.id)),
    resolve: (query, worker, _args, ctx) =>
      ctx.db.query.workerMessages.findMany(query({ where: { workerId: worker.id }, orderBy: { id: 'asc' } })),
  }),
  meetings: t.drizzleConnection({
    type: 'workerMeetings',
    description: 'Meetings, in the order they were scheduled.',
    totalCount: (worker, _args, ctx) => ctx.db.$count(workerMeetings, eq(workerMeetings.workerId, worker.id)),
    resolve: (query, worker, _args, ctx) =>
      ctx.db.query.workerMeetings.findMany(query({ where: { workerId: worker.id }, orderBy: { id: 'asc' } })),
  }),
}));

const ProvideFeedbackInput = builder.inputType('ProvideFeedbackInput', {
  description: 'Feedback for a worker (seed `worker.provideFeedback`).',
  fields: (t) => ({
    workerId: t.globalID({ required: true, for: Worker, description: 'The worker.' }),
    type: t.string({ description: 'Kind, e.g. `performance_review` (default `general`).' }),
    rating: t.float({ required: true, description: 'Rating 1–5.' }),
    strengths: t.stringList({ description: 'What went well.' }),
    improvements: t.stringList({ description: 'What to improve.' }),
    goals: t.stringList({ description: 'Goals agreed.' }),
    from: t.string({ description: 'Who gives it.' }),
  }),
});

const MessageWorkerInput = builder.inputType('MessageWorkerInput', {
  description: 'A message for a worker (seed `worker.message`).',
  fields: (t) => ({
    workerId: t.globalID({ required: true, for: Worker, description: 'The recipient.' }),
    from: t.string({ required: true, description: 'The sender, e.g. `manager-id`.' }),
    subject: t.string({ required: true, description: 'Subject line.' }),
    body: t.string({ required: true, description: 'Text.' }),
    priority: t.field({ type: TaskPriorityEnum, description: 'Urgency, default NORMAL.' }),
  }),
});

const RequestUpdateInput = builder.inputType('RequestUpdateInput', {
  description: 'Which task of which worker to report on (seed `worker.requestUpdate`).',
  fields: (t) => ({
    workerId: t.globalID({ required: true, for: Worker, description: 'The worker.' }),
    taskId: t.globalID({ required: true, for: Task, description: 'One of its tasks.' }),
  }),
});

const ScheduleMeetingInput = builder.inputType('ScheduleMeetingInput', {
  description: 'A meeting with a worker (seed `worker.scheduleMeeting`).',
  fields: (t) => ({
    workerId: t.globalID({ required: true, for: Worker, description: 'The worker.' }),
    type: t.string({ required: true, description: 'Kind, e.g. `one_on_one`.' }),
    durationMinutes: t.int({ required: true, description: 'Length, 5–480 minutes.' }),
    agenda: t.stringList({ description: 'Agenda items.' }),
    startsAt: t.field({ type: 'DateTime', required: true, description: 'When it starts.' }),
  }),
});

const errors = { types: [ValidationError, NotFoundError] };

builder.mutationFields((t) => ({
  provideFeedback: t.field({
    type: Feedback,
    description: 'Gives a worker feedback. Appends `Worker.feedback.received`.',
    errors,
    args: { input: t.arg({ type: ProvideFeedbackInput, required: true }) },
    resolve: (_root, { input }, ctx) => provideFeedback(ctx, ctx.actor.organizationId, { ...input, workerId: input.workerId.id }),
  }),
  messageWorker: t.field({
    type: WorkerMessage,
    description: 'Sends a worker a message. Appends `Worker.message.received`.',
    errors,
    args: { input: t.arg({ type: MessageWorkerInput, required: true }) },
    resolve: (_root, { input }, ctx) => messageWorker(ctx, ctx.actor.organizationId, { ...input, workerId: input.workerId.id }),
  }),
  requestUpdate: t.field({
    type: TaskUpdateRef,
    description: 'Asks a worker for the latest state of one of its tasks. Appends `Worker.update.requested`.',
    errors,
    args: { input: t.arg({ type: RequestUpdateInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      requestUpdate(ctx, ctx.actor.organizationId, { workerId: input.workerId.id, taskId: input.taskId.id }),
  }),
  scheduleMeeting: t.field({
    type: Meeting,
    description: 'Schedules a meeting with a worker. Appends `Worker.meeting.scheduled`.',
    errors,
    args: { input: t.arg({ type: ScheduleMeetingInput, required: true }) },
    resolve: (_root, { input }, ctx) => scheduleMeeting(ctx, ctx.actor.organizationId, { ...input, workerId: input.workerId.id }),
  }),
}));

builder.subscriptionField('workerStatus', (t) =>
  t.field({
    type: WorkerStatusRef,
    description: 'The worker’s status now, then again whenever one of its events changes it. Never completes.',
    args: { workerId: t.arg.globalID({ required: true, for: Worker, description: 'The worker.' }) },
    subscribe: (_root, args, ctx) => streamWorkerStatus(ctx, ctx.actor.organizationId, args.workerId.id),
    resolve: (status) => status,
  }),
);
