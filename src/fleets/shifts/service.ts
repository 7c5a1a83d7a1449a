/**
 * Shifts (docs/product/fleets.md "Shift Management"): named local-time windows with a worker
 * count, on some weekdays (a window that crosses midnight belongs to the day it starts),
 * in a time zone, with a handoff overlap and an optional briefing.
 *
 * {@link currentShift} answers for any instant with Temporal's zone rules, so shifts on
 * the nights clocks change last 7 or 9 hours where the wall clock says 8. The scheduler
 * ({@link applyShifts}) sizes the fleet at each boundary: to the larger of the outgoing
 * and incoming counts during the overlap, then to the incoming count; with `briefing`
 * the fleet's open work is summarised for the incoming shift. Each boundary is claimed
 * once across processes by the unique key of `shift_handoffs`.
 */
import { and, asc, eq, inArray, isNull, lte } from 'drizzle-orm';
import { z } from 'zod';

import type { Transaction } from '../../db/client.js';
import type { ShiftBriefing } from '../../db/documents.js';
import { shiftHandoffs, shifts, tasks, workers } from '../../db/schema.js';
import { ValidationError } from '../../errors.js';
import { transactionWithEvents, type Outbox } from '../../events/outbox.js';
import { OPEN_TASK_STATUSES } from '../../tasks/state-machine.js';
import { aliased, parseInput, TimeZone, withDefault } from '../../validation.js';
import { isMember } from '../core/members.js';
import { HoursModel } from '../core/policy.js';
import { resize } from '../scaling/resize.js';
import { lockFleet, type FleetDeps, type FleetRow } from '../core/store.js';
import { crossesMidnight, instantAt, localTime, parseHours } from '../core/time-of-day.js';

export type ShiftRow = typeof shifts.$inferSelect;
export type HandoffRow = typeof shiftHandoffs.$inferSelect;

/** Weekdays by Temporal's `dayOfWeek` (ISO 8601: Monday 1 … Sunday 7). */
const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** Longest handoff overlap, in minutes: a quarter of a day. */
const MAX_OVERLAP_MINUTES = 360;

/** Most urgent open tasks listed in a briefing. */
const BRIEFING_TASKS = 20;

const ShiftModel = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  hours: HoursModel,
  workers: z.number().int().nonnegative(),
  days: withDefault(
    z
      .array(z.string().trim().toLowerCase().pipe(z.enum([...WEEKDAYS, 'all'], { message: 'must be a weekday (monday … sunday) or all' })))
      .min(1, 'name at least one day'),
    ['all'],
  ),
});

/** What `configureShifts` accepts: the fleet's shifts, all of them. */
export const ConfigureShiftsModel = z.object({
  fleetId: z.uuid(),
  timezone: TimeZone.nullish(),
  shifts: z.array(ShiftModel).max(50),
  handoff: withDefault(
    z
      .object({
        overlapMinutes: z.number().int().min(0).max(MAX_OVERLAP_MINUTES).nullish(),
        // The fleet document's name: `handoff: { duration: 15 } // 15 minute overlap`.
        duration: z.number().int().min(0).max(MAX_OVERLAP_MINUTES).nullish(),
        briefing: withDefault(z.boolean(), false),
      })
      .transform((handoff, ctx) => ({
        overlapMinutes: aliased(handoff, 'overlapMinutes', 'duration', ctx) ?? 0,
        briefing: handoff.briefing,
      })),
    { overlapMinutes: 0, briefing: false },
  ),
});

/**
 * Replaces the shifts of fleet `fleetId` (in `timezone`, default the fleet's) and
 * appends `Fleet.shifts.configured`. The scheduler applies the current shift at its
 * next tick.
 * @throws ValidationError (a worker count outside the fleet's [min, max]); NotFoundError
 */
export async function configureShifts(deps: FleetDeps, organizationId: string, input: z.input<typeof ConfigureShiftsModel>): Promise<ShiftRow[]> {
  const data = parseInput(ConfigureShiftsModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const fleet = await lockFleet(tx, organizationId, data.fleetId);
    const { min, max } = fleet.scaling;
    const outside = data.shifts.flatMap((shift, i) =>
      shift.workers < min || shift.workers > max ? [{ path: ['shifts', String(i), 'workers'], message: `must lie within the fleet's bounds [${min}, ${max}]` }] : [],
    );
    if (outside.length) throw new ValidationError(outside);
    await tx.delete(shifts).where(eq(shifts.fleetId, fleet.id));
    const timezone = data.timezone ?? fleet.timezone;
    const rows = data.shifts.length
      ? await tx
          .insert(shifts)
          .values(
            data.shifts.map((shift) => {
              const [startTime, endTime] = shift.hours.split('-');
              return {
                organizationId,
                fleetId: fleet.id,
                name: shift.name,
                startTime: startTime!,
                endTime: endTime!,
                days: shift.days,
                workerCount: shift.workers,
                timezone,
                handoff: data.handoff,
              };
            }),
          )
          .returning()
      : [];
    await outbox.append({
      organizationId,
      type: 'Fleet.shifts.configured',
      subjectId: fleet.id,
      payload: { timezone, shifts: rows.map((s) => ({ shiftId: s.id, name: s.name, hours: `${s.startTime}-${s.endTime}`, workers: s.workerCount, days: s.days })) },
    });
    return rows;
  });
}

/** One occurrence of a shift: the shift and the instants it starts and ends. */
export interface ShiftOccurrence {
  shift: ShiftRow;
  startsAt: Date;
  endsAt: Date;
}

/** Whether `shift` runs on the weekday of `date` (1 = Monday … 7 = Sunday). */
function worksOn(shift: ShiftRow, dayOfWeek: number): boolean {
  return shift.days.includes('all') || shift.days.includes(WEEKDAYS[dayOfWeek - 1]!);
}

/**
 * The shift on duty at `at`: of the occurrences containing it (a shift starting that
 * local day or, crossing midnight, the day before), the one that started last.
 */
export function currentShift(candidates: readonly ShiftRow[], at: Date): ShiftOccurrence | null {
  let current: ShiftOccurrence | null = null;
  for (const shift of candidates) {
    const window = parseHours(`${shift.startTime}-${shift.endTime}`);
    const today = localTime(at, shift.timezone).date;
    for (const date of [today.subtract({ days: 1 }), today]) {
      if (!worksOn(shift, date.dayOfWeek)) continue;
      const startsAt = instantAt(date, window.start, shift.timezone);
      const endsAt = instantAt(date, window.end + (crossesMidnight(window) ? 24 * 60 : 0), shift.timezone);
      if (startsAt <= at && at < endsAt && (!current || startsAt > current.startsAt)) current = { shift, startsAt, endsAt };
    }
  }
  return current;
}

/** The shift on duty at `at`, with the outgoing one while the handoff overlap lasts. */
export interface ShiftOnDuty extends ShiftOccurrence {
  /** The shift handing over, while `at` is within the overlap after `startsAt`. */
  outgoing: ShiftOccurrence | null;
  /** End of the overlap. */
  handoffUntil: Date;
}

/** {@link currentShift} of fleet `fleetId`'s shifts, with its handoff. */
export async function shiftOnDuty(deps: Pick<FleetDeps, 'db'>, fleetId: string, at: Date): Promise<ShiftOnDuty | null> {
  const rows = await deps.db.select().from(shifts).where(eq(shifts.fleetId, fleetId)).orderBy(asc(shifts.id));
  const current = currentShift(rows, at);
  if (!current) return null;
  const handoffUntil = new Date(current.startsAt.getTime() + (current.shift.handoff?.overlapMinutes ?? 0) * 60_000);
  const before = currentShift(rows, new Date(current.startsAt.getTime() - 1));
  const outgoing = at < handoffUntil && before && before.shift.id !== current.shift.id ? before : null;
  return { ...current, outgoing, handoffUntil };
}

/**
 * Scheduler job: for every fleet with shifts, claims the boundary of the shift on duty
 * at `now` (once per shift occurrence) and sizes the fleet for it; ends overlaps that
 * are over. Appends `Fleet.shift.started` and `Fleet.shift.handoff.completed`.
 */
export async function applyShifts(deps: FleetDeps, now: Date): Promise<void> {
  const fleetIds = await deps.db.selectDistinct({ fleetId: shifts.fleetId, organizationId: shifts.organizationId }).from(shifts);
  for (const { fleetId, organizationId } of fleetIds) {
    const duty = await shiftOnDuty(deps, fleetId, now);
    if (duty) await startShift(deps, organizationId, fleetId, duty, now);
  }
  const overlapsOver = await deps.db
    .select()
    .from(shiftHandoffs)
    .where(and(isNull(shiftHandoffs.completedAt), lte(shiftHandoffs.overlapUntil, now)));
  for (const handoff of overlapsOver) await completeHandoff(deps, handoff, now);
}

async function startShift(deps: FleetDeps, organizationId: string, fleetId: string, duty: ShiftOnDuty, now: Date): Promise<void> {
  await transactionWithEvents(deps, async (tx, outbox) => {
    const fleet = await lockFleet(tx, organizationId, fleetId);
    const [claimed] = await tx
      .insert(shiftHandoffs)
      .values({
        organizationId,
        fleetId,
        fromShiftId: duty.outgoing?.shift.id ?? null,
        toShiftId: duty.shift.id,
        startsAt: duty.startsAt,
        overlapUntil: duty.outgoing ? duty.handoffUntil : duty.startsAt,
      })
      .onConflictDoNothing()
      .returning();
    if (!claimed) return;
    // The briefing describes the work the outgoing shift leaves, before the resize moves any.
    const briefing = duty.shift.handoff?.briefing ? await brief(tx, fleet) : null;
    const { min, max } = fleet.scaling;
    const wanted = Math.max(duty.shift.workerCount, duty.outgoing?.shift.workerCount ?? 0);
    const outcome = await resize(tx, outbox, fleet, Math.min(max, Math.max(min, wanted)), `shift ${duty.shift.name} starts`, now);
    if (outcome.hired.length) await tx.update(workers).set({ shiftId: duty.shift.id }).where(inArray(workers.id, outcome.hired.map((w) => w.id)));
    const [handoff] = await tx
      .update(shiftHandoffs)
      .set({ briefing, ...(duty.outgoing ? {} : { completedAt: now }) })
      .where(eq(shiftHandoffs.id, claimed.id))
      .returning();
    if (!duty.outgoing) await joinShift(tx, fleet, duty.shift.id);
    await outbox.append({
      organizationId,
      type: 'Fleet.shift.started',
      subjectId: fleetId,
      payload: {
        shiftId: duty.shift.id,
        name: duty.shift.name,
        startsAt: duty.startsAt.toISOString(),
        endsAt: duty.endsAt.toISOString(),
        workers: outcome.to,
        outgoingShiftId: duty.outgoing?.shift.id ?? null,
        handoffUntil: handoff!.overlapUntil.toISOString(),
        briefing,
      },
    });
  });
}

async function completeHandoff(deps: FleetDeps, handoff: HandoffRow, now: Date): Promise<void> {
  await transactionWithEvents(deps, async (tx, outbox) => {
    const fleet = await lockFleet(tx, handoff.organizationId, handoff.fleetId);
    const [claimed] = await tx
      .update(shiftHandoffs)
      .set({ completedAt: now })
      .where(and(eq(shiftHandoffs.id, handoff.id), isNull(shiftHandoffs.completedAt)))
      .returning();
    if (!claimed) return;
    const [incoming] = await tx.select().from(shifts).where(eq(shifts.id, handoff.toShiftId));
    if (!incoming) return;
    const { min, max } = fleet.scaling;
    const outcome = await resize(tx, outbox, fleet, Math.min(max, Math.max(min, incoming.workerCount)), `shift ${incoming.name} took over`, now);
    await joinShift(tx, fleet, incoming.id);
    await outbox.append({
      organizationId: fleet.organizationId,
      type: 'Fleet.shift.handoff.completed',
      subjectId: fleet.id,
      payload: { shiftId: incoming.id, name: incoming.name, workers: outcome.to, fromShiftId: handoff.fromShiftId },
    });
  });
}

/** Puts every member of the fleet on shift `shiftId`. */
async function joinShift(tx: Transaction, fleet: FleetRow, shiftId: string): Promise<void> {
  await tx.update(workers).set({ shiftId }).where(and(eq(workers.fleetId, fleet.id), isMember));
}

/** The fleet's open work now, for the incoming shift. */
async function brief(tx: Transaction, fleet: FleetRow): Promise<ShiftBriefing> {
  const open = await tx
    .select()
    .from(tasks)
    .where(and(eq(tasks.fleetId, fleet.id), inArray(tasks.status, OPEN_TASK_STATUSES)))
    .orderBy(asc(tasks.priority), asc(tasks.createdAt), asc(tasks.id));
  const byPriority = { CRITICAL: 0, HIGH: 0, NORMAL: 0, LOW: 0 };
  for (const task of open) byPriority[task.priority]++;
  const queued = open.filter((task) => task.status === 'PENDING');
  const inProgress = open.length - queued.length;
  const oldest = queued.reduce<Date | undefined>((first, task) => (!first || task.createdAt < first ? task.createdAt : first), undefined);
  const urgent = (Object.entries(byPriority) as Array<[string, number]>).filter(([, n]) => n > 0).map(([p, n]) => `${n} ${p}`);
  const summary =
    open.length === 0
      ? 'No open work.'
      : `${queued.length} queued, ${inProgress} in progress (${urgent.join(', ')})${oldest ? `; oldest waiting since ${oldest.toISOString()}` : ''}.`;
  return {
    summary,
    queued: queued.length,
    inProgress,
    byPriority,
    tasks: open.slice(0, BRIEFING_TASKS).map((task) => ({
      taskId: task.id,
      action: task.action,
      priority: task.priority,
      status: task.status,
      assigneeId: task.assigneeId,
      waitingSince: task.createdAt.toISOString(),
    })),
  };
}
