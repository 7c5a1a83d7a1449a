/**
 * A worker's working hours (docs/product/worker.md "workingHours: '9am-5pm PST'"): the free
 * text of the product documents, or the object `{ start, end, timezone }` it is stored as.
 * The rules are documented in README.md ("The product documents' values").
 */
import { z } from 'zod';

import { isTimeZone, TimeZone } from '../validation.js';

/** Working hours as stored: local wall-clock `HH:MM` times in an IANA time zone. */
export interface WorkingHours {
  /** `HH:MM`, 00:00–23:59. */
  start: string;
  /** `HH:MM`, 00:00–24:00; before `start` when the hours cross midnight. */
  end: string;
  /** IANA time zone, e.g. `America/Los_Angeles`. */
  timezone: string;
}

/**
 * Time-zone abbreviations people write after working hours, each mapped to the IANA zone of
 * the region it names. The hours then follow that region's wall clock all year: `9am-5pm PST`
 * is 9 to 5 in Los Angeles in summer too (when the clocks there say PDT). Abbreviations that
 * name several regions (IST, CST outside North America …) take the entry below.
 */
export const TIME_ZONE_ABBREVIATIONS: Readonly<Record<string, string>> = {
  UTC: 'UTC',
  GMT: 'UTC',
  Z: 'UTC',
  PT: 'America/Los_Angeles',
  PST: 'America/Los_Angeles',
  PDT: 'America/Los_Angeles',
  MT: 'America/Denver',
  MST: 'America/Denver',
  MDT: 'America/Denver',
  CT: 'America/Chicago',
  CST: 'America/Chicago',
  CDT: 'America/Chicago',
  ET: 'America/New_York',
  EST: 'America/New_York',
  EDT: 'America/New_York',
  AKST: 'America/Anchorage',
  AKDT: 'America/Anchorage',
  HST: 'Pacific/Honolulu',
  BST: 'Europe/London',
  WET: 'Europe/Lisbon',
  CET: 'Europe/Berlin',
  CEST: 'Europe/Berlin',
  EET: 'Europe/Athens',
  EEST: 'Europe/Athens',
  IST: 'Asia/Kolkata',
  SGT: 'Asia/Singapore',
  JST: 'Asia/Tokyo',
  KST: 'Asia/Seoul',
  AEST: 'Australia/Sydney',
  AEDT: 'Australia/Sydney',
  NZST: 'Pacific/Auckland',
  NZDT: 'Pacific/Auckland',
};

/** What a refusal of free-text hours says is expected. */
export const WORKING_HOURS_EXPECTED =
  "must be hours and a time zone such as '9am-5pm PST', '09:00-17:00 Europe/Berlin' or '9-5 ET', or an object { start end timezone }";

type Meridiem = 'am' | 'pm' | null;
interface ClockTime {
  hour: number;
  minute: number;
  meridiem: Meridiem;
}

const TIME = String.raw`(\d{1,2})(?::([0-5]\d))?\s*([ap])?\.?\s*(?:m\.?)?`;
const HOURS_TEXT = new RegExp(String.raw`^${TIME}\s*(?:-|–|—|to)\s*${TIME}\s+(.+)$`, 'i');

/**
 * Parses free-text working hours: two times joined by `-`, `–` or `to`, then a time zone.
 * A time is `9`, `9:30`, `17:00`, `9am`, `5:30 p.m.`; the zone an IANA name or one of
 * {@link TIME_ZONE_ABBREVIATIONS}. A time without am/pm beside one with it takes the
 * meridiem that puts the start before the end (`9-5pm` is 09:00-17:00, `1-5pm` 13:00-17:00);
 * two bare hours with the end before the start (`9-5`) read the end as afternoon, the way
 * office hours are written. 24-hour times are taken as written (`20:00-8:00` crosses midnight).
 * @returns the hours as stored, or null when the text is not such hours.
 */
export function parseWorkingHours(text: string): WorkingHours | null {
  const match = HOURS_TEXT.exec(text.trim());
  if (!match) return null;
  const timezone = timeZoneOf(match[7]!.trim());
  if (!timezone) return null;
  const start = clockTime(match[1]!, match[2], match[3]);
  const end = clockTime(match[4]!, match[5], match[6]);
  if (!start || !end) return null;
  const [startMinutes, endMinutes] = resolveMeridiems(start, end);
  if (startMinutes === null || endMinutes === null || startMinutes >= 24 * 60 || startMinutes === endMinutes) return null;
  return { start: formatMinutes(startMinutes), end: formatMinutes(endMinutes), timezone };
}

/** An IANA zone as written, or the zone of an abbreviation (any case); null when neither. */
function timeZoneOf(zone: string): string | null {
  const abbreviation = TIME_ZONE_ABBREVIATIONS[zone.toUpperCase()];
  if (abbreviation) return abbreviation;
  return zone.includes('/') && isTimeZone(zone) ? zone : null;
}

function clockTime(hour: string, minute: string | undefined, meridiem: string | undefined): ClockTime | null {
  const time = { hour: Number(hour), minute: minute === undefined ? 0 : Number(minute), meridiem: meridiemOf(meridiem) };
  if (time.meridiem ? time.hour < 1 || time.hour > 12 : time.hour > 24) return null;
  if (time.hour === 24 && time.minute !== 0) return null;
  return time;
}

function meridiemOf(letter: string | undefined): Meridiem {
  if (!letter) return null;
  return letter.toLowerCase() === 'a' ? 'am' : 'pm';
}

/** Minutes after midnight of both times, once a missing meridiem is decided. */
function resolveMeridiems(start: ClockTime, end: ClockTime): [number | null, number | null] {
  if (start.meridiem && !end.meridiem) {
    const startMinutes = minutesOf(start)!;
    return [startMinutes, withMeridiem(end, start.meridiem, (minutes) => minutes > startMinutes)];
  }
  if (end.meridiem && !start.meridiem) {
    const endMinutes = minutesOf(end)!;
    return [withMeridiem(start, end.meridiem, (minutes) => minutes < endMinutes), endMinutes];
  }
  const bareHours = !start.meridiem && !end.meridiem && start.minute === 0 && end.minute === 0;
  if (bareHours && start.hour < 12 && end.hour >= 1 && end.hour < start.hour) return [minutesOf(start), minutesOf({ ...end, meridiem: 'pm' })];
  return [minutesOf(start), minutesOf(end)];
}

/**
 * Minutes after midnight of `time`, which has no meridiem, read with `preferred` if that
 * `fits` (lies on the right side of the other time), else with the other meridiem. An hour
 * 0 or above 12 is a 24-hour time and is taken as written.
 */
function withMeridiem(time: ClockTime, preferred: 'am' | 'pm', fits: (minutes: number) => boolean): number {
  if (time.hour === 0 || time.hour > 12) return time.hour * 60 + time.minute;
  const same = minutesOf({ ...time, meridiem: preferred })!;
  return fits(same) ? same : minutesOf({ ...time, meridiem: preferred === 'am' ? 'pm' : 'am' })!;
}

function minutesOf({ hour, minute, meridiem }: ClockTime): number | null {
  if (!meridiem) return hour * 60 + minute;
  if (hour < 1 || hour > 12) return null;
  return ((hour % 12) + (meridiem === 'pm' ? 12 : 0)) * 60 + minute;
}

function formatMinutes(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

const WorkingHoursObject = z
  .object({
    start: z.string().regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'must be H:MM or HH:MM'),
    end: z.string().regex(/^([01]?\d|2[0-4]):[0-5]\d$/, 'must be H:MM or HH:MM'),
    timezone: TimeZone,
  })
  .strict();

/**
 * `persona.workingHours` on the way in: free text ({@link parseWorkingHours}) or the object
 * `{ start, end, timezone }`; either way the object is stored. Text that is not such hours is
 * refused with {@link WORKING_HOURS_EXPECTED}; a bad object field is named by its path.
 */
export const WorkingHoursModel = z.unknown().transform((value, ctx): WorkingHours => {
  if (typeof value === 'string') {
    const hours = parseWorkingHours(value);
    if (hours) return hours;
    ctx.addIssue({ code: 'custom', message: WORKING_HOURS_EXPECTED });
    return z.NEVER;
  }
  const parsed = WorkingHoursObject.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    ctx.addIssue({ code: 'custom', message: issue.path.length ? issue.message : WORKING_HOURS_EXPECTED, path: issue.path });
  }
  return z.NEVER;
});
