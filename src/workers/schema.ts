/** GraphQL types and operations of workers; resolvers stay thin. */
import { and, eq } from 'drizzle-orm';

import { findFirstPrepared } from '../db/prepared-reads.js';
import { tasks, taskSchedules, workerAvailability, workerLifecycle, workers } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import { Fleet } from '../fleets/core/schema.js';
import { scheduleStatusSql } from '../tasks/recurring.js';
import { TaskStatusEnum } from '../tasks/schema.js';
import type { WorkerKpi, WorkerOffboarding, WorkerOnboarding } from '../db/documents.js';
import { withoutSemanticPrefix } from '../validation.js';
import { hireWorker, updateWorker, type HireWorkerInput as HireWorkerInputData } from './service.js';

export const WorkerLifecycleEnum = builder.enumType('WorkerLifecycle', {
  description: 'Where a worker is in its employment lifecycle (HIRED → ONBOARDING → ACTIVE → OFFBOARDED).',
  values: workerLifecycle.enumValues,
});

export const WorkerAvailabilityEnum = builder.enumType('WorkerAvailability', {
  description: 'Whether a worker can take work right now.',
  values: workerAvailability.enumValues,
});

export const SkillLevelEnum = builder.enumType('SkillLevel', {
  description: 'Proficiency in a skill.',
  values: ['BEGINNER', 'INTERMEDIATE', 'ADVANCED', 'EXPERT'] as const,
});

export const KpiPeriodEnum = builder.enumType('KpiPeriod', {
  description: 'The period a KPI target is measured over.',
  values: ['DAILY', 'WEEKLY', 'MONTHLY', 'QUARTERLY'] as const,
});

export const SkillRef = builder.objectRef<{ name: string; level: 'BEGINNER' | 'INTERMEDIATE' | 'ADVANCED' | 'EXPERT' }>('Skill').implement({
  description: 'A skill and the level at which the worker has it.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Skill name, e.g. `lead_qualification`.' }),
    level: t.field({ type: SkillLevelEnum, description: 'Proficiency.', resolve: (s) => s.level }),
  }),
});

const Kpi = builder.objectRef<WorkerKpi>('Kpi').implement({
  description: 'A key performance indicator with its target; its actual value is the tasks completed in the current period.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'KPI name, e.g. `meetingsBooked`.' }),
    target: t.exposeFloat('target', { description: 'Target value over the period.' }),
    period: t.field({ type: KpiPeriodEnum, description: 'Measurement period.', resolve: (k) => k.period }),
    action: t.exposeString('action', { nullable: true, description: 'Only completed tasks with this action count; null: all.' }),
  }),
});

const Onboarding = builder.objectRef<WorkerOnboarding>('WorkerOnboarding');
const Offboarding = builder.objectRef<WorkerOffboarding>('WorkerOffboarding');

const RoleChange = builder.drizzleObject('workerRoleChanges', {
  name: 'RoleChange',
  description: 'One promotion in a worker’s role history.',
  fields: (t) => ({
    fromRole: t.exposeString('fromRole', { description: 'Role before.' }),
    toRole: t.exposeString('toRole', { description: 'Role after.' }),
    effectiveDate: t.expose('effectiveDate', { type: 'DateTime', description: 'From when the new role applies.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the promotion was recorded.' }),
  }),
});

const Goals = builder.objectRef<{ daily?: string[]; weekly?: string[]; monthly?: string[] }>('WorkerGoals').implement({
  description: 'Goals per period.',
  fields: (t) => ({
    daily: t.stringList({ description: 'Daily goals.', resolve: (g) => g.daily ?? [] }),
    weekly: t.stringList({ description: 'Weekly goals.', resolve: (g) => g.weekly ?? [] }),
    monthly: t.stringList({ description: 'Monthly goals.', resolve: (g) => g.monthly ?? [] }),
  }),
});

export const Worker = builder.drizzleNode('workers', {
  name: 'Worker',
  description: 'An AI worker agent with an identity, skills, a lifecycle and a protocol it executes.',
  id: { column: (worker) => worker.id },
  // Only the columns a query asks for (each field declares what it reads); the
  // organisation always, for the fields of other files that scope reads by it.
  select: { columns: { id: true, organizationId: true } },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name, e.g. `Sarah Chen`.' }),
    role: t.exposeString('role', { description: 'Job role, e.g. `SalesDevelopmentRepresentative` (given as `$.SalesDevelopmentRepresentative`, stored without `$.`).' }),
    persona: t.expose('persona', { type: 'JSON', nullable: true, description: 'Name, job title, style, background, expertise, communication style, working hours {start end timezone}, languages.' }),
    capabilities: t.exposeStringList('capabilities', { description: 'What the worker can do.' }),
    skills: t.field({ type: [SkillRef], select: { columns: { skills: true } }, description: 'Skills with levels.', resolve: (w) => w.skills }),
    responsibilities: t.exposeStringList('responsibilities', { description: 'What the worker is accountable for.' }),
    goals: t.field({ type: Goals, select: { columns: { goals: true } }, description: 'Daily, weekly and monthly goals.', resolve: (w) => w.goals ?? {} }),
    kpis: t.field({ type: [Kpi], select: { columns: { kpis: true } }, description: 'KPI targets.', resolve: (w) => w.kpis }),
    model: t.exposeString('model', { nullable: true, description: 'Default model (`vendor/model`).' }),
    protocol: t.relation('protocol', { nullable: true, description: 'The protocol this worker executes for its tasks.' }),
    lifecycle: t.field({ type: WorkerLifecycleEnum, select: { columns: { lifecycle: true } }, description: 'Lifecycle state.', resolve: (w) => w.lifecycle }),
    availability: t.field({ type: WorkerAvailabilityEnum, select: { columns: { availability: true } }, description: 'Availability right now.', resolve: (w) => w.availability }),
    fleet: t.relation('fleet', { nullable: true, description: 'The fleet the worker belongs to.' }),
    team: t.relation('team', { nullable: true, description: 'The team the worker is in.' }),
    shift: t.relation('shift', { nullable: true, description: 'The shift the worker works.' }),
    manager: t.relation('manager', { nullable: true, description: 'The worker this one reports to.' }),
    concurrency: t.exposeInt('concurrency', { description: 'How many tasks the worker works on at once.' }),
    location: t.exposeString('location', { nullable: true, description: 'Where the worker works, e.g. `remote`.' }),
    startDate: t.expose('startDate', { type: 'DateTime', description: 'First day of work.' }),
    onboarding: t.field({ type: Onboarding, nullable: true, select: { columns: { onboarding: true } }, description: 'Onboarding, once started.', resolve: (w) => w.onboarding }),
    offboarding: t.field({ type: Offboarding, nullable: true, select: { columns: { offboarding: true } }, description: 'Offboarding, once offboarded.', resolve: (w) => w.offboarding }),
    roleHistory: t.relation('roleChanges', {
      type: RoleChange,
      description: 'Promotions, oldest first.',
      query: { orderBy: { id: 'asc' } },
    }),
    // A root-style connection rather than t.relatedConnection: the plugin's related
    // totalCount renders broken SQL on drizzle-orm 1.0.0-rc.5 (plugin-drizzle 0.20).
    tasks: t.drizzleConnection({
      type: 'tasks',
      description: 'Tasks assigned to this worker, oldest first.',
      args: { status: t.arg({ type: TaskStatusEnum, description: 'Only tasks in this status.' }) },
      totalCount: (worker, args, ctx) =>
        ctx.db.$count(tasks, and(eq(tasks.assigneeId, worker.id), args.status ? eq(tasks.status, args.status) : undefined)),
      resolve: (query, worker, args, ctx) =>
        ctx.db.query.tasks.findMany(
          query({ where: { assigneeId: worker.id, ...(args.status ? { status: args.status } : {}) }, orderBy: { id: 'asc' } }),
        ),
    }),
    schedules: t.drizzleConnection({
      type: 'taskSchedules',
      description: 'Recurring work of the worker, oldest first, without deleted schedules (the `schedules` query lists those).',
      totalCount: (worker, _args, ctx) => ctx.db.$count(taskSchedules, and(eq(taskSchedules.workerId, worker.id), ...scheduleStatusSql(undefined))),
      resolve: (query, worker, _args, ctx) =>
        ctx.db.query.taskSchedules.findMany(
          query({ where: { workerId: worker.id, RAW: (table) => and(...scheduleStatusSql(undefined, table))! }, orderBy: { id: 'asc' } }),
        ),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the worker was hired.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
  }),
});

Onboarding.implement({
  description: 'What onboarding gave the worker.',
  fields: (t) => ({
    training: t.exposeStringList('training', { description: 'Training courses, e.g. `product_knowledge`.' }),
    access: t.exposeStringList('access', { description: 'Systems the worker was given access to.' }),
    mentor: t.field({
      type: Worker,
      nullable: true,
      description: 'The worker mentoring this one.',
      resolve: async (o, _args, ctx) => (o.mentorId ? await ctx.db.query.workers.findFirst({ where: { id: o.mentorId } }) : null),
    }),
    startedAt: t.field({ type: 'DateTime', description: 'When onboarding started.', resolve: (o) => new Date(o.startedAt) }),
  }),
});

Offboarding.implement({
  description: 'Why and how the worker left.',
  fields: (t) => ({
    reason: t.exposeString('reason', { description: 'Why, e.g. `role_change`.' }),
    transferredTo: t.field({
      type: Worker,
      nullable: true,
      description: 'The worker that took over the open work; null when it returned to the fleet queue.',
      resolve: async (o, _args, ctx) =>
        o.transferWorkToId ? await ctx.db.query.workers.findFirst({ where: { id: o.transferWorkToId } }) : null,
    }),
    documentationComplete: t.exposeBoolean('documentationComplete', { description: 'Whether hand-over documentation was complete.' }),
    at: t.field({ type: 'DateTime', description: 'When the worker was offboarded.', resolve: (o) => new Date(o.at) }),
  }),
});

export const SkillInput = builder.inputType('SkillInput', {
  description: 'A skill and its level.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Skill name.' }),
    level: t.field({ type: SkillLevelEnum, description: 'Proficiency (default INTERMEDIATE).' }),
  }),
});

const KpiInput = builder.inputType('KpiInput', {
  description: 'A KPI target.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'KPI name.' }),
    target: t.float({ required: true, description: 'Target value.' }),
    period: t.field({ type: KpiPeriodEnum, required: true, description: 'Measurement period.' }),
    action: t.string({ description: 'Count only completed tasks with this action (default: all).' }),
  }),
});

const GoalsInput = builder.inputType('WorkerGoalsInput', {
  description: 'Goals per period.',
  fields: (t) => ({
    daily: t.stringList({ description: 'Daily goals.' }),
    weekly: t.stringList({ description: 'Weekly goals.' }),
    monthly: t.stringList({ description: 'Monthly goals.' }),
  }),
});

const HireWorkerInput = builder.inputType('HireWorkerInput', {
  description: 'Identity of the worker to hire.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Display name.' }),
    role: t.string({ required: true, description: 'Job role, e.g. `SalesDevelopmentRepresentative` or `$.SalesDevelopmentRepresentative` (stored without `$.`).' }),
    persona: t.field({
      type: 'JSON',
      description:
        "Object with $type, name, jobTitle, style, background, expertise[], communicationStyle, personalityTraits[], workingHours (text such as '9am-5pm PST' or {start end timezone}; stored as the object), languages[].",
    }),
    capabilities: t.stringList({ description: 'What the worker can do.' }),
    skills: t.field({ type: [SkillInput], description: 'Skills with levels.' }),
    responsibilities: t.stringList({ description: 'What the worker is accountable for.' }),
    goals: t.field({ type: GoalsInput, description: 'Goals per period.' }),
    kpis: t.field({ type: [KpiInput], description: 'KPI targets.' }),
    model: t.string({ description: 'Default model: `vendor/model`, or a short id such as `gpt-4o` or `claude-sonnet-4.5` (stored as `anthropic/claude-sonnet-4-5`).' }),
    protocol: t.string({ description: 'Slug of the protocol the worker executes.' }),
    fleetId: t.globalID({ description: 'Fleet to join.', for: Fleet }),
    managerId: t.globalID({ description: 'Worker to report to.', for: Worker }),
    concurrency: t.int({ description: 'Tasks worked on at once (default 1).' }),
    location: t.string({ description: 'Where the worker works, e.g. `remote`.' }),
    startDate: t.field({ type: 'DateTime', description: 'First day of work (default now).' }),
  }),
});

const UpdateWorkerInput = builder.inputType('UpdateWorkerInput', {
  description:
    'The identity fields of a worker to change, validated as in `hireWorker`. An omitted field stays as it is; an explicit null clears it (lists become empty, `concurrency` returns to 1). The role changes through `promoteWorker`, the fleet through the fleet.',
  fields: (t) => ({
    workerId: t.globalID({ required: true, for: Worker, description: 'The worker to change.' }),
    name: t.string({ description: 'Display name (cannot be cleared).' }),
    persona: t.field({
      type: 'JSON',
      description: 'Replaces the persona: object with background, expertise[], communicationStyle, personalityTraits[], workingHours {start end timezone}, languages[].',
    }),
    capabilities: t.stringList({ description: 'Replaces what the worker can do.' }),
    skills: t.field({ type: [SkillInput], description: 'Replaces the skills with levels.' }),
    responsibilities: t.stringList({ description: 'Replaces what the worker is accountable for.' }),
    goals: t.field({ type: GoalsInput, description: 'Replaces the goals per period.' }),
    kpis: t.field({ type: [KpiInput], description: 'Replaces the KPI targets.' }),
    model: t.string({ description: 'Default model, `vendor/model`.' }),
    protocol: t.string({ description: 'Slug of the protocol the worker executes from its next task on; null: none.' }),
    managerId: t.globalID({ description: 'Worker to report to; null: nobody.', for: Worker }),
    concurrency: t.int({ description: 'Tasks worked on at once; a higher value lets waiting ASSIGNED tasks start.' }),
    location: t.string({ description: 'Where the worker works, e.g. `remote`.' }),
  }),
});

builder.queryFields((t) => ({
  worker: t.drizzleField({
    type: 'workers',
    nullable: true,
    description: 'One worker by global ID.',
    args: { id: t.arg.globalID({ required: true, for: Worker, description: 'Global ID of the worker.' }) },
    resolve: (query, _root, { id }, ctx) => findFirstPrepared(ctx.db, 'workers', query, { id: id.id, organizationId: ctx.actor.organizationId }),
  }),
  workers: t.drizzleConnection({
    type: 'workers',
    description: 'Workers, oldest first.',
    args: {
      lifecycle: t.arg({ type: WorkerLifecycleEnum, description: 'Only workers in this lifecycle state.' }),
      role: t.arg.string({ description: 'Only workers with this role (`DataAnalyst` or `$.DataAnalyst`).' }),
    },
    totalCount: (_root, args, ctx) =>
      ctx.db.$count(
        workers,
        and(
          eq(workers.organizationId, ctx.actor.organizationId),
          args.lifecycle ? eq(workers.lifecycle, args.lifecycle) : undefined,
          args.role ? eq(workers.role, withoutSemanticPrefix(args.role)) : undefined,
        ),
      ),
    resolve: (query, _root, args, ctx) =>
      ctx.db.query.workers.findMany(
        query({
          where: {
            organizationId: ctx.actor.organizationId,
            ...(args.lifecycle ? { lifecycle: args.lifecycle } : {}),
            ...(args.role ? { role: withoutSemanticPrefix(args.role) } : {}),
          },
          orderBy: { id: 'asc' },
        }),
      ),
  }),
}));

builder.mutationField('hireWorker', (t) =>
  t.field({
    type: Worker,
    description: 'Hires a worker (lifecycle HIRED). Appends `Worker.hired`.',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: HireWorkerInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      hireWorker(ctx, ctx.actor.organizationId, {
        ...input,
        persona: input.persona as HireWorkerInputData['persona'],
        protocolSlug: input.protocol,
        fleetId: input.fleetId?.id,
        managerId: input.managerId?.id,
      }),
  }),
);

builder.mutationField('updateWorker', (t) =>
  t.field({
    type: Worker,
    description:
      'Changes the fields given of a worker that is not OFFBOARDED. Appends `Worker.updated` naming the fields whose value changed. Applies to work not started yet: a higher concurrency or a new protocol lets ASSIGNED tasks start; running tasks keep the protocol they started with.',
    errors: { types: [ValidationError, NotFoundError, InvalidTransitionError] },
    args: { input: t.arg({ type: UpdateWorkerInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const { workerId, protocol, managerId, ...fields } = input;
      return updateWorker(ctx, ctx.actor.organizationId, {
        ...fields,
        // An explicit null name reaches the model, which refuses it with the field's path.
        name: fields.name as string | undefined,
        persona: input.persona as HireWorkerInputData['persona'],
        workerId: workerId.id,
        ...(protocol !== undefined ? { protocolSlug: protocol } : {}),
        ...(managerId !== undefined ? { managerId: managerId?.id ?? null } : {}),
      });
    },
  }),
);
