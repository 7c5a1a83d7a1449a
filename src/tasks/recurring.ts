/**
 * Recurring work (docs/product/worker.md `assignRecurring` and `every($.Daily, …)`): a
 * schedule is a preset (`$.Hourly`, `$.Daily`, `$.Weekly`, `$.Monthly`) with a local
 * time, or a cron expression, evaluated in an IANA time zone by croner (so 09:00 stays
 * 09:00 across daylight-saving changes). It targets one worker (each task ASSIGNED to
 * it) or one fleet (each task joins the fleet's queue and is handed out like any queued
 * work). The scheduler job {@link fireDueSchedules} claims due schedules with FOR UPDATE
 * SKIP LOCKED and materialises one task per instant; the unique key (schedule_id,
 * scheduled_for) makes a second firing of the same instant impossible even across
 * processes.
 *
 * Management: a schedule can be paused (it makes nothing; `next_run_at` is null),
 * resumed (from its first instant after the moment of resuming: instants missed while
 * paused are not made up), changed, and deleted (the row stays, `deleted_at`, for the
 * tasks it made, which go on as ordinary tasks). Events are raised under the target's
 * subject: `Worker.recurring.*` or `Fleet.recurring.*`.
 */
import { Cron } from 'croner';
import { and, asc, eq, isNotNull, isNull, lte, min, type SQL } from 'drizzle-orm';
import { z } from 'zod';

import type { Database, Transaction } from '../db/client.js';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../errors.js';
import { taskSchedules, workers } from '../db/schema.js';
import type { ScheduleEventPayload } from '../events/catalogue.js';
import { transactionWithEvents, type Outbox } from '../events/outbox.js';
import { lockFleet } from '../fleets/core/store.js';
import type { Logger } from '../logger.js';
import type { Bus } from '../realtime/bus.js';
import type { Clock } from '../scheduler/clock.js';
import { parseInput, TimeZone } from '../validation.js';
import { assertTakesWork, lockWorker } from '../workers/lifecycle.js';
import { workerTimeZone } from '../workers/performance.js';
import { ActionModel, hasOneTarget, TargetedWorkFields, TaskPriorityModel } from './service.js';
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

const LocalTime = z.string().regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'must be a local time H:MM or HH:MM');
const Schedule = z.string().trim().min(1, 'must be $.Hourly, $.Daily, $.Weekly, $.Monthly or a cron expression');

/** What `assignRecurringTask` accepts: exactly one target, a worker or a fleet. */
export const AssignRecurringTaskModel = z
  .object({
    ...TargetedWorkFields,
    schedule: Schedule,
    time: LocalTime.nullish(),
    dayOfWeek: z.enum(WEEKDAYS).nullish(),
    timezone: TimeZone.nullish(),
  })
  .refine(...hasOneTarget);
export type AssignRecurringTaskInput = z.input<typeof AssignRecurringTaskModel>;

/**
 * What `updateSchedule` accepts: the schedule and what to change (omitted fields stay).
 * `schedule`, `time` and `dayOfWeek` are read as in `assignRecurringTask`, each omitted
 * one taken from the schedule as it is (a time given alone moves a preset's time).
 */
export const UpdateScheduleModel = z.object({
  scheduleId: z.uuid(),
  action: ActionModel.optional(),
  input: z.unknown().optional(),
  priority: TaskPriorityModel.optional(),
  schedule: Schedule.optional(),
  time: LocalTime.nullish(),
  dayOfWeek: z.enum(WEEKDAYS).nullish(),
  timezone: TimeZone.optional(),
});
export type UpdateScheduleInput = z.input<typeof UpdateScheduleModel>;

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
 * Creates a recurring schedule for an ACTIVE worker or for a fleet; its first instant is
 * the next one after the clock's now. The time zone defaults to the worker's (its
 * working hours), or the fleet's, else UTC. Appends `Worker.recurring.assigned` or
 * `Fleet.recurring.assigned`.
 * @throws ValidationError (no or two targets, unknown preset, bad cron, time with a
 *   cron…); NotFoundError; InvalidTransitionError when the worker is not ACTIVE
 */
export async function assignRecurringTask(
  deps: { db: Database; bus: Bus; clock: Clock },
  organizationId: string,
  input: AssignRecurringTaskInput,
): Promise<TaskScheduleRow> {
  const data = parseInput(AssignRecurringTaskModel, input);
  const cron = requireCron(data);
  return transactionWithEvents(deps, async (tx, outbox) => {
    let target: { workerId: string; fleetId: null } | { workerId: null; fleetId: string };
    let zone: string;
    if (data.workerId) {
      const worker = await lockWorker(tx, organizationId, data.workerId);
      assertTakesWork(worker);
      target = { workerId: worker.id, fleetId: null };
      zone = workerTimeZone(worker);
    } else {
      const fleet = await lockFleet(tx, organizationId, data.fleetId!);
      target = { workerId: null, fleetId: fleet.id };
      zone = fleet.timezone;
    }
    const timezone = data.timezone ?? zone;
    const [schedule] = await tx
      .insert(taskSchedules)
      .values({
        organizationId,
        ...target,
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
    await appendScheduleEvent(outbox, schedule!, 'assigned');
    return schedule!;
  });
}

/** The cron expression of `input`, or a ValidationError naming each bad path. */
function requireCron(input: Parameters<typeof cronOf>[0]): string {
  const resolved = cronOf(input);
  if ('issues' in resolved) throw new ValidationError(resolved.issues);
  return resolved.cron;
}

/**
 * Appends `Worker.recurring.<what>` or `Fleet.recurring.<what>`, as the schedule
 * targets, with the schedule as it is now.
 */
async function appendScheduleEvent(
  outbox: Outbox,
  schedule: TaskScheduleRow,
  what: 'assigned' | 'paused' | 'resumed' | 'updated' | 'deleted',
  fields?: string[],
): Promise<void> {
  const payload: ScheduleEventPayload = {
    scheduleId: schedule.id,
    action: schedule.action,
    schedule: schedule.schedule,
    cron: schedule.cron,
    timezone: schedule.timezone,
    status: scheduleStatus(schedule),
    nextRunAt: schedule.nextRunAt?.toISOString() ?? null,
    ...(fields ? { fields } : {}),
  };
  await outbox.append(
    schedule.workerId
      ? { organizationId: schedule.organizationId, type: `Worker.recurring.${what}`, subjectId: schedule.workerId, payload }
      : { organizationId: schedule.organizationId, type: `Fleet.recurring.${what}`, subjectId: schedule.fleetId, payload },
  );
}

/** The status of a schedule as `TaskSchedule.status` shows it. */
export type ScheduleStatus = ScheduleEventPayload['status'];

/**
 * ACTIVE (it has a next instant), PAUSED, STOPPED (no next instant: its worker was
 * offboarded without a successor) or DELETED.
 */
export function scheduleStatus(schedule: Pick<TaskScheduleRow, 'deletedAt' | 'pausedAt' | 'nextRunAt'>): ScheduleStatus {
  if (schedule.deletedAt) return 'DELETED';
  if (schedule.pausedAt) return 'PAUSED';
  return schedule.nextRunAt ? 'ACTIVE' : 'STOPPED';
}

/** SQL for schedules in `status` (default: every status but DELETED), over `table`. */
export function scheduleStatusSql(status: ScheduleStatus | undefined, table = taskSchedules): SQL[] {
  switch (status) {
    case 'DELETED':
      return [isNotNull(table.deletedAt)];
    case 'PAUSED':
      return [isNull(table.deletedAt), isNotNull(table.pausedAt)];
    case 'ACTIVE':
      return [isNull(table.deletedAt), isNull(table.pausedAt), isNotNull(table.nextRunAt)];
    case 'STOPPED':
      return [isNull(table.deletedAt), isNull(table.pausedAt), isNull(table.nextRunAt)];
    default:
      return [isNull(table.deletedAt)];
  }
}

/**
 * Locks schedule `scheduleId` of `organizationId` until the transaction ends (a firing
 * in progress finishes first).
 * @throws NotFoundError for an unknown or deleted schedule
 */
async function lockSchedule(tx: Transaction, organizationId: string, scheduleId: string): Promise<TaskScheduleRow> {
  const [schedule] = await tx
    .select()
    .from(taskSchedules)
    .where(and(eq(taskSchedules.organizationId, organizationId), eq(taskSchedules.id, scheduleId)))
    .for('update');
  if (!schedule || schedule.deletedAt) throw new NotFoundError('TaskSchedule', scheduleId);
  return schedule;
}

/** Writes `changes` to a locked schedule and returns it as it is now. */
async function setSchedule(tx: Transaction, schedule: TaskScheduleRow, changes: Partial<typeof taskSchedules.$inferInsert>): Promise<TaskScheduleRow> {
  const [row] = await tx.update(taskSchedules).set(changes).where(eq(taskSchedules.id, schedule.id)).returning();
  return row!;
}

/**
 * Pauses a schedule: it makes no task until resumed. Appends `*.recurring.paused`.
 * @throws NotFoundError; InvalidTransitionError when it is already paused
 */
export function pauseSchedule(deps: { db: Database; bus: Bus; clock: Clock }, organizationId: string, scheduleId: string): Promise<TaskScheduleRow> {
  return transactionWithEvents(deps, async (tx, outbox) => {
    const schedule = await lockSchedule(tx, organizationId, scheduleId);
    if (schedule.pausedAt) throw new InvalidTransitionError('TaskSchedule', 'PAUSED', 'PAUSED');
    const paused = await setSchedule(tx, schedule, { pausedAt: deps.clock.now(), nextRunAt: null });
    await appendScheduleEvent(outbox, paused, 'paused');
    return paused;
  });
}

/**
 * Resumes a paused schedule from its first instant after now: instants that fell while
 * it was paused are not made up. Appends `*.recurring.resumed`.
 * @throws NotFoundError; InvalidTransitionError when it is not paused, or its worker is
 *   no longer ACTIVE
 */
export function resumeSchedule(deps: { db: Database; bus: Bus; clock: Clock }, organizationId: string, scheduleId: string): Promise<TaskScheduleRow> {
  return transactionWithEvents(deps, async (tx, outbox) => {
    const schedule = await lockSchedule(tx, organizationId, scheduleId);
    if (!schedule.pausedAt) throw new InvalidTransitionError('TaskSchedule', scheduleStatus(schedule), 'ACTIVE', 'only a paused schedule resumes');
    if (schedule.workerId) assertTakesWork(await lockWorker(tx, organizationId, schedule.workerId));
    const resumed = await setSchedule(tx, schedule, {
      pausedAt: null,
      nextRunAt: nextRunAfter(schedule.cron, schedule.timezone, deps.clock.now()),
    });
    await appendScheduleEvent(outbox, resumed, 'resumed');
    return resumed;
  });
}

/**
 * Changes a schedule's timing (`schedule`, `time`, `dayOfWeek`, `timezone`) and what its
 * tasks are (`action`, `input`, `priority`). New timing takes effect at once: the next
 * instant is the first one after now (a paused schedule stays paused). Tasks already
 * made keep what they were made with. Appends `*.recurring.updated` naming the fields
 * given.
 * @throws ValidationError naming each bad path; NotFoundError
 */
export async function updateSchedule(
  deps: { db: Database; bus: Bus; clock: Clock },
  organizationId: string,
  input: UpdateScheduleInput,
): Promise<TaskScheduleRow> {
  const data = parseInput(UpdateScheduleModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const schedule = await lockSchedule(tx, organizationId, data.scheduleId);
    const timing = data.schedule !== undefined || data.time !== undefined || data.dayOfWeek !== undefined;
    const kept = data.schedule === undefined || data.schedule === schedule.schedule;
    const cron = timing
      ? requireCron({
          schedule: data.schedule ?? schedule.schedule,
          time: data.time !== undefined ? data.time : kept ? schedule.time : null,
          dayOfWeek: data.dayOfWeek !== undefined ? data.dayOfWeek : kept ? weekdayOf(schedule) : null,
        })
      : schedule.cron;
    const timezone = data.timezone ?? schedule.timezone;
    const changes: Partial<typeof taskSchedules.$inferInsert> = {
      ...(data.action !== undefined ? { action: data.action } : {}),
      ...(data.input !== undefined ? { input: data.input } : {}),
      ...(data.priority !== undefined ? { priority: data.priority } : {}),
      ...(data.schedule !== undefined ? { schedule: data.schedule } : {}),
      ...(data.time !== undefined ? { time: data.time } : {}),
      ...(data.timezone !== undefined ? { timezone } : {}),
    };
    const fields = [...Object.keys(changes), ...(data.dayOfWeek !== undefined ? ['dayOfWeek'] : [])];
    if (fields.length === 0) return schedule;
    const updated = await setSchedule(tx, schedule, {
      ...changes,
      cron,
      ...(scheduleStatus(schedule) === 'ACTIVE' ? { nextRunAt: nextRunAfter(cron, timezone, deps.clock.now()) } : {}),
    });
    await appendScheduleEvent(outbox, updated, 'updated', fields);
    return updated;
  });
}

/** The weekday of a `$.Weekly` schedule, read from its cron expression; null for others. */
function weekdayOf(schedule: Pick<TaskScheduleRow, 'schedule' | 'cron'>): Weekday | null {
  return schedule.schedule === '$.Weekly' ? (WEEKDAYS[Number(schedule.cron.split(' ')[4])] ?? null) : null;
}

/**
 * Deletes a schedule: it makes no more tasks. The row stays (`deletedAt`) for the tasks
 * it made; those open go on as ordinary tasks (cancel them with `cancelTask`). Appends
 * `*.recurring.deleted`.
 * @throws NotFoundError for an unknown or already deleted schedule
 */
export function deleteSchedule(deps: { db: Database; bus: Bus; clock: Clock }, organizationId: string, scheduleId: string): Promise<TaskScheduleRow> {
  return transactionWithEvents(deps, async (tx, outbox) => {
    const schedule = await lockSchedule(tx, organizationId, scheduleId);
    const deleted = await setSchedule(tx, schedule, { deletedAt: deps.clock.now(), nextRunAt: null });
    await appendScheduleEvent(outbox, deleted, 'deleted');
    return deleted;
  });
}

/** Schedules claimed per transaction by {@link fireDueSchedules}. */
const CLAIM_BATCH = 50;

/**
 * Scheduler job: every schedule whose next instant is at or before `now` fires once —
 * a task for that instant (`scheduledFor`), ASSIGNED to its worker or queued in its
 * fleet — and moves on to its first instant after
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
        const task = { action: schedule.action, input: schedule.input, priority: schedule.priority, scheduleId: schedule.id, scheduledFor: instant };
        // Not locked: offboarding locks the worker and then its schedules, the reverse
        // order would deadlock; it moves schedules before tasks, so it sees this task.
        const [worker] = schedule.workerId ? await tx.select().from(workers).where(eq(workers.id, schedule.workerId)) : [];
        if (schedule.fleetId) {
          if (await createTask(tx, outbox, schedule.organizationId, { fleetId: schedule.fleetId }, task)) made += 1;
        } else if (worker?.lifecycle === 'ACTIVE') {
          if (await createTask(tx, outbox, schedule.organizationId, { worker }, task)) made += 1;
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
