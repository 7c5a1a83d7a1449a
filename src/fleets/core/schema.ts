/**
 * GraphQL types of the fleet itself. Its policies are in
 * policy-schema.ts; work hand-out, scaling, monitoring, shifts and teams have a folder each
 * beside core/ with their own schema.ts.
 */
import { and, eq } from 'drizzle-orm';

import type { FleetBalancing, FleetQuota, FleetResourceLimits, FleetScaling, ScalingRule, TeamSlot, TeamWorkflow, WorkerTemplate } from '../../db/documents.js';
import { fleets, tasks, workers } from '../../db/schema.js';
import { builder } from '../../graphql/builder.js';
import { isQueued } from '../../tasks/predicates.js';
import { QUEUED_TASK_STATUSES } from '../../tasks/state-machine.js';
import { RetryPolicyRef } from '../../tasks/retry-schema.js';
import { SkillRef } from '../../workers/schema.js';

export const ScalingMetricEnum = builder.enumType('ScalingMetric', {
  description: 'What a scaling rule watches.',
  values: {
    QUEUE_DEPTH: { description: 'Tasks waiting in the fleet queue.' },
    AVG_UTILIZATION: { description: 'Busy slots / all slots of ACTIVE workers, 0–1.' },
    RESPONSE_TIME: { description: 'Mean wait from queueing to start, seconds.' },
  },
});

export const ScalingActionEnum = builder.enumType('ScalingAction', {
  description: 'What a scaling rule does when its threshold is crossed.',
  values: {
    SCALE_UP: { description: 'Add workers when the metric is above the threshold.' },
    SCALE_DOWN: { description: 'Retire workers when the metric is below the threshold.' },
  },
});

export const ScalingModeEnum = builder.enumType('ScalingMode', {
  description: 'Who decides the fleet size.',
  values: { MANUAL: { description: 'Only scale mutations and shifts.' }, AUTO: { description: 'The autoscaler too, by rules and schedule.' } },
});

export const AssignmentStrategyEnum = builder.enumType('AssignmentStrategy', {
  description: 'How a fleet picks the worker for a task; only workers with a free slot (open tasks < concurrency) are candidates.',
  values: {
    ROUND_ROBIN: { description: 'Each worker in turn, continuing where the last assignment stopped.' },
    LEAST_LOADED: { description: 'Fewest open tasks per slot.' },
    SKILL_BASED: { description: 'Workers with every required skill; preferred skills (weighted by level) rank, then load.' },
    PRIORITY: { description: 'By `priorityRules`: e.g. CRITICAL → most experienced, HIGH → available experienced, NORMAL → available.' },
    CUSTOM: { description: 'The fleet’s distributor protocol chooses; an unusable answer falls back to LEAST_LOADED (recorded).' },
  } satisfies Record<FleetBalancing['strategy'], { description: string }>,
});

export const PriorityTargetEnum = builder.enumType('PriorityTarget', {
  description: 'Who a PRIORITY rule gives a task to, among workers with a free slot. “Experienced”: ADVANCED or EXPERT in the task’s skills.',
  values: {
    MOST_EXPERIENCED: { description: 'Highest skill level in the task’s skills, then most tasks completed.' },
    AVAILABLE_EXPERIENCED: { description: 'Experienced workers first, the least loaded of them.' },
    AVAILABLE: { description: 'The least loaded, least experienced first (experts stay free for critical work).' },
  },
});

export const QuotaPeriodEnum = builder.enumType('QuotaPeriod', {
  description: 'The period a quota counts over, in the fleet’s time zone.',
  values: ['DAILY', 'WEEKLY', 'MONTHLY'] as const,
});

export const ScalingRuleRef = builder.objectRef<ScalingRule>('ScalingRule').implement({
  description: 'One autoscaling rule: when `metric` crosses `threshold`, do `action` by `step` workers.',
  fields: (t) => ({
    metric: t.field({ type: ScalingMetricEnum, description: 'Watched metric.', resolve: (r) => r.metric }),
    threshold: t.exposeFloat('threshold', { description: 'Threshold in the metric’s unit.' }),
    action: t.field({ type: ScalingActionEnum, description: 'Scale up or down.', resolve: (r) => r.action }),
    step: t.exposeInt('step', { description: 'Workers added or retired per action.' }),
  }),
});

const ScheduleTargetRef = builder.objectRef<FleetScaling['schedule'][number]>('ScalingScheduleTarget').implement({
  description: 'A time-of-day size target in the fleet’s time zone.',
  fields: (t) => ({
    hours: t.exposeString('hours', { description: 'Local hours, `H:MM-H:MM` (may cross midnight).' }),
    target: t.exposeInt('target', { description: 'Desired worker count during those hours.' }),
  }),
});

export const ScalingRef = builder.objectRef<FleetScaling>('FleetScaling').implement({
  description: 'How the fleet grows and shrinks.',
  fields: (t) => ({
    mode: t.field({ type: ScalingModeEnum, description: 'Manual or automatic.', resolve: (s) => s.mode }),
    min: t.exposeInt('min', { description: 'Fewest workers.' }),
    max: t.exposeInt('max', { description: 'Most workers.' }),
    rules: t.field({ type: [ScalingRuleRef], description: 'Autoscaling rules.', resolve: (s) => s.rules }),
    cooldownSeconds: t.exposeInt('cooldownSeconds', { description: 'Least time between two scaling actions.' }),
    aggressive: t.exposeBoolean('aggressive', { description: 'Scale up without cooldown, at least doubling (batch workloads).' }),
    schedule: t.field({ type: [ScheduleTargetRef], description: 'Time-of-day targets.', resolve: (s) => s.schedule }),
    metric: t.field({ type: ScalingMetricEnum, nullable: true, description: 'The metric the fleet is sized by in the target form, if any.', resolve: (s) => s.metric ?? null }),
    target: t.float({ nullable: true, description: 'The value of `metric` per worker.', resolve: (s) => s.target ?? null }),
  }),
});

const WorkerTemplateRef = builder.objectRef<WorkerTemplate>('WorkerTemplate').implement({
  description: 'What the fleet hires its workers from.',
  fields: (t) => ({
    role: t.exposeString('role', { description: 'Role of hired workers.' }),
    capabilities: t.exposeStringList('capabilities', { description: 'Capabilities of hired workers.' }),
    skills: t.field({ type: [SkillRef], description: 'Skills of hired workers.', resolve: (w) => w.skills }),
    model: t.exposeString('model', { nullable: true, description: 'Model of hired workers.' }),
    protocol: t.exposeString('protocolSlug', { nullable: true, description: 'Slug of the protocol hired workers execute.' }),
    concurrency: t.int({ description: 'Tasks each hired worker works on at once.', resolve: (w) => w.concurrency ?? 1 }),
  }),
});

const SlaRef = builder.objectRef<NonNullable<(typeof fleets.$inferSelect)['sla']>>('FleetSla').implement({
  description: 'Service-level targets per task.',
  fields: (t) => ({
    responseTimeSeconds: t.exposeInt('responseTimeSeconds', { nullable: true, description: 'Queueing to start.' }),
    resolutionTimeSeconds: t.exposeInt('resolutionTimeSeconds', { nullable: true, description: 'Queueing to completion.' }),
  }),
});

const QuotaRef = builder.objectRef<FleetQuota>('FleetQuota').implement({
  description: 'A per-worker quota: a worker that took `limit` tasks of `action` this period takes no more of them.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Quota name, e.g. `leadsPerWorker`.' }),
    action: t.exposeString('action', { nullable: true, description: 'Task action it counts; null: every task.' }),
    limit: t.exposeInt('limit', { description: 'Tasks per worker per period.' }),
    period: t.field({ type: QuotaPeriodEnum, description: 'Period, in the fleet’s time zone.', resolve: (q) => q.period }),
  }),
});

const PriorityRuleRef = builder.objectRef<FleetBalancing['priorityRules'][number]>('PriorityRule').implement({
  description: 'A PRIORITY rule: tasks of `priority` go to `assignTo`.',
  fields: (t) => ({
    priority: t.exposeString('priority', { description: 'Task priority (CRITICAL, HIGH, NORMAL, LOW).' }),
    assignTo: t.field({ type: PriorityTargetEnum, description: 'Who gets them.', resolve: (r) => r.assignTo }),
  }),
});

const BalancingRef = builder.objectRef<FleetBalancing>('FleetBalancing').implement({
  description: 'The fleet’s default balancing: for its queue, and for `assignWork` calls that name none.',
  fields: (t) => ({
    strategy: t.field({ type: AssignmentStrategyEnum, description: 'Default strategy.', resolve: (b) => b.strategy }),
    requiredSkills: t.stringList({ description: 'Skills every task needs (SKILL_BASED).', resolve: (b) => b.skillMatching.required }),
    preferredSkills: t.stringList({ description: 'Skills that rank workers (SKILL_BASED).', resolve: (b) => b.skillMatching.preferred }),
    priorityRules: t.field({ type: [PriorityRuleRef], description: 'PRIORITY rules; empty: the seed’s defaults.', resolve: (b) => b.priorityRules }),
  }),
});

const ResourceLimitsRef = builder.objectRef<FleetResourceLimits>('FleetResourceLimits').implement({
  description: 'Resources per worker, in Kubernetes quantity notation (recorded for the runtime that hosts workers).',
  fields: (t) => ({
    cpuPerWorker: t.exposeString('cpuPerWorker', { nullable: true, description: 'CPU, e.g. `2000m`.' }),
    memoryPerWorker: t.exposeString('memoryPerWorker', { nullable: true, description: 'Memory, e.g. `4Gi`.' }),
  }),
});

export const Fleet = builder.drizzleNode('fleets', {
  name: 'Fleet',
  description: 'A pool of workers made from a template; work sent to it is queued and balanced.',
  id: { column: (fleet) => fleet.id },
  // Only the columns a query asks for: each field declares what it reads.
  select: { columns: { id: true } },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name.' }),
    description: t.exposeString('description', { nullable: true, description: 'What the fleet is for.' }),
    workerTemplate: t.field({ type: WorkerTemplateRef, select: { columns: { workerTemplate: true } }, description: 'Template for hired workers.', resolve: (f) => f.workerTemplate }),
    scaling: t.field({ type: ScalingRef, select: { columns: { scaling: true } }, description: 'Scaling policy.', resolve: (f) => f.scaling }),
    sla: t.field({ type: SlaRef, select: { columns: { sla: true } }, nullable: true, description: 'SLA targets.', resolve: (f) => f.sla }),
    quotas: t.field({ type: [QuotaRef], select: { columns: { quotas: true } }, description: 'Per-worker quotas.', resolve: (f) => f.quotas }),
    balancing: t.field({ type: BalancingRef, select: { columns: { balancing: true } }, description: 'Default balancing.', resolve: (f) => f.balancing }),
    distributor: t.exposeString('distributor', { nullable: true, description: 'Slug of the protocol that chooses workers for CUSTOM.' }),
    resourceLimits: t.field({ type: ResourceLimitsRef, select: { columns: { resourceLimits: true } }, nullable: true, description: 'Resources per worker.', resolve: (f) => f.resourceLimits }),
    timezone: t.exposeString('timezone', { description: 'IANA time zone for schedules, shifts and quota periods.' }),
    retry: t.field({
      type: RetryPolicyRef,
      select: { columns: { retry: true } },
      nullable: true,
      description: 'Retry policy of its tasks that have none of their own; null: one attempt.',
      resolve: (f) => f.retry,
    }),
    // t.relatedCount and related totalCounts render broken SQL on drizzle-orm 1.0.0-rc.5
    // (plugin-drizzle 0.20 passes relationToSQL's chunk arrays as SQL), so counts are ours.
    size: t.int({
      description: 'Members: workers of the fleet neither offboarded nor retiring.',
      select: {
        extras: {
          workerCount: (fleet, { sql }) =>
            sql<number>`(select count(*)::int from workers where workers.fleet_id = ${fleet.id} and workers.lifecycle <> 'OFFBOARDED'
              and not exists (select 1 from fleet_retirements r where r.worker_id = workers.id))`,
        },
      },
      resolve: (fleet) => fleet.workerCount,
    }),
    workers: t.drizzleConnection({
      type: 'workers',
      description: 'Workers of the fleet (offboarded ones included), oldest first.',
      totalCount: (fleet, _args, ctx) => ctx.db.$count(workers, eq(workers.fleetId, fleet.id)),
      resolve: (query, fleet, _args, ctx) =>
        ctx.db.query.workers.findMany(query({ where: { fleetId: fleet.id }, orderBy: { id: 'asc' } })),
    }),
    queue: t.drizzleConnection({
      type: 'tasks',
      description: 'The fleet queue: PENDING tasks in the order they are handed out (most urgent, then oldest, first).',
      totalCount: (fleet, _args, ctx) => ctx.db.$count(tasks, and(eq(tasks.fleetId, fleet.id), isQueued)),
      resolve: (query, fleet, _args, ctx) =>
        ctx.db.query.tasks.findMany(
          query({ where: { fleetId: fleet.id, status: { in: [...QUEUED_TASK_STATUSES] } }, orderBy: { priority: 'asc', id: 'asc' } }),
        ),
    }),
    teams: t.relation('teams', { description: 'Teams formed in the fleet.' }),
    shifts: t.relation('shifts', { description: 'Configured shifts.' }),
    lastScaledAt: t.expose('lastScaledAt', { type: 'DateTime', nullable: true, description: 'When the fleet was last resized.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
  }),
});

const TeamSlotRef = builder.objectRef<TeamSlot>('TeamSlot').implement({
  description: 'A named slot of workers in a team, e.g. researchers: 5.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Slot name.' }),
    size: t.exposeInt('size', { description: 'Workers in the slot.' }),
  }),
});

const PipelineStageRef = builder.objectRef<TeamWorkflow['stages'][number]>('PipelineStage').implement({
  description: 'One stage of a team pipeline.',
  fields: (t) => ({
    slot: t.exposeString('slot', { description: 'Slot whose workers do the stage.' }),
    action: t.exposeString('action', { description: 'Task action.' }),
    input: t.exposeString('input', { nullable: true, description: 'Name of the earlier output it takes.' }),
    output: t.exposeString('output', { nullable: true, description: 'Name of what it produces.' }),
  }),
});

export const Team = builder.drizzleNode('teams', {
  name: 'Team',
  description: 'Workers of a fleet grouped in named slots, with a pipeline workflow or a focus.',
  id: { column: (team) => team.id },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Team name.' }),
    fleet: t.relation('fleet', { description: 'The fleet the team belongs to.' }),
    slots: t.field({ type: [TeamSlotRef], description: 'Named slots.', resolve: (team) => team.slots }),
    stages: t.field({ type: [PipelineStageRef], description: 'Pipeline stages, in order; none for a focus team.', resolve: (team) => team.workflow?.stages ?? [] }),
    focus: t.exposeString('focus', { nullable: true, description: 'What the team works on, e.g. `enterprise_accounts`.' }),
    workers: t.relation('workers', { description: 'Members.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
  }),
});

export const Shift = builder.drizzleNode('shifts', {
  name: 'Shift',
  description: 'A recurring working window of a fleet in its time zone.',
  id: { column: (shift) => shift.id },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Shift name, e.g. `Morning Shift`.' }),
    fleet: t.relation('fleet', { description: 'The fleet.' }),
    startTime: t.exposeString('startTime', { description: 'Local start, `H:MM`.' }),
    endTime: t.exposeString('endTime', { description: 'Local end, `H:MM`; before the start means it crosses midnight.' }),
    days: t.exposeStringList('days', { description: 'Weekdays (monday … sunday).' }),
    workerCount: t.exposeInt('workerCount', { description: 'Workers on duty.' }),
    timezone: t.exposeString('timezone', { description: 'IANA time zone.' }),
    workers: t.relation('workers', { description: 'Workers assigned to the shift.' }),
  }),
});
