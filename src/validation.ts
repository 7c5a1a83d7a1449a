/**
 * Input validation for domain services: zod models whose failures become one
 * {@link ValidationError} listing every bad path, so clients fix everything at once.
 */
import { z } from 'zod';

import { ValidationError } from './errors.js';
import { vendorModelId } from './models/model-ids.js';

/**
 * Parses `input` with `model`.
 * @throws ValidationError with one issue per problem, paths relative to the input root
 */
export function parseInput<Model extends z.ZodType>(model: Model, input: unknown): z.output<Model> {
  const result = model.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
  );
}

/**
 * A worker's or template's model: `vendor/model`, as protocols name models
 * (docs/architecture.md "Models"), or a short id of a known family (`gpt-4o`,
 * `claude-sonnet-4.5`), stored as `vendor/model` (src/models/model-ids.ts).
 */
export const ModelId = z
  .string()
  .trim()
  .transform((id) => vendorModelId(id) ?? id)
  .pipe(
    z
      .string()
      .regex(
        /^[a-z0-9][\w.-]*\/[\w.:-]+$/i,
        'must look like vendor/model (openai/gpt-4o) or be a short id of a known family (gpt-4o, claude-sonnet-4.5, gemini-2.5-pro)',
      ),
  );

/**
 * Drops the `$.` the product documents put before roles and event types
 * (`$.SalesDevelopmentRepresentative`, `$.Lead.created`): the stored form is the name alone,
 * so `$.Lead.created` and `Lead.created` are one event type and one role is stored one way.
 */
export function withoutSemanticPrefix(name: string): string {
  return name.startsWith('$.') ? name.slice(2) : name;
}

/** A job role, e.g. `SalesDevelopmentRepresentative`; `$.SalesDevelopmentRepresentative` is stored without `$.`. */
export const RoleModel = z
  .string()
  .trim()
  .transform(withoutSemanticPrefix)
  .pipe(z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'));

/** An event type `Subject.predicate`, e.g. `Lead.created`; `$.Lead.created` is stored without `$.`. */
export const EventTypeModel = z
  .string()
  .trim()
  .transform(withoutSemanticPrefix)
  .pipe(z.string().regex(/^[A-Z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$/, 'must look like Subject.predicate, e.g. Lead.created or $.Lead.created'));

/** An IANA time zone known to this runtime's Intl data, e.g. `America/Los_Angeles`. */
export const TimeZone = z.string().refine(isTimeZone, 'must be an IANA time zone such as America/Los_Angeles');

/** The level of a skill given without one (docs/product/fleets.md "skills: ['technical_support']"). */
export const DEFAULT_SKILL_LEVEL = 'INTERMEDIATE';

/**
 * A skill with its level (docs/product/worker.md "skills"); a skill given by name alone, as a
 * plain string or without `level`, has {@link DEFAULT_SKILL_LEVEL}.
 */
export const SkillModel = z.preprocess(
  (skill) => (typeof skill === 'string' ? { name: skill } : skill),
  z.object({
    name: z.string().trim().min(1, 'must not be empty'),
    level: withDefault(z.enum(['BEGINNER', 'INTERMEDIATE', 'ADVANCED', 'EXPERT']), DEFAULT_SKILL_LEVEL),
  }),
);

/** Whether `zone` is a time zone this runtime's Intl data knows (IANA names, `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * An optional field whose absence (undefined, or null as GraphQL sends it) means
 * `fallback`, so GraphQL inputs and service callers share one model.
 */
export function withDefault<Model extends z.ZodType>(model: Model, fallback: z.output<Model>) {
  return model.nullish().transform((value): z.output<Model> => value ?? fallback);
}

/**
 * The value of a field that may also be given under the product documents' name
 * (`sla.responseTime` for `responseTimeSeconds`): whichever is set, or undefined. Both set
 * is an issue on `alias` naming the other.
 */
export function aliased<Value extends object, Canonical extends keyof Value & string, Alias extends keyof Value & string>(
  value: Value,
  canonical: Canonical,
  alias: Alias,
  ctx: z.RefinementCtx,
): NonNullable<Value[Canonical]> | NonNullable<Value[Alias]> | undefined {
  const given = value[canonical] ?? undefined;
  const other = value[alias] ?? undefined;
  if (given !== undefined && other !== undefined) {
    ctx.addIssue({ code: 'custom', path: [alias], message: `give ${alias} or ${canonical}, not both` });
  }
  return given ?? other;
}
