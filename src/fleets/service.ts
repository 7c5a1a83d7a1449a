/** Fleets: pools of workers made from a template (seed workers.do.md). */
import { z } from 'zod';

import type { Database } from '../db/client.js';
import { fleets } from '../db/schema.js';
import { transactionWithEvents } from '../events/outbox.js';
import type { Bus } from '../realtime/bus.js';
import { ModelId, parseInput, SkillModel, TimeZone, withDefault } from '../validation.js';

export type FleetRow = typeof fleets.$inferSelect;

const ScalingRuleModel = z.object({
  metric: z.enum(['QUEUE_DEPTH', 'AVG_UTILIZATION', 'RESPONSE_TIME']),
  threshold: z.number().finite().nonnegative(),
  action: z.enum(['SCALE_UP', 'SCALE_DOWN']),
  step: z.number().int().positive(),
});

const ScalingModel = z
  .object({
    mode: withDefault(z.enum(['MANUAL', 'AUTO']), 'MANUAL'),
    min: withDefault(z.number().int().nonnegative(), 0),
    max: withDefault(z.number().int().positive(), 10),
    rules: withDefault(z.array(ScalingRuleModel), []),
    cooldownSeconds: withDefault(z.number().int().nonnegative(), 300),
    aggressive: withDefault(z.boolean(), false),
    schedule: withDefault(
      z.array(
        z.object({
          hours: z.string().regex(/^\d{1,2}:\d{2}-\d{1,2}:\d{2}$/, 'must be H:MM-H:MM'),
          target: z.number().int().nonnegative(),
        }),
      ),
      [],
    ),
  })
  .refine((s) => s.min <= s.max, { message: 'min must not exceed max', path: ['min'] });

/** What `createFleet` accepts. */
export const CreateFleetModel = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  description: z.string().nullish(),
  workerTemplate: z.object({
    role: z.string().trim().min(1, 'must not be empty'),
    capabilities: withDefault(z.array(z.string().trim().min(1)), []),
    skills: withDefault(z.array(SkillModel), []),
    model: ModelId.nullish(),
    protocolSlug: z.string().nullish(),
  }),
  scaling: withDefault(ScalingModel, { mode: 'MANUAL', min: 0, max: 10, rules: [], cooldownSeconds: 300, aggressive: false, schedule: [] }),
  sla: z
    .object({
      responseTimeSeconds: z.number().int().positive().nullish(),
      resolutionTimeSeconds: z.number().int().positive().nullish(),
    })
    .nullish(),
  quotas: z.record(z.string(), z.number().int().nonnegative()).nullish(),
  timezone: withDefault(TimeZone, 'UTC'),
});
export type CreateFleetInput = z.input<typeof CreateFleetModel>;

/**
 * Creates a fleet and appends `Fleet.created`.
 * @throws ValidationError naming each bad path (min above max, unknown metric, bad time zone…)
 */
export async function createFleet(
  deps: { db: Database; bus: Bus },
  organizationId: string,
  input: CreateFleetInput,
): Promise<FleetRow> {
  const data = parseInput(CreateFleetModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const [fleet] = await tx
      .insert(fleets)
      .values({
        organizationId,
        name: data.name,
        description: data.description ?? null,
        workerTemplate: {
          role: data.workerTemplate.role,
          capabilities: data.workerTemplate.capabilities,
          skills: data.workerTemplate.skills,
          model: data.workerTemplate.model ?? null,
          protocolSlug: data.workerTemplate.protocolSlug ?? null,
        },
        scaling: data.scaling,
        sla: data.sla
          ? {
              responseTimeSeconds: data.sla.responseTimeSeconds ?? undefined,
              resolutionTimeSeconds: data.sla.resolutionTimeSeconds ?? undefined,
            }
          : null,
        quotas: data.quotas ?? null,
        timezone: data.timezone,
      })
      .returning();
    await outbox.append({ organizationId, type: 'Fleet.created', subjectId: fleet!.id, payload: { name: fleet!.name } });
    return fleet!;
  });
}
