/**
 * Recurring work (docs/product/worker.md `assignRecurring` and `every($.Daily, …)`): a
 * schedule is a preset (`$.Hourly`, `$.Daily`, `$.Weekly`, `$.Monthly`) with a local
 * time, or a cron expression, evaluated in an IANA time zone by croner (so 09:00 stays
 * 09:00 across daylight-saving changes). The scheduler job {@link fireDueSchedules}
 * claims due schedules with FOR UPDATE SKIP LOCKED and materialises one task per
 * instant; the unique key (schedule_id, scheduled_for) makes a second firing of the
 * same instant impossible even across processes.
 */
import { Cron } from 'croner';
import { and, asc, eq, isNotNull, lte, min } from 'drizzle-orm';
import { z } from 'zod';

import type { Database } from '../db/client.js';
import { ValidationError } from '../errors.js';
import { taskSchedules, workers } from '../db/schema.js';
import { transactionWithEvents } from '../events/outbox.js';
import type { Logger } from '../logger.js';
import type { Bus } from '../realtime/bus.js';
import type { Clock } from '../scheduler/clock.js';
import { parseInput, TimeZone, withDefault } from '../validation.js';
import { assertTakesWork, lockWorker } from '../workers/lifecycle.js';
import { workerTimeZone } from '../workers/performance.js';
import { ActionModel, TaskPriorityModel } from './service.js';
import { createTask } from './work-state.js';

export type TaskScheduleRow = typeof taskSchedules.$inferSelect;

const WEEKDAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The presets and the cron expression each stands for, given minute, hour and weekday. */
const PRESETS: Record<string, (m: number, h: number, weekday: number) => string> = {
  '$.Hourly': (m) => `${m} * * * *`,
  '$.Daily': (m, h) => `${m} ${h} * * *`,
  '$.Weekly': (m, h, weekday) => `${m} ${h} * * ${weekday}`,
  '$.Monthly': (m, h) => `${m} ${h} 1 * *`,
};

/** What `assignRecurringTask` accepts. */
export const AssignRecurringTaskModel = z.object({
  workerId: z.uuid(),
  action: ActionModel,
  input: z.unknown().optional(),
  priority: withDefault(TaskPriorityModel, 'NORMAL'),
  schedule: z.string().trim().min(1, 'must be $.Hourly, $.Daily, $.Weekly, $.Monthly or a cron expression'),
  time: z
    .string()
    .regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'must be a local time H:MM or HH:MM')
    .nullish(),
  dayOfWeek: z.enum(WEEKDAYS).nullish(),
  timezone: TimeZone.nullish(),
});
export type AssignRecurringTaskInput = z.input<typeof AssignRecurringTaskModel>;

/**
 * The cron expression a schedule stands for: a preset at `time` (default 09:00; for
 * `$.Hourly` only the minutes count) and `dayOfWeek` (`$.Weekly`, default MONDAY), or the
 * given cron expression (5 or 6 fields), which takes neither.
 * @returns the expression, or the problems found, each with its input path
 */
export function cronOf(input: {
  schedule: string;
  time?: string | null;
  dayOfWeek?: Weekday | null;
}): { cron: string } | { issues: Array<{ path: string[]; message: string }> } {
  const preset = PRESETS[input.schedule];
  if (preset) {
    const [h, m] = (input.time ?? '09:00').split(':').map(Number) as [number, number];
    if (input.dayOfWeek && input.schedule !== '$.Weekly') {
      return { issues: [{ path: ['dayOfWeek'], message: 'is only used with $.Weekly' }] };
    }
    return { cron: preset(m, h, WEEKDAYS.indexOf(input.dayOfWeek ?? 'MONDAY')) };
  }
  if (input.schedule.startsWith('$.')) {
    return { issues: [{ path: ['schedule'], message: `unknown preset; use ${Object.keys(PRESETS).join(', ')} or a cron expression` }] };
  }
  const issues: Array<{ path: string[]; message: string }> = [];
  if (input.time) issues.push({ path: ['time'], message: 'is only used with a preset; put the time in the cron expression' });
  if (input.dayOfWeek) issues.push({ path: ['dayOfWeek'], message: 'is only used with $.Weekly' });
  const fields = input.schedule.split(/\s+/).length;
  if (fields < 5 || fields > 6) {
    issues.push({ path: ['schedule'], message: 'a cron expression has 5 fields (minute hour day month weekday) or 6 (with seconds first)' });
  } else {
    try {
      new Cron(input.schedule, { paused: true });
    } catch (error) {
      issues.push({ path: ['schedule'], message: error instanceof Error ? error.message : String(error) });
    }
  }
  return issues.length ? { issues } : { cron: input.schedule };
}

/** The first instant of `cron` in `timezone` strictly after `after`; null if none. */
export function nextRunAfter(cron: string, timezone: string, after: Date): Date | null {
  return new Cron(cron, { timezone, paused: true }).nextRun(after);
}

/**
 * Creates a recurring schedule for an ACTIVE worker; its first instant is the next one
 * after the clock's now. The time zone defaults to the worker's (its working hours),
 * else UTC. Appends `Worker.recurring.assigned`.
 * @throws ValidationError (unknown preset, bad cron, time with a cron…); NotFoundError;
 *   InvalidTransitionError when the worker is not ACTIVE
 */
export async function assignRecurringTask(
  deps: { db: Database; bus: Bus; clock: Clock },
  organizationId: string,
  input: AssignRecurringTaskInput,
): Promise<TaskScheduleRow> {
  const data = parseInput(AssignRecurringTaskModel, input);
  const resolved = cronOf(data);
  if ('issues' in resolved) throw new ValidationError(resolved.issues);
  const { cron } = resolved;
  return transactionWithEvents(deps, async (tx, outbox) => {
    const worker = await lockWorker(tx, organizationId, data.workerId);
    assertTakesWork(worker);
    const timezone = data.timezone ?? workerTimeZone(worker);
    const [schedule] = await tx
      .insert(taskSchedules)
      .values({
        organizationId,
        workerId: worker.id,
        action: data.action,
        input: data.input ?? null,
        priority: data.priority,
        schedule: data.schedule,
        time: data.time ?? null,
        timezone,
        cron,
        nextRunAt: nextRunAfter(cron, timezone, deps.clock.now()),
      })
      .returning();
    await outbox.append({
      organizationId,
      type: 'Worker.recurring.assigned',
      subjectId: worker.id,
      payload: {
        scheduleId: schedule!.id,
        action: schedule!.action,
        schedule: schedule!.schedule,
        cron,
        timezone,
        nextRunAt: schedule!.nextRunAt?.toISOString() ?? null,
      },
    });
    return schedule!;
  });
}

/** Schedules claimed per transaction by {@link fireDueSchedules}. */
const CLAIM_BATCH = 50;

/**
 * Scheduler job: every schedule whose next instant is at or before `now` fires once —
 * a task for that instant (`scheduledFor`) — and moves on to its first instant after
 * `now` (instants missed while no scheduler ran are not made up). Due rows are claimed
 * with FOR UPDATE SKIP LOCKED, so concurrent schedulers share the work and never fire
 * one instant twice. A schedule of a worker that is no longer ACTIVE moves on without
 * a task.
 * @returns the number of tasks made
 */
export async function fireDueSchedules(deps: { db: Database; bus: Bus; logger: Logger }, now: Date): Promise<number> {
  let made = 0;
  for (;;) {
    const claimed = await transactionWithEvents(deps, async (tx, outbox) => {
      const due = await tx
        .select()
        .from(taskSchedules)
        .where(and(isNotNull(taskSchedules.nextRunAt), lte(taskSchedules.nextRunAt, now)))
        .orderBy(asc(taskSchedules.nextRunAt))
        .limit(CLAIM_BATCH)
        .for('update', { skipLocked: true });
      for (const schedule of due) {
        const instant = schedule.nextRunAt!;
        // Not locked: offboarding locks the worker and then its schedules, the reverse
        // order would deadlock; it moves schedules before tasks, so it sees this task.
        const [worker] = await tx.select().from(workers).where(eq(workers.id, schedule.workerId));
        if (worker?.lifecycle === 'ACTIVE') {
          const task = await createTask(tx, outbox, schedule.organizationId, { worker }, {
            action: schedule.action,
            input: schedule.input,
            priority: schedule.priority,
            scheduleId: schedule.id,
            scheduledFor: instant,
          });
          if (task) made += 1;
        } else {
          deps.logger.warn({ scheduleId: schedule.id, workerId: schedule.workerId }, 'schedule skipped: worker is not ACTIVE');
        }
        const after = instant > now ? instant : now;
        await tx
          .update(taskSchedules)
          .set({ lastRunAt: instant, nextRunAt: nextRunAfter(schedule.cron, schedule.timezone, after) })
          .where(eq(taskSchedules.id, schedule.id));
      }
      return due.length;
    });
    if (claimed < CLAIM_BATCH) return made;
  }
}

/** The earliest next instant of any schedule (null: none will fire); one query. */
export async function nextScheduledInstant(db: Database): Promise<Date | null> {
  const [row] = await db.select({ at: min(taskSchedules.nextRunAt) }).from(taskSchedules);
  return row?.at ?? null;
}
