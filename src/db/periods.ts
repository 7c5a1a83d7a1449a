/** Calendar periods in a time zone, in SQL: where the current day, week or month begins. */
import { sql, type SQL } from 'drizzle-orm';

/** A calendar period of quotas and budgets. */
export type CalendarPeriod = 'DAILY' | 'WEEKLY' | 'MONTHLY';

const PERIOD_UNIT: Record<CalendarPeriod, string> = { DAILY: 'day', WEEKLY: 'week', MONTHLY: 'month' };

/**
 * SQL timestamptz: the start of the current `period` at `now` in IANA time zone `zone` —
 * local midnight, of the day, of Monday (weeks start on Monday, as PostgreSQL's
 * date_trunc has them) or of the 1st of the month.
 */
export function periodStart(period: CalendarPeriod, now: Date, zone: string): SQL {
  const at = sql`${now.toISOString()}::timestamptz`;
  return sql`(date_trunc(${PERIOD_UNIT[period]}, ${at} at time zone ${zone}) at time zone ${zone})`;
}
