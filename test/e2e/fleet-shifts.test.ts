/**
 * Shifts over HTTP: `currentShift(at)` across midnight and across daylight-saving
 * changes (America/Los_Angeles, 2027), and the scheduler sizing a fleet at each boundary
 * with a handoff overlap and a briefing of the open work (fake clock, Europe/Berlin).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FakeClock } from '../support/fake-clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { assignWork, createFleet, mutate, readFleet, storedEvents } from '../fleets/helpers.js';

const ON_DUTY = `name workers startTime endTime startsAt endsAt handoffUntil outgoing { name startsAt endsAt }`;

async function onDuty(app: TestApp, fleetId: string, at: string) {
  const { fleet } = await app.data(`query ($id: ID!, $at: DateTime) { fleet(id: $id) { currentShift(at: $at) { ${ON_DUTY} } } }`, { id: fleetId, at });
  return fleet.currentShift as Record<string, any> | null;
}

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'];

describe('currentShift', () => {
  let app: TestApp;
  let seedFleet: string;
  let deskFleet: string;

  beforeAll(async () => {
    app = await createTestApp();
    seedFleet = await createFleet(app, { name: 'Support', workerTemplate: { role: 'Agent' }, scaling: { min: 0, max: 30 }, timezone: 'America/Los_Angeles' });
    // The seed's shifts (docs/product/fleets.md "Shift Management").
    const configured = await mutate(
      app,
      'configureShifts',
      'ConfigureShiftsInput',
      {
        fleetId: seedFleet,
        timezone: 'America/Los_Angeles',
        shifts: [
          { name: 'Morning Shift', hours: '8:00-16:00', workers: 20, days: WEEKDAYS },
          { name: 'Afternoon Shift', hours: '16:00-24:00', workers: 15, days: WEEKDAYS },
          { name: 'Night Shift', hours: '0:00-8:00', workers: 10, days: ['all'] },
          { name: 'Weekend Shift', hours: '8:00-20:00', workers: 8, days: ['saturday', 'sunday'] },
        ],
        handoff: { overlapMinutes: 15, briefing: true },
      },
      '... on Fleet { shifts { name startTime endTime days workerCount timezone } }',
    );
    expect(configured.shifts).toHaveLength(4);
    expect(configured.shifts[0]).toEqual({ name: 'Morning Shift', startTime: '8:00', endTime: '16:00', days: WEEKDAYS, workerCount: 20, timezone: 'America/Los_Angeles' });
    deskFleet = await createFleet(app, { name: 'Desk', workerTemplate: { role: 'Agent' }, scaling: { min: 0, max: 5 }, timezone: 'America/Los_Angeles' });
    await mutate(app, 'configureShifts', 'ConfigureShiftsInput', {
      fleetId: deskFleet,
      shifts: [
        { name: 'Day Desk', hours: '8:00-20:00', workers: 3 },
        { name: 'Night Desk', hours: '20:00-8:00', workers: 1 },
      ],
    }, '__typename');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers weekday shifts in the fleet’s time zone', async () => {
    // Wednesday 10 March 2027, 9:00 PST (UTC−8).
    expect(await onDuty(app, seedFleet, '2027-03-10T17:00:00Z')).toMatchObject({
      name: 'Morning Shift',
      workers: 20,
      startTime: '8:00',
      endTime: '16:00',
      startsAt: '2027-03-10T16:00:00.000Z',
      endsAt: '2027-03-11T00:00:00.000Z',
      outgoing: null,
    });
    // 16:05: the afternoon shift, with the morning one still on duty for the overlap.
    expect(await onDuty(app, seedFleet, '2027-03-11T00:05:00Z')).toMatchObject({
      name: 'Afternoon Shift',
      handoffUntil: '2027-03-11T00:15:00.000Z',
      outgoing: { name: 'Morning Shift', endsAt: '2027-03-11T00:00:00.000Z' },
    });
    // Saturday 13 March, 21:00: the weekend shift ended at 20:00, the night starts at 0:00.
    expect(await onDuty(app, seedFleet, '2027-03-14T05:00:00Z')).toBeNull();
  });

  it('counts real hours across daylight-saving changes', async () => {
    // Sunday 14 March 2027: clocks jump from 2:00 PST to 3:00 PDT; the night lasts 7 hours.
    expect(await onDuty(app, seedFleet, '2027-03-14T14:59:00Z')).toMatchObject({
      name: 'Night Shift',
      startsAt: '2027-03-14T08:00:00.000Z',
      endsAt: '2027-03-14T15:00:00.000Z',
    });
    expect(await onDuty(app, seedFleet, '2027-03-14T15:00:00Z')).toMatchObject({ name: 'Weekend Shift', startsAt: '2027-03-14T15:00:00.000Z' });
    // Sunday 7 November 2027: clocks fall back from 2:00 PDT to 1:00 PST; the night lasts 9 hours.
    expect(await onDuty(app, seedFleet, '2027-11-07T15:30:00Z')).toMatchObject({
      name: 'Night Shift',
      startsAt: '2027-11-07T07:00:00.000Z',
      endsAt: '2027-11-07T16:00:00.000Z',
    });
  });

  it('answers shifts that cross midnight, a DST change included', async () => {
    // Saturday 20:00 PST to Sunday 8:00 PDT: 11 hours.
    expect(await onDuty(app, deskFleet, '2027-03-14T10:00:00Z')).toMatchObject({
      name: 'Night Desk',
      startsAt: '2027-03-14T04:00:00.000Z',
      endsAt: '2027-03-14T15:00:00.000Z',
    });
    expect(await onDuty(app, deskFleet, '2027-03-14T16:00:00Z')).toMatchObject({ name: 'Day Desk', startsAt: '2027-03-14T15:00:00.000Z', endsAt: '2027-03-15T03:00:00.000Z' });
  });

  it('refuses worker counts outside the fleet’s bounds and unknown days', async () => {
    const refused = await mutate(
      app,
      'configureShifts',
      'ConfigureShiftsInput',
      { fleetId: deskFleet, shifts: [{ name: 'Big', hours: '8:00-9:00', workers: 9 }, { name: 'Odd', hours: '25:00-9:00', workers: 1, days: ['someday'] }] },
      '',
    );
    expect(refused.__typename).toBe('ValidationError');
    expect(refused.issues.map((i: { path: string[] }) => i.path.join('.')).sort()).toEqual(['shifts.1.days.0', 'shifts.1.hours']);
  });
});

describe('shift boundaries', () => {
  // Monday 11 January 2027, 6:30 in Berlin (CET, UTC+1).
  const clock = new FakeClock('2027-01-11T05:30:00Z');
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ clock });
    await app.app.scheduler.stop(); // explicit ticks only
  });
  afterAll(async () => {
    await app?.close();
  });

  const tickAt = async (instant: string) => {
    clock.set(instant);
    await app.app.scheduler.tick();
  };

  it('sizes the fleet at each boundary, keeps both shifts during the overlap and briefs the incoming one', async () => {
    const fleetId = await createFleet(app, { name: 'Berlin', workerTemplate: { role: 'Agent' }, scaling: { min: 0, max: 10 }, timezone: 'Europe/Berlin' });
    await mutate(app, 'configureShifts', 'ConfigureShiftsInput', {
      fleetId,
      shifts: [
        { name: 'Early', hours: '6:00-14:00', workers: 4 },
        { name: 'Late', hours: '14:00-22:00', workers: 2 },
      ],
      handoff: { overlapMinutes: 15, briefing: true },
    }, '__typename');

    await tickAt('2027-01-11T05:30:00Z');
    expect((await readFleet(app, fleetId)).size).toBe(4);
    const work = await assignWork(app, fleetId, Array.from({ length: 6 }, (_, i) => ({ action: `case-${i}`, priority: i === 5 ? 'CRITICAL' : 'NORMAL' })));
    expect(work).toMatchObject({ assigned: 4, queued: 2 });

    await tickAt('2027-01-11T12:59:00Z'); // 13:59: still Early
    expect((await readFleet(app, fleetId)).size).toBe(4);

    await tickAt('2027-01-11T13:00:30Z'); // 14:00:30: Late starts, Early stays for the overlap
    expect((await readFleet(app, fleetId)).size).toBe(4);
    expect(await onDuty(app, fleetId, '2027-01-11T13:00:30Z')).toMatchObject({ name: 'Late', outgoing: { name: 'Early' }, handoffUntil: '2027-01-11T13:15:00.000Z' });

    await tickAt('2027-01-11T13:16:00Z'); // 14:16: the overlap is over
    const after = await readFleet(app, fleetId);
    expect(after.status).toMatchObject({ size: 2, queueDepth: 2 + 2 });

    await tickAt('2027-01-11T21:30:00Z'); // 22:30: no shift, nothing changes
    expect((await readFleet(app, fleetId)).size).toBe(2);
    await tickAt('2027-01-12T05:00:00Z'); // 6:00 the next day: Early again, nobody to hand over
    expect((await readFleet(app, fleetId)).size).toBe(4);

    const { fleet } = await app.data(
      `query ($id: ID!) { fleet(id: $id) { handoffs { shift { name } from { name } startsAt overlapUntil completedAt briefing { summary queued inProgress critical tasks { action priority status } } }
        workers(first: 20) { edges { node { lifecycle shift { name } } } } } }`,
      { id: fleetId },
    );
    expect(fleet.handoffs.map((h: any) => [h.shift.name, h.from?.name ?? null, h.startsAt])).toEqual([
      ['Early', null, '2027-01-12T05:00:00.000Z'],
      ['Late', 'Early', '2027-01-11T13:00:00.000Z'],
      ['Early', null, '2027-01-11T05:00:00.000Z'],
    ]);
    const late = fleet.handoffs[1];
    expect(late).toMatchObject({ overlapUntil: '2027-01-11T13:15:00.000Z', completedAt: '2027-01-11T13:16:00.000Z' });
    expect(late.briefing).toMatchObject({ queued: 2, inProgress: 4, critical: 1 });
    expect(late.briefing.summary).toMatch(/^2 queued, 4 in progress \(1 CRITICAL, 5 NORMAL\); oldest waiting since /);
    expect(late.briefing.tasks[0]).toEqual({ action: 'case-5', priority: 'CRITICAL', status: 'ASSIGNED' });
    const active = fleet.workers.edges.map((e: any) => e.node).filter((w: any) => w.lifecycle === 'ACTIVE');
    expect(active.map((w: any) => w.shift?.name)).toEqual(['Early', 'Early', 'Early', 'Early']);

    const started = await storedEvents(app, ['Fleet.shift.started', 'Fleet.shift.handoff.completed'], (e) => e.subjectId === fleetId, 4);
    expect(started.map((e) => [e.type, e.payload.name, e.payload.workers])).toEqual([
      ['Fleet.shift.started', 'Early', 4],
      ['Fleet.shift.started', 'Late', 4],
      ['Fleet.shift.handoff.completed', 'Late', 2],
      ['Fleet.shift.started', 'Early', 4],
    ]);
  });
});
