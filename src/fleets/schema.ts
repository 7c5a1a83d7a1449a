/** GraphQL types and operations of fleets, teams and shifts (API.md "Fleets, teams, shifts"). */
import { and, eq } from 'drizzle-orm';

import type { FleetScaling, ScalingRule, TeamSlot, TeamWorkflow } from '../db/documents.js';
import { fleets, workers } from '../db/schema.js';
import { ValidationError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import { SkillInput, SkillRef } from '../workers/schema.js';
import { createFleet, type CreateFleetInput as CreateFleetInputData } from './service.js';

const ScalingMetricEnum = builder.enumType('ScalingMetric', {
  description: 'What a scaling rule watches.',
  values: {
    QUEUE_DEPTH: { description: 'Tasks waiting in the fleet queue.' },
    AVG_UTILIZATION: { description: 'Busy workers / all workers, 0–1.' },
    RESPONSE_TIME: { description: 'Average wait before a task starts, seconds.' },
  },
});

const ScalingActionEnum = builder.enumType('ScalingAction', {
  description: 'What a scaling rule does when its threshold is crossed.',
  values: { SCALE_UP: { description: 'Add workers.' }, SCALE_DOWN: { description: 'Retire workers.' } },
});

const ScalingModeEnum = builder.enumType('ScalingMode', {
  description: 'Who decides the fleet size.',
  values: { MANUAL: { description: 'Only scale mutations.' }, AUTO: { description: 'The autoscaler, by rules and schedule.' } },
});

const ScalingRuleRef = builder.objectRef<ScalingRule>('ScalingRule').implement({
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

const ScalingRef = builder.objectRef<FleetScaling>('FleetScaling').implement({
  description: 'How the fleet grows and shrinks.',
  fields: (t) => ({
    mode: t.field({ type: ScalingModeEnum, description: 'Manual or automatic.', resolve: (s) => s.mode }),
    min: t.exposeInt('min', { description: 'Fewest workers.' }),
    max: t.exposeInt('max', { description: 'Most workers.' }),
    rules: t.field({ type: [ScalingRuleRef], description: 'Autoscaling rules.', resolve: (s) => s.rules }),
    cooldownSeconds: t.exposeInt('cooldownSeconds', { description: 'Minimum time between two scaling actions.' }),
    aggressive: t.exposeBoolean('aggressive', { description: 'Scale up faster (batch workloads).' }),
    schedule: t.field({ type: [ScheduleTargetRef], description: 'Time-of-day targets.', resolve: (s) => s.schedule }),
  }),
});

const WorkerTemplateRef = builder.objectRef<(typeof fleets.$inferSelect)['workerTemplate']>('WorkerTemplate').implement({
  description: 'What the fleet hires its workers from.',
  fields: (t) => ({
    role: t.exposeString('role', { description: 'Role of hired workers.' }),
    capabilities: t.exposeStringList('capabilities', { description: 'Capabilities of hired workers.' }),
    skills: t.field({ type: [SkillRef], description: 'Skills of hired workers.', resolve: (w) => w.skills }),
    model: t.exposeString('model', { nullable: true, description: 'Model of hired workers.' }),
    protocol: t.exposeString('protocolSlug', { nullable: true, description: 'Slug of the protocol hired workers execute.' }),
  }),
});

const SlaRef = builder.objectRef<NonNullable<(typeof fleets.$inferSelect)['sla']>>('FleetSla').implement({
  description: 'Service-level targets per task.',
  fields: (t) => ({
    responseTimeSeconds: t.exposeInt('responseTimeSeconds', { nullable: true, description: 'Time from queueing to start.' }),
    resolutionTimeSeconds: t.exposeInt('resolutionTimeSeconds', { nullable: true, description: 'Time from queueing to completion.' }),
  }),
});

export const Fleet = builder.drizzleNode('fleets', {
  name: 'Fleet',
  description: 'A pool of workers made from a template; work sent to it is queued and balanced.',
  id: { column: (fleet) => fleet.id },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name.' }),
    description: t.exposeString('description', { nullable: true, description: 'What the fleet is for.' }),
    workerTemplate: t.field({ type: WorkerTemplateRef, description: 'Template for hired workers.', resolve: (f) => f.workerTemplate }),
    scaling: t.field({ type: ScalingRef, description: 'Scaling policy.', resolve: (f) => f.scaling }),
    sla: t.field({ type: SlaRef, nullable: true, description: 'SLA targets.', resolve: (f) => f.sla }),
    quotas: t.expose('quotas', { type: 'JSON', nullable: true, description: 'Per-worker quotas per period, e.g. {"leadsPerWorker": 100}.' }),
    timezone: t.exposeString('timezone', { description: 'IANA time zone for schedules and shifts.' }),
    // t.relatedCount and related totalCounts render broken SQL on drizzle-orm 1.0.0-rc.5
    // (plugin-drizzle 0.20 passes relationToSQL's chunk arrays as SQL), so counts are ours.
    size: t.int({
      description: 'Number of workers in the fleet.',
      select: {
        extras: {
          workerCount: (fleet, { sql }) => sql<number>`(select count(*)::int from workers where workers.fleet_id = ${fleet.id})`,
        },
      },
      resolve: (fleet) => fleet.workerCount,
    }),
    workers: t.drizzleConnection({
      type: 'workers',
      description: 'Workers of the fleet, oldest first.',
      totalCount: (fleet, _args, ctx) => ctx.db.$count(workers, eq(workers.fleetId, fleet.id)),
      resolve: (query, fleet, _args, ctx) =>
        ctx.db.query.workers.findMany(query({ where: { fleetId: fleet.id }, orderBy: { id: 'asc' } })),
    }),
    teams: t.relation('teams', { description: 'Teams formed in the fleet.' }),
    shifts: t.relation('shifts', { description: 'Configured shifts.' }),
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
    input: t.exposeString('input', { nullable: true, description: 'Name of the previous stage’s output it takes.' }),
    output: t.exposeString('output', { nullable: true, description: 'Name of what it produces.' }),
  }),
});

export const Team = builder.drizzleNode('teams', {
  name: 'Team',
  description: 'Workers of a fleet grouped in named slots, with a pipeline workflow.',
  id: { column: (team) => team.id },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Team name.' }),
    fleet: t.relation('fleet', { description: 'The fleet the team belongs to.' }),
    slots: t.field({ type: [TeamSlotRef], description: 'Named slots.', resolve: (team) => team.slots }),
    stages: t.field({ type: [PipelineStageRef], description: 'Pipeline stages, in order.', resolve: (team) => team.workflow?.stages ?? [] }),
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

const WorkerTemplateInput = builder.inputType('WorkerTemplateInput', {
  description: 'What the fleet hires from.',
  fields: (t) => ({
    role: t.string({ required: true, description: 'Role.' }),
    capabilities: t.stringList({ description: 'Capabilities.' }),
    skills: t.field({ type: [SkillInput], description: 'Skills.' }),
    model: t.string({ description: 'Model, `vendor/model`.' }),
    protocol: t.string({ description: 'Protocol slug.' }),
  }),
});

const ScalingRuleInput = builder.inputType('ScalingRuleInput', {
  description: 'An autoscaling rule.',
  fields: (t) => ({
    metric: t.field({ type: ScalingMetricEnum, required: true, description: 'Watched metric.' }),
    threshold: t.float({ required: true, description: 'Threshold.' }),
    action: t.field({ type: ScalingActionEnum, required: true, description: 'Action.' }),
    step: t.int({ required: true, description: 'Workers per action.' }),
  }),
});

const ScheduleTargetInput = builder.inputType('ScalingScheduleTargetInput', {
  description: 'A time-of-day size target.',
  fields: (t) => ({
    hours: t.string({ required: true, description: '`H:MM-H:MM`.' }),
    target: t.int({ required: true, description: 'Worker count.' }),
  }),
});

const ScalingInput = builder.inputType('FleetScalingInput', {
  description: 'Scaling policy; omitted fields take their defaults (MANUAL, 0–10, cooldown 300 s).',
  fields: (t) => ({
    mode: t.field({ type: ScalingModeEnum, description: 'Manual or automatic.' }),
    min: t.int({ description: 'Fewest workers.' }),
    max: t.int({ description: 'Most workers.' }),
    rules: t.field({ type: [ScalingRuleInput], description: 'Rules.' }),
    cooldownSeconds: t.int({ description: 'Seconds between actions.' }),
    aggressive: t.boolean({ description: 'Faster scale-up.' }),
    schedule: t.field({ type: [ScheduleTargetInput], description: 'Time-of-day targets.' }),
  }),
});

const SlaInput = builder.inputType('FleetSlaInput', {
  description: 'SLA targets.',
  fields: (t) => ({
    responseTimeSeconds: t.int({ description: 'Queue to start.' }),
    resolutionTimeSeconds: t.int({ description: 'Queue to completion.' }),
  }),
});

const CreateFleetInput = builder.inputType('CreateFleetInput', {
  description: 'A new fleet (seed workers.do.md "createFleet").',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Display name.' }),
    description: t.string({ description: 'What it is for.' }),
    workerTemplate: t.field({ type: WorkerTemplateInput, required: true, description: 'Template for hired workers.' }),
    scaling: t.field({ type: ScalingInput, description: 'Scaling policy.' }),
    sla: t.field({ type: SlaInput, description: 'SLA targets.' }),
    quotas: t.field({ type: 'JSON', description: 'Quotas, e.g. {"leadsPerWorker": 100}.' }),
    timezone: t.string({ description: 'IANA time zone, default UTC.' }),
  }),
});

builder.queryFields((t) => ({
  fleet: t.drizzleField({
    type: 'fleets',
    nullable: true,
    description: 'One fleet by global ID.',
    args: { id: t.arg.globalID({ required: true, for: Fleet, description: 'Global ID of the fleet.' }) },
    resolve: (query, _root, { id }, ctx) =>
      ctx.db.query.fleets.findFirst(query({ where: { id: id.id, organizationId: ctx.actor.organizationId } })),
  }),
  fleets: t.drizzleConnection({
    type: 'fleets',
    description: 'Fleets, oldest first.',
    totalCount: (_root, _args, ctx) => ctx.db.$count(fleets, and(eq(fleets.organizationId, ctx.actor.organizationId))),
    resolve: (query, _root, _args, ctx) =>
      ctx.db.query.fleets.findMany(query({ where: { organizationId: ctx.actor.organizationId }, orderBy: { id: 'asc' } })),
  }),
}));

builder.mutationField('createFleet', (t) =>
  t.field({
    authScopes: { admin: true },
    type: Fleet,
    description: 'Creates a fleet. Appends `Fleet.created`.',
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: CreateFleetInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      createFleet(ctx, ctx.actor.organizationId, {
        ...input,
        quotas: input.quotas as CreateFleetInputData['quotas'],
        workerTemplate: { ...input.workerTemplate, protocolSlug: input.workerTemplate.protocol },
      }),
  }),
);

