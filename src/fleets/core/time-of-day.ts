/**
 * Local wall-clock windows (`8:00-16:00`, `20:00-8:00` across midnight) in an IANA time
 * zone, for scaling schedules and shifts. Time-zone arithmetic is Temporal's (the
 * @js-temporal/polyfill of the TC39 proposal), so days of 23 or 25 hours around
 * daylight-saving changes are handled by the zone rules, not by adding hours.
 */
import { Temporal } from '@js-temporal/polyfill';

/** Minutes in a day; `24:00` as an end means midnight at the end of the day. */
export const MINUTES_PER_DAY = 24 * 60;

/** A window of local time: minutes after midnight, `end` ≤ `start` crossing midnight. */
export interface ClockWindow {
  start: number;
  end: number;
}

/** `H:MM` → minutes after midnight (0–1440). */
export function parseClock(text: string): number {
  const [hours, minutes] = text.split(':').map(Number);
  return hours! * 60 + minutes!;
}

/** `H:MM-H:MM` (validated by policy.ts HoursModel) → a window. */
export function parseHours(hours: string): ClockWindow {
  const [start, end] = hours.split('-');
  return { start: parseClock(start!), end: parseClock(end!) };
}

/** Whether the window crosses midnight (`20:00-8:00`); a window from a time to itself lasts a whole day. */
export function crossesMidnight(window: ClockWindow): boolean {
  return window.end <= window.start;
}

/** The local date and minutes after midnight of `at` in `zone`. */
export function localTime(at: Date, zone: string): { date: Temporal.PlainDate; minutes: number } {
  const zoned = Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO(zone);
  return { date: zoned.toPlainDate(), minutes: zoned.hour * 60 + zoned.minute };
}

/** Whether local minutes `minutes` fall in `window` (start inclusive, end exclusive). */
export function isWithin(window: ClockWindow, minutes: number): boolean {
  if (!crossesMidnight(window)) return minutes >= window.start && minutes < window.end;
  return minutes >= window.start || minutes < window.end;
}

/**
 * The instant of local `date` at `minutes` after midnight in `zone`. A local time that
 * does not exist (skipped by a spring-forward change) moves forward by the gap, and one
 * that occurs twice (fall-back) is the earlier: Temporal's `compatible` disambiguation,
 * the behaviour of RFC 5545 calendars and of JavaScript's Date.
 */
export function instantAt(date: Temporal.PlainDate, minutes: number, zone: string): Date {
  const day = date.add({ days: Math.floor(minutes / MINUTES_PER_DAY) });
  const rest = minutes % MINUTES_PER_DAY;
  const zoned = day.toZonedDateTime({ timeZone: zone, plainTime: { hour: Math.floor(rest / 60), minute: rest % 60 } });
  return new Date(zoned.epochMilliseconds);
}
