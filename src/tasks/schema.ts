/** GraphQL types and operations of tasks (API.md "Tasks"). */
import { and, eq } from 'drizzle-orm';

import { taskPriority, tasks, taskStatus } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import { Worker } from '../workers/schema.js';
import { assignTask } from './service.js';

export const TaskStatusEnum = builder.enumType('TaskStatus', {
  description: 'PENDING → ASSIGNED → RUNNING → (WAITING) → COMPLETED / FAILED / CANCELLED.',
  values: taskStatus.enumValues,
});

export const TaskPriorityEnum = builder.enumType('TaskPriority', {
  description: 'How urgent a task is; higher priorities are handed out first.',
  values: taskPriority.enumValues,
});

export const Task = builder.drizzleNode('tasks', {
  name: 'Task',
  description: 'A unit of work; when its worker has a protocol, a run executes it.',
  id: { column: (task) => task.id },
  fields: (t) => ({
    action: t.exposeString('action', { description: 'What to do, e.g. `qualify_lead`.' }),
    input: t.expose('input', { type: 'JSON', nullable: true, description: 'Task data; becomes the protocol input.' }),
    priority: t.field({ type: TaskPriorityEnum, description: 'Urgency.', resolve: (task) => task.priority }),
    status: t.field({ type: TaskStatusEnum, description: 'Where the task is.', resolve: (task) => task.status }),
    dueDate: t.expose('dueDate', { type: 'DateTime', nullable: true, description: 'When it is due.' }),
    requiredSkills: t.exposeStringList('requiredSkills', { description: 'Skills the assignee must have.' }),
    assignee: t.relation('assignee', { nullable: true, description: 'The worker doing it.' }),
    fleet: t.relation('fleet', { nullable: true, description: 'The fleet whose queue it belongs to.' }),
    project: t.exposeString('project', { nullable: true, description: 'Project name, when part of one.' }),
    result: t.expose('result', { type: 'JSON', nullable: true, description: 'What the work produced.' }),
    error: t.exposeString('error', { nullable: true, description: 'Why it failed.' }),
    qualityScore: t.exposeFloat('qualityScore', { nullable: true, description: 'Quality 0–1, when rated.' }),
    run: t.relation('run', { nullable: true, description: 'The protocol run executing the task.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the task was created.' }),
    assignedAt: t.expose('assignedAt', { type: 'DateTime', nullable: true, description: 'When it got its assignee.' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true, description: 'When work started.' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true, description: 'When it ended.' }),
  }),
});

const AssignTaskInput = builder.inputType('AssignTaskInput', {
  description: 'A task for one worker.',
  fields: (t) => ({
    workerId: t.globalID({ required: true, for: Worker, description: 'The assignee.' }),
    action: t.string({ required: true, description: 'What to do.' }),
    input: t.field({ type: 'JSON', description: 'Task data.' }),
    priority: t.field({ type: TaskPriorityEnum, description: 'Urgency, default NORMAL.' }),
    dueDate: t.field({ type: 'DateTime', description: 'Due date.' }),
    requiredSkills: t.stringList({ description: 'Skills needed.' }),
    project: t.string({ description: 'Project name.' }),
  }),
});

builder.queryFields((t) => ({
  task: t.drizzleField({
    type: 'tasks',
    nullable: true,
    description: 'One task by global ID.',
    args: { id: t.arg.globalID({ required: true, for: Task, description: 'Global ID of the task.' }) },
    resolve: (query, _root, { id }, ctx) =>
      ctx.db.query.tasks.findFirst(query({ where: { id: id.id, organizationId: ctx.actor.organizationId } })),
  }),
  tasks: t.drizzleConnection({
    type: 'tasks',
    description: 'Tasks, oldest first.',
    args: {
      status: t.arg({ type: TaskStatusEnum, description: 'Only tasks in this status.' }),
      priority: t.arg({ type: TaskPriorityEnum, description: 'Only tasks of this priority.' }),
    },
    totalCount: (_root, args, ctx) =>
      ctx.db.$count(
        tasks,
        and(
          eq(tasks.organizationId, ctx.actor.organizationId),
          args.status ? eq(tasks.status, args.status) : undefined,
          args.priority ? eq(tasks.priority, args.priority) : undefined,
        ),
      ),
    resolve: (query, _root, args, ctx) =>
      ctx.db.query.tasks.findMany(
        query({
          where: {
            organizationId: ctx.actor.organizationId,
            ...(args.status ? { status: args.status } : {}),
            ...(args.priority ? { priority: args.priority } : {}),
          },
          orderBy: { id: 'asc' },
        }),
      ),
  }),
}));

builder.mutationField('assignTask', (t) =>
  t.field({
    type: Task,
    description: 'Assigns a new task to one worker. Appends `Worker.assigned`.',
    errors: { types: [ValidationError, NotFoundError, InvalidTransitionError] },
    args: { input: t.arg({ type: AssignTaskInput, required: true }) },
    resolve: (_root, { input }, ctx) => assignTask(ctx, ctx.actor.organizationId, { ...input, workerId: input.workerId.id }),
  }),
);
