/**
 * The fleet's policies as inputs (docs/product/fleets.md "createFleet"): worker template,
 * scaling, SLA, quotas, balancing, resource limits. Each is a zod model shared by
 * `createFleet` and `updateFleet`, so both report the same paths for the same mistakes.
 */
import { z } from 'zod';

import type { FleetBalancing, FleetScaling, PriorityRule } from '../../db/documents.js';
import { RetryPolicyModel } from '../../tasks/retry.js';
import { TaskPriorityModel } from '../../tasks/service.js';
import { aliased, ModelId, RoleModel, SkillModel, TimeZone, withDefault } from '../../validation.js';
import { TeamModel } from '../teams/model.js';

const Name = z.string().trim().min(1, 'must not be empty').max(200);

/** `H:MM-H:MM` in local wall-clock time; an end before the start crosses midnight. */
export const HoursModel = z
  .string()
  .trim()
  .regex(/^([01]?\d|2[0-4]):[0-5]\d-([01]?\d|2[0-4]):[0-5]\d$/, 'must be H:MM-H:MM, e.g. 8:00-16:00 or 20:00-8:00');

export const WorkerTemplateModel = z.object({
  role: RoleModel,
  capabilities: withDefault(z.array(Name), []),
  skills: withDefault(z.array(SkillModel), []),
  model: ModelId.nullish(),
  protocolSlug: z.string().trim().min(1).nullish(),
  concurrency: withDefault(z.number().int().min(1, 'must be at least 1').max(100), 1),
});

const ScalingRuleModel = z.object({
  metric: z.enum(['QUEUE_DEPTH', 'AVG_UTILIZATION', 'RESPONSE_TIME']),
  threshold: z.number().finite().nonnegative(),
  action: z.enum(['SCALE_UP', 'SCALE_DOWN']),
  step: z.number().int().positive().max(1000),
});

/** The defaults of an omitted scaling policy: manual, 0–10 workers, 300 s cooldown. */
export const DEFAULT_SCALING: FleetScaling = {
  mode: 'MANUAL',
  min: 0,
  max: 10,
  rules: [],
  cooldownSeconds: 300,
  aggressive: false,
  schedule: [],
  metric: null,
  target: null,
};

/**
 * The per-worker target of a `metric` given without `target` (the data processing fleet of
 * docs/product/fleets.md: `metric: 'queue_depth'` alone): 5, KEDA's default for its queue
 * scalers (Azure Storage Queue `queueLength`, Redis list `listLength`). Other metrics need
 * a target.
 */
export const DEFAULT_QUEUE_DEPTH_TARGET = 5;

/** Most workers one fleet may have; a guard against typos such as `max: 100000`. */
export const MAX_FLEET_SIZE = 1000;

/**
 * A scaling policy. `mode` omitted is AUTO when the policy names a `metric` (the fleet
 * document's `metric` + `target` form implies automatic sizing), MANUAL otherwise.
 */
export const ScalingModel = z
  .object({
    mode: z.enum(['MANUAL', 'AUTO']).nullish(),
    min: withDefault(z.number().int().nonnegative(), DEFAULT_SCALING.min),
    max: withDefault(z.number().int().positive().max(MAX_FLEET_SIZE), DEFAULT_SCALING.max),
    rules: withDefault(z.array(ScalingRuleModel), []),
    cooldownSeconds: withDefault(z.number().int().nonnegative(), DEFAULT_SCALING.cooldownSeconds),
    aggressive: withDefault(z.boolean(), false),
    schedule: withDefault(z.array(z.object({ hours: HoursModel, target: z.number().int().nonnegative() })), []),
    metric: ScalingRuleModel.shape.metric.nullish(),
    target: z.number().finite().positive('must be above 0').nullish(),
  })
  .refine((s) => s.min <= s.max, { message: 'min must not exceed max', path: ['min'] })
  .refine((s) => s.schedule.every((entry) => entry.target >= s.min && entry.target <= s.max), {
    message: 'every schedule target must lie within [min, max]',
    path: ['schedule'],
  })
  .refine((s) => s.metric || s.target === null || s.target === undefined, { message: 'a target needs its metric, e.g. QUEUE_DEPTH', path: ['metric'] })
  .refine((s) => !s.metric || s.metric === 'QUEUE_DEPTH' || (s.target !== null && s.target !== undefined), {
    message: 'must be given with AVG_UTILIZATION or RESPONSE_TIME (only QUEUE_DEPTH has a default)',
    path: ['target'],
  })
  .transform(({ mode, metric, target, ...scaling }): FleetScaling => ({
    ...scaling,
    mode: mode ?? (metric ? 'AUTO' : 'MANUAL'),
    metric: metric ?? null,
    target: metric ? (target ?? DEFAULT_QUEUE_DEPTH_TARGET) : null,
  }));

/** SLA targets in seconds, under their own names or the fleet document's (`responseTime`, `resolutionTime`). */
export const SlaModel = z
  .object({
    responseTimeSeconds: z.number().int().positive().nullish(),
    resolutionTimeSeconds: z.number().int().positive().nullish(),
    responseTime: z.number().int().positive().nullish(),
    resolutionTime: z.number().int().positive().nullish(),
  })
  .transform((sla, ctx) => ({
    responseTimeSeconds: aliased(sla, 'responseTimeSeconds', 'responseTime', ctx),
    resolutionTimeSeconds: aliased(sla, 'resolutionTimeSeconds', 'resolutionTime', ctx),
  }));

export const QuotaModel = z.object({
  name: Name,
  action: z.string().trim().min(1).nullish(),
  limit: z.number().int().nonnegative(),
  period: withDefault(z.enum(['DAILY', 'WEEKLY', 'MONTHLY']), 'MONTHLY'),
});

export const StrategyModel = z.enum(['ROUND_ROBIN', 'LEAST_LOADED', 'SKILL_BASED', 'PRIORITY', 'CUSTOM']);

export const PriorityRuleModel = z.object({
  // A string on the way in (GraphQL's input names it so), checked against the priorities.
  priority: z.string().pipe(TaskPriorityModel),
  assignTo: z.enum(['MOST_EXPERIENCED', 'AVAILABLE_EXPERIENCED', 'AVAILABLE']),
});

export const SkillMatchingModel = z.object({
  required: withDefault(z.array(Name), []),
  preferred: withDefault(z.array(Name), []),
});

/**
 * The seed's PRIORITY rules (docs/product/fleets.md "priorityRules"): critical → most
 * experienced, high → available experienced, normal → available. LOW, and any priority
 * no rule names, goes to AVAILABLE.
 */
export const DEFAULT_PRIORITY_RULES: PriorityRule[] = [
  { priority: 'CRITICAL', assignTo: 'MOST_EXPERIENCED' },
  { priority: 'HIGH', assignTo: 'AVAILABLE_EXPERIENCED' },
  { priority: 'NORMAL', assignTo: 'AVAILABLE' },
];

export const DEFAULT_BALANCING: FleetBalancing = {
  strategy: 'LEAST_LOADED',
  skillMatching: { required: [], preferred: [] },
  priorityRules: [],
};

export const BalancingModel = z.object({
  strategy: withDefault(StrategyModel, DEFAULT_BALANCING.strategy),
  skillMatching: withDefault(SkillMatchingModel, DEFAULT_BALANCING.skillMatching),
  priorityRules: withDefault(z.array(PriorityRuleModel), []),
});

export const ResourceLimitsModel = z.object({
  // Kubernetes quantity notation: https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
  cpuPerWorker: z.string().regex(/^\d+(\.\d+)?m?$/, 'must be CPU units such as 2000m or 2').nullish(),
  memoryPerWorker: z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'must be a quantity such as 4Gi or 512Mi').nullish(),
});

/** The CUSTOM strategy needs a distributor protocol to ask. */
export function requiresDistributor(balancing: { strategy: string }, distributor: string | null | undefined): boolean {
  return balancing.strategy === 'CUSTOM' && !distributor;
}

/** What `createFleet` accepts. */
export const CreateFleetModel = z
  .object({
    name: Name,
    description: z.string().max(4000).nullish(),
    workerTemplate: WorkerTemplateModel,
    scaling: withDefault(ScalingModel, DEFAULT_SCALING),
    sla: SlaModel.nullish(),
    quotas: withDefault(z.array(QuotaModel), []),
    balancing: withDefault(BalancingModel, DEFAULT_BALANCING),
    distributor: z.string().trim().min(1).nullish(),
    resourceLimits: ResourceLimitsModel.nullish(),
    timezone: withDefault(TimeZone, 'UTC'),
    teams: withDefault(z.array(TeamModel).max(50), []),
    retry: RetryPolicyModel.nullish(),
  })
  .refine((f) => !requiresDistributor(f.balancing, f.distributor), {
    message: 'the CUSTOM strategy needs a distributor protocol',
    path: ['distributor'],
  })
  .superRefine((f, ctx) => {
    const names = new Set<string>();
    f.teams.forEach((team, i) => {
      if (names.has(team.name)) ctx.addIssue({ code: 'custom', path: ['teams', i, 'name'], message: 'is used twice' });
      names.add(team.name);
    });
  });
export type CreateFleetInput = z.input<typeof CreateFleetModel>;

/** What `updateFleet` accepts: the fleet and the policies to replace (omitted ones stay). */
export const UpdateFleetModel = z.object({
  fleetId: z.uuid(),
  name: Name.nullish(),
  description: z.string().max(4000).nullish(),
  workerTemplate: WorkerTemplateModel.nullish(),
  scaling: ScalingModel.nullish(),
  sla: SlaModel.nullish(),
  quotas: z.array(QuotaModel).nullish(),
  balancing: BalancingModel.nullish(),
  distributor: z.string().trim().min(1).nullish(),
  resourceLimits: ResourceLimitsModel.nullish(),
  timezone: TimeZone.nullish(),
  retry: RetryPolicyModel.nullish(),
});
export type UpdateFleetInput = z.input<typeof UpdateFleetModel>;
