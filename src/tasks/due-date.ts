/**
 * Due dates as the product documents write them (docs/product/worker.md
 * "dueDate: '2025-10-20'"): an instant, or a calendar date alone, which means the end of
 * that day where the work is done — the worker's time zone (its working hours' zone, else
 * UTC) for a task given to a worker, the fleet's time zone for a task given to a fleet.
 */
import { Temporal } from '@js-temporal/polyfill';
import { z } from 'zod';

/** A calendar date `YYYY-MM-DD`, as a due date: the end of that day in the assignee's zone. */
export const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** What a refusal of a due date says is expected. */
export const DUE_DATE_EXPECTED = 'must be a date-time such as 2025-10-15T17:00:00Z or a date such as 2025-10-15';

/** A due date on the way in: an instant (kept) or a calendar date `YYYY-MM-DD` (resolved by {@link dueInstant}). */
export const DueDateModel = z.union([z.date(), z.iso.date({ message: DUE_DATE_EXPECTED })], { message: DUE_DATE_EXPECTED });
export type DueDate = z.output<typeof DueDateModel>;

/**
 * The instant a due date stands for: an instant as given; a calendar date as the last
 * millisecond of that day in `timeZone` (the day's length follows the zone's rules, so a
 * daylight-saving day ends where its clocks say midnight).
 * @param timeZone IANA time zone of the assignee
 */
export function dueInstant(dueDate: DueDate | null | undefined, timeZone: string): Date | null {
  if (dueDate === null || dueDate === undefined) return null;
  if (dueDate instanceof Date) return dueDate;
  const nextMidnight = Temporal.PlainDate.from(dueDate).add({ days: 1 }).toZonedDateTime(timeZone);
  return new Date(nextMidnight.epochMilliseconds - 1);
}
