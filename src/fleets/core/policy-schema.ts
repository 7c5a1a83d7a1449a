/** GraphQL fleet policy operations: fleet, fleets, createFleet, updateFleet, deleteFleet. */
import { eq } from 'drizzle-orm';

import { findFirstPrepared } from '../../db/prepared-reads.js';
import { fleets } from '../../db/schema.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { builder } from '../../graphql/builder.js';
import { RetryPolicyInput } from '../../tasks/retry-schema.js';
import { SkillInput, Worker } from '../../workers/schema.js';
import { FleetTeamInput } from '../teams/schema.js';
import { AssignmentStrategyEnum, Fleet, PriorityTargetEnum, QuotaPeriodEnum, ScalingActionEnum, ScalingMetricEnum, ScalingModeEnum } from './schema.js';
import { createFleet, deleteFleet, updateFleet, type FleetDeletion } from './service.js';

const WorkerTemplateInput = builder.inputType('WorkerTemplateInput', {
  description: 'What the fleet hires from.',
  fields: (t) => ({
    role: t.string({ required: true, description: 'Role.' }),
    capabilities: t.stringList({ description: 'Capabilities.' }),
    skills: t.field({ type: [SkillInput], description: 'Skills; a skill given by name alone has level INTERMEDIATE.' }),
    model: t.string({ description: 'Model: `vendor/model`, or a short id such as `gpt-4o` or `claude-sonnet-4.5`.' }),
    protocol: t.string({ description: 'Protocol slug.' }),
    concurrency: t.int({ description: 'Tasks each worker works on at once (default 1).' }),
  }),
});

const ScalingRuleInput = builder.inputType('ScalingRuleInput', {
  description: 'An autoscaling rule.',
  fields: (t) => ({
    metric: t.field({ type: ScalingMetricEnum, required: true, description: 'Watched metric.' }),
    threshold: t.float({ required: true, description: 'Threshold: queue length, utilization 0–1, or seconds.' }),
    action: t.field({ type: ScalingActionEnum, required: true, description: 'Action.' }),
    step: t.int({ required: true, description: 'Workers per action.' }),
  }),
});

const ScheduleTargetInput = builder.inputType('ScalingScheduleTargetInput', {
  description: 'A time-of-day size target.',
  fields: (t) => ({
    hours: t.string({ required: true, description: '`H:MM-H:MM` in the fleet’s time zone.' }),
    target: t.int({ required: true, description: 'Worker count, within [min, max].' }),
  }),
});

const ScalingInput = builder.inputType('FleetScalingInput', {
  description:
    'Scaling policy; omitted fields take their defaults (MANUAL, or AUTO when `metric` is given; 0–10; cooldown 300 s). docs/autoscaling.md describes each form.',
  fields: (t) => ({
    mode: t.field({ type: ScalingModeEnum, description: 'Manual or automatic (default MANUAL, AUTO with `metric`). Schedule windows resize the fleet in both modes.' }),
    min: t.int({ description: 'Fewest workers; the fleet hires them when created.' }),
    max: t.int({ description: 'Most workers.' }),
    rules: t.field({ type: [ScalingRuleInput], description: 'Rules.' }),
    cooldownSeconds: t.int({ description: 'Seconds between actions.' }),
    aggressive: t.boolean({ description: 'Faster scale-up.' }),
    schedule: t.field({ type: [ScheduleTargetInput], description: 'Time-of-day targets.' }),
    metric: t.field({
      type: ScalingMetricEnum,
      description: 'The fleet document’s target form: the metric the fleet is sized by, with `target` its value per worker (`QUEUE_DEPTH`, `target: 100`: one worker per 100 queued tasks).',
    }),
    target: t.float({
      description: 'The value of `metric` per worker: tasks queued per worker, utilization 0–1, or seconds of wait. Default 5 for QUEUE_DEPTH; required with the others.',
    }),
  }),
});

const SlaInput = builder.inputType('FleetSlaInput', {
  description: 'SLA targets.',
  fields: (t) => ({
    responseTimeSeconds: t.int({ description: 'Queueing to start, seconds.' }),
    resolutionTimeSeconds: t.int({ description: 'Queueing to completion, seconds.' }),
    responseTime: t.int({ description: 'The fleet document’s name for `responseTimeSeconds` (seconds); give one of the two.' }),
    resolutionTime: t.int({ description: 'The fleet document’s name for `resolutionTimeSeconds` (seconds); give one of the two.' }),
  }),
});

const QuotaInput = builder.inputType('FleetQuotaInput', {
  description: 'A per-worker quota.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Name, e.g. `leadsPerWorker`.' }),
    action: t.string({ description: 'Task action it counts (default: every task).' }),
    limit: t.int({ required: true, description: 'Tasks per worker per period.' }),
    period: t.field({ type: QuotaPeriodEnum, description: 'Default MONTHLY.' }),
  }),
});

export const PriorityRuleInput = builder.inputType('PriorityRuleInput', {
  description: 'A PRIORITY rule.',
  fields: (t) => ({
    priority: t.string({ required: true, description: 'Task priority: CRITICAL, HIGH, NORMAL or LOW.' }),
    assignTo: t.field({ type: PriorityTargetEnum, required: true, description: 'Who gets those tasks.' }),
  }),
});

export const SkillMatchingInput = builder.inputType('SkillMatchingInput', {
  description: 'SKILL_BASED matching.',
  fields: (t) => ({
    required: t.stringList({ description: 'Skills (or capabilities) a worker must have.' }),
    preferred: t.stringList({ description: 'Skills that rank workers, weighted by level.' }),
  }),
});

const BalancingInput = builder.inputType('FleetBalancingInput', {
  description: 'Default balancing.',
  fields: (t) => ({
    strategy: t.field({ type: AssignmentStrategyEnum, description: 'Default LEAST_LOADED.' }),
    skillMatching: t.field({ type: SkillMatchingInput, description: 'SKILL_BASED matching.' }),
    priorityRules: t.field({ type: [PriorityRuleInput], description: 'PRIORITY rules.' }),
  }),
});

const ResourceLimitsInput = builder.inputType('FleetResourceLimitsInput', {
  description: 'Resources per worker.',
  fields: (t) => ({
    cpuPerWorker: t.string({ description: 'CPU, e.g. `2000m`.' }),
    memoryPerWorker: t.string({ description: 'Memory, e.g. `4Gi`.' }),
  }),
});

const CreateFleetInput = builder.inputType('CreateFleetInput', {
  description: 'A new fleet; it hires `scaling.min` workers at once (the active schedule window’s target, if any), and what its `teams` need.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Display name.' }),
    description: t.string({ description: 'What it is for.' }),
    workerTemplate: t.field({ type: WorkerTemplateInput, required: true, description: 'Template for hired workers.' }),
    scaling: t.field({ type: ScalingInput, description: 'Scaling policy.' }),
    sla: t.field({ type: SlaInput, description: 'SLA targets.' }),
    quotas: t.field({ type: [QuotaInput], description: 'Per-worker quotas.' }),
    balancing: t.field({ type: BalancingInput, description: 'Default balancing.' }),
    distributor: t.string({ description: 'Protocol slug that chooses workers for CUSTOM.' }),
    resourceLimits: t.field({ type: ResourceLimitsInput, description: 'Resources per worker.' }),
    timezone: t.string({ description: 'IANA time zone, default UTC.' }),
    teams: t.field({
      type: [FleetTeamInput],
      description: 'Teams formed with the fleet, hiring the workers they need (without `scaling.max`, their total is the max when above the default).',
    }),
    retry: t.field({ type: RetryPolicyInput, description: 'Retry policy of its tasks that have none of their own; omitted: one attempt.' }),
  }),
});

const UpdateFleetInput = builder.inputType('UpdateFleetInput', {
  description: 'Policies to replace; omitted ones stay.',
  fields: (t) => ({
    fleetId: t.globalID({ required: true, for: Fleet, description: 'The fleet.' }),
    name: t.string({ description: 'Display name.' }),
    description: t.string({ description: 'What it is for.' }),
    workerTemplate: t.field({ type: WorkerTemplateInput, description: 'Template for workers hired from now on.' }),
    scaling: t.field({ type: ScalingInput, description: 'Scaling policy (whole).' }),
    sla: t.field({ type: SlaInput, description: 'SLA targets.' }),
    quotas: t.field({ type: [QuotaInput], description: 'Per-worker quotas (all of them).' }),
    balancing: t.field({ type: BalancingInput, description: 'Default balancing.' }),
    distributor: t.string({ description: 'Protocol slug that chooses workers for CUSTOM.' }),
    resourceLimits: t.field({ type: ResourceLimitsInput, description: 'Resources per worker.' }),
    timezone: t.string({ description: 'IANA time zone.' }),
    retry: t.field({ type: RetryPolicyInput, description: 'Retry policy of its tasks that have none of their own (whole).' }),
  }),
});

/** GraphQL's policy input as the services take it: `protocol` is the template's protocol slug. */
function policyOf<Input extends { workerTemplate?: { protocol?: string | null } | null }>(input: Input) {
  const { workerTemplate } = input;
  return { ...input, workerTemplate: workerTemplate ? { ...workerTemplate, protocolSlug: workerTemplate.protocol } : workerTemplate };
}

builder.queryFields((t) => ({
  fleet: t.drizzleField({
    type: 'fleets',
    nullable: true,
    description: 'One fleet by global ID.',
    args: { id: t.arg.globalID({ required: true, for: Fleet, description: 'Global ID of the fleet.' }) },
    resolve: (query, _root, { id }, ctx) => findFirstPrepared(ctx.db, 'fleets', query, { id: id.id, organizationId: ctx.actor.organizationId }),
  }),
  fleets: t.drizzleConnection({
    type: 'fleets',
    description: 'Fleets, oldest first.',
    totalCount: (_root, _args, ctx) => ctx.db.$count(fleets, eq(fleets.organizationId, ctx.actor.organizationId)),
    resolve: (query, _root, _args, ctx) =>
      ctx.db.query.fleets.findMany(query({ where: { organizationId: ctx.actor.organizationId }, orderBy: { id: 'asc' } })),
  }),
}));

const FleetDeletionRef = builder.objectRef<FleetDeletion>('FleetDeletion').implement({
  description: 'What deleting a fleet did to its open work and its workers.',
  fields: (t) => ({
    deletedFleetId: t.globalID({ description: 'Global ID of the deleted fleet.', resolve: (d) => ({ type: 'Fleet', id: d.fleet.id }) }),
    name: t.string({ description: 'Its name.', resolve: (d) => d.fleet.name }),
    tasksCancelled: t.exposeInt('tasksCancelled', { description: 'Tasks that waited in its queue, cancelled.' }),
    releasedWorkers: t.field({
      type: [Worker],
      description: 'Its workers: they keep their lifecycle and the tasks they hold, without a fleet, team or shift.',
      resolve: (d, _args, ctx) => (d.workersReleased.length ? ctx.db.query.workers.findMany({ where: { id: { in: d.workersReleased } }, orderBy: { id: 'asc' } }) : []),
    }),
    teamsDeleted: t.exposeInt('teamsDeleted', { description: 'Its teams, deleted (their running pipelines stopped, open stage tasks cancelled).' }),
    schedulesDeleted: t.exposeInt('schedulesDeleted', { description: 'Recurring schedules that queued into it, deleted.' }),
    triggersDeleted: t.exposeInt('triggersDeleted', { description: 'Triggers that queued into it, deleted.' }),
  }),
});

const DeleteFleetInput = builder.inputType('DeleteFleetInput', {
  description: 'The fleet to delete.',
  fields: (t) => ({ fleetId: t.globalID({ required: true, for: Fleet, description: 'The fleet.' }) }),
});

builder.mutationFields((t) => ({
  deleteFleet: t.field({
    authScopes: { admin: true },
    type: FleetDeletionRef,
    description:
      'Deletes a fleet. Tasks waiting in its queue are cancelled; its teams are deleted (running pipelines stop, their open stage tasks are cancelled); its workers are released, not offboarded: they keep their lifecycle and the tasks they hold (that work goes on) and belong to no fleet, team or shift; a retiring worker stays ACTIVE. Its shifts, alerts, recurring schedules and triggers go with it. Appends `Fleet.task.cancelled` per cancelled queued task, `Team.deleted` per team and `Fleet.deleted`.',
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: DeleteFleetInput, required: true }) },
    resolve: (_root, { input }, ctx) => deleteFleet(ctx, ctx.actor.organizationId, input.fleetId.id),
  }),
  createFleet: t.field({
    authScopes: { admin: true },
    type: Fleet,
    description: 'Creates a fleet and hires its `min` workers. Appends `Fleet.created` (and `Fleet.scaled`).',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: CreateFleetInput, required: true }) },
    resolve: (_root, { input }, ctx) => createFleet(ctx, ctx.actor.organizationId, policyOf(input)),
  }),
  updateFleet: t.field({
    authScopes: { admin: true },
    type: Fleet,
    description: 'Replaces the policies given; a new [min, max] resizes the fleet into it. Appends `Fleet.updated`.',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: UpdateFleetInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      updateFleet(ctx, ctx.actor.organizationId, { ...policyOf(input), fleetId: input.fleetId.id }),
  }),
}));
