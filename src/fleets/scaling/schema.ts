/**
 * GraphQL operations of scaling (scaleFleet, scaleFleetUp, scaleFleetDown,
 * evaluateFleetScaling).
 */
import type { ScalingDecision, ScalingMetrics } from '../../db/documents.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { builder } from '../../graphql/builder.js';
import { Worker } from '../../workers/schema.js';
import { evaluateFleetScaling, type ScalingEvaluation } from './autoscaler.js';
import { scaleFleet, scaleFleetDown, scaleFleetUp, type ScaleOutcome } from './resize.js';
import { Fleet, ScalingRuleRef } from '../core/schema.js';

export const ScaleResultRef = builder.objectRef<ScaleOutcome>('FleetScaleResult').implement({
  description: 'What a resize did.',
  fields: (t) => ({
    fleet: t.field({ type: Fleet, description: 'The fleet after the resize.', resolve: (r) => r.fleet }),
    previousSize: t.exposeInt('from', { description: 'Members before.' }),
    size: t.exposeInt('to', { description: 'Members after.' }),
    hired: t.field({ type: [Worker], description: 'Workers hired from the template (ACTIVE at once).', resolve: (r) => r.hired }),
    kept: t.field({ type: [Worker], description: 'Retiring workers taken back instead of hiring.', resolve: (r) => r.kept }),
    retired: t.field({ type: [Worker], description: 'Idle workers offboarded.', resolve: (r) => r.retired }),
    draining: t.field({
      type: [Worker],
      description: 'Busy workers finishing their running tasks before they are offboarded; their unstarted tasks went back to the queue.',
      resolve: (r) => r.draining,
    }),
    reason: t.exposeString('reason', { description: 'Why.' }),
  }),
});

const ScaleFleetInput = builder.inputType('ScaleFleetInput', {
  description: 'A fleet and the worker count it should have.',
  fields: (t) => ({
    fleetId: t.globalID({ required: true, for: Fleet, description: 'The fleet.' }),
    count: t.int({ required: true, description: 'Members wanted, within [min, max].' }),
  }),
});

const ScaleFleetByInput = builder.inputType('ScaleFleetByInput', {
  description: 'A fleet and how many workers to add or retire.',
  fields: (t) => ({
    fleetId: t.globalID({ required: true, for: Fleet, description: 'The fleet.' }),
    by: t.int({ required: true, description: 'Workers, at least 1; the change stops at the bound.' }),
  }),
});

const scaleErrors = { types: [ValidationError, NotFoundError] };

builder.mutationFields((t) => ({
  scaleFleet: t.field({
    type: ScaleResultRef,
    description: 'Resizes a fleet to `count` workers: hires from the template, or retires idle workers first (busy ones finish). Appends `Fleet.scaled`.',
    errors: scaleErrors,
    args: { input: t.arg({ type: ScaleFleetInput, required: true }) },
    resolve: (_root, { input }, ctx) => scaleFleet(ctx, ctx.actor.organizationId, { ...input, fleetId: input.fleetId.id }),
  }),
  scaleFleetUp: t.field({
    type: ScaleResultRef,
    description: 'Adds `by` workers, stopping at max. Appends `Fleet.scaled`.',
    errors: scaleErrors,
    args: { input: t.arg({ type: ScaleFleetByInput, required: true }) },
    resolve: (_root, { input }, ctx) => scaleFleetUp(ctx, ctx.actor.organizationId, { ...input, fleetId: input.fleetId.id }),
  }),
  scaleFleetDown: t.field({
    type: ScaleResultRef,
    description: 'Retires `by` workers, stopping at min; idle workers go first, busy ones finish their running tasks. Appends `Fleet.scaled`.',
    errors: scaleErrors,
    args: { input: t.arg({ type: ScaleFleetByInput, required: true }) },
    resolve: (_root, { input }, ctx) => scaleFleetDown(ctx, ctx.actor.organizationId, { ...input, fleetId: input.fleetId.id }),
  }),
}));

const DecisionActionEnum = builder.enumType('ScalingDecisionAction', {
  description: 'What the autoscaler decided.',
  values: { SCALE_UP: { description: 'Grow.' }, SCALE_DOWN: { description: 'Shrink.' }, NONE: { description: 'Stay (see the reason).' } },
});

const MetricsRef = builder.objectRef<ScalingMetrics>('ScalingMetrics').implement({
  description: 'The metrics a decision was made on.',
  fields: (t) => ({
    queueDepth: t.exposeInt('queueDepth', { description: 'Tasks in the fleet queue.' }),
    avgUtilization: t.exposeFloat('avgUtilization', { description: 'Busy slots / all slots of serving workers, 0–1.' }),
    responseTimeSeconds: t.exposeFloat('responseTimeSeconds', { description: 'Mean wait from queueing to start, seconds.' }),
  }),
});

export const DecisionRef = builder.objectRef<ScalingDecision>('ScalingDecision').implement({
  description: 'One autoscaler decision and why.',
  fields: (t) => ({
    at: t.field({ type: 'DateTime', description: 'When it was made.', resolve: (d) => new Date(d.at) }),
    action: t.field({ type: DecisionActionEnum, description: 'Grow, shrink or stay.', resolve: (d) => d.action }),
    from: t.exposeInt('from', { description: 'Members before.' }),
    to: t.exposeInt('to', { description: 'Members wanted.' }),
    reason: t.exposeString('reason', { description: 'Which rule or schedule decided, with the metric value; or why nothing happened.' }),
    ruleIndex: t.exposeInt('ruleIndex', { nullable: true, description: 'Position (0-based) of the deciding rule in `scaling.rules`.' }),
    rule: t.field({ type: ScalingRuleRef, nullable: true, description: 'The deciding rule, as it was.', resolve: (d) => d.rule }),
    metrics: t.field({ type: MetricsRef, description: 'The metrics it saw.', resolve: (d) => d.metrics }),
    applied: t.exposeBoolean('applied', { description: 'Whether the fleet was resized (AUTO mode, not a dry run).' }),
  }),
});

const EvaluationRef = builder.objectRef<ScalingEvaluation>('ScalingEvaluation').implement({
  description: 'An evaluation of the autoscaler.',
  fields: (t) => ({
    fleet: t.field({ type: Fleet, description: 'The fleet after it.', resolve: (e) => e.fleet }),
    decision: t.field({ type: DecisionRef, description: 'The decision.', resolve: (e) => e.decision }),
    scaled: t.field({ type: ScaleResultRef, nullable: true, description: 'The resize, when applied.', resolve: (e) => e.outcome }),
  }),
});

const EvaluateFleetScalingInput = builder.inputType('EvaluateFleetScalingInput', {
  description: 'The fleet to evaluate.',
  fields: (t) => ({
    fleetId: t.globalID({ required: true, for: Fleet, description: 'The fleet.' }),
    dryRun: t.boolean({ description: 'Decide without resizing (default false; MANUAL fleets are never resized).' }),
  }),
});

builder.drizzleObjectFields(Fleet, (t) => ({
  lastScalingDecision: t.field({
    type: DecisionRef,
    nullable: true,
    description: 'The autoscaler’s last decision.',
    select: { columns: { lastScalingDecision: true } },
    resolve: (fleet) => fleet.lastScalingDecision,
  }),
}));

builder.mutationField('evaluateFleetScaling', (t) =>
  t.field({
    type: EvaluationRef,
    description:
      'Runs the autoscaler once (the scheduler does so every 15 s for AUTO fleets): measures queue depth, utilization and ' +
      'response time, decides by rules, schedule, cooldown and bounds, and resizes an AUTO fleet. Appends `Fleet.scaled` when it resizes.',
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: EvaluateFleetScalingInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      evaluateFleetScaling(ctx, ctx.actor.organizationId, input.fleetId.id, { dryRun: input.dryRun ?? false }),
  }),
);
