/**
 * Free-text working hours as the product documents write them (`'9am-5pm PST'`), parsed into
 * the stored `{ start, end, timezone }`; text that is not such hours is refused.
 */
import { describe, expect, it } from 'vitest';

import { parseInput } from '../../src/validation.js';
import { parseWorkingHours, WORKING_HOURS_EXPECTED, WorkingHoursModel } from '../../src/workers/working-hours.js';
import { ValidationError } from '../../src/errors.js';

describe('free-text working hours', () => {
  it.each([
    ['9am-5pm PST', '09:00', '17:00', 'America/Los_Angeles'],
    ['09:00-17:00 Europe/Berlin', '09:00', '17:00', 'Europe/Berlin'],
    ['9-5 ET', '09:00', '17:00', 'America/New_York'],
    ['9-5pm pdt', '09:00', '17:00', 'America/Los_Angeles'],
    ['1-5pm UTC', '13:00', '17:00', 'UTC'],
    ['9:30 a.m. to 6:15 p.m. America/Chicago', '09:30', '18:15', 'America/Chicago'],
    ['8am – 4 CET', '08:00', '16:00', 'Europe/Berlin'],
    ['12pm-8pm JST', '12:00', '20:00', 'Asia/Tokyo'],
    ['22:00-6:00 UTC', '22:00', '06:00', 'UTC'],
    ['16:00-24:00 Asia/Kolkata', '16:00', '24:00', 'Asia/Kolkata'],
  ])('reads %j as %s-%s in %s', (text, start, end, timezone) => {
    expect(parseWorkingHours(text)).toEqual({ start, end, timezone });
  });

  it.each(['9am-5pm', '9am-5pm Mars/Olympus', 'nine to five PST', '13pm-5pm PST', '25:00-26:00 UTC', '9-9 UTC', 'sometime PST'])(
    'refuses %j',
    (text) => {
      expect(parseWorkingHours(text)).toBeNull();
    },
  );

  it('keeps the object form and names the field of a bad object or text', () => {
    const model = WorkingHoursModel;
    expect(parseInput(model, { start: '9:00', end: '17:00', timezone: 'America/Los_Angeles' })).toEqual({
      start: '9:00',
      end: '17:00',
      timezone: 'America/Los_Angeles',
    });
    const issuesOf = (value: unknown) => {
      try {
        parseInput(model, value);
      } catch (error) {
        return (error as ValidationError).issues;
      }
      throw new Error('accepted');
    };
    expect(issuesOf('whenever')).toEqual([{ path: [], message: WORKING_HOURS_EXPECTED }]);
    expect(issuesOf({ start: '9:00', end: '17:00', timezone: 'PST8' })).toEqual([
      { path: ['timezone'], message: 'must be an IANA time zone such as America/Los_Angeles' },
    ]);
    expect(issuesOf(42)).toEqual([{ path: [], message: WORKING_HOURS_EXPECTED }]);
  });
});
