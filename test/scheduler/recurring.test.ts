/**
 * Recurring work: a `$.Daily` 09:00 schedule in America/New_York fires at 09:00 local
 * time across the daylight-saving change, once per instant, with two scheduler
 * instances racing on one database; time moves by a fake clock, never by sleeping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/logger.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { cronOf, fireDueSchedules, nextRunAfter } from '../../src/tasks/recurring.js';
import { FakeClock } from '../support/fake-clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const ASSIGN = /* GraphQL */ `
  mutation ($input: AssignRecurringTaskInput!) {
    assignRecurringTask(input: $input) {
      __typename
      ... on TaskSchedule { id schedule cron time timezone nextRunAt lastRunAt }
      ... on ValidationError { issues { path message } }
      ... on Error { message }
    }
  }
`;

const TASKS = /* GraphQL */ `
  query ($id: ID!) {
    node(id: $id) {
      ... on TaskSchedule { nextRunAt lastRunAt tasks(first: 50) { totalCount edges { node { action status scheduledFor input assignee { name } } } } }
    }
  }
`;

describe('cron presets and time zones', () => {
  it('maps presets to cron expressions and rejects what is not one', () => {
    expect(cronOf({ schedule: '$.Daily', time: '09:00' })).toEqual({ cron: '0 9 * * *' });
    expect(cronOf({ schedule: '$.Hourly', time: '00:15' })).toEqual({ cron: '15 * * * *' });
    expect(cronOf({ schedule: '$.Weekly', time: '8:30', dayOfWeek: 'FRIDAY' })).toEqual({ cron: '30 8 * * 5' });
    expect(cronOf({ schedule: '$.Monthly' })).toEqual({ cron: '0 9 1 * *' });
    expect(cronOf({ schedule: '*/15 9-17 * * 1-5' })).toEqual({ cron: '*/15 9-17 * * 1-5' });
    expect(cronOf({ schedule: '$.Yearly' })).toMatchObject({ issues: [{ path: ['schedule'] }] });
    expect(cronOf({ schedule: '61 * * * *' })).toMatchObject({ issues: [{ path: ['schedule'] }] });
    expect(cronOf({ schedule: '0 9 * * *', time: '09:00' })).toMatchObject({ issues: [{ path: ['time'] }] });
    expect(cronOf({ schedule: '$.Daily', dayOfWeek: 'MONDAY' })).toMatchObject({ issues: [{ path: ['dayOfWeek'] }] });
  });

  it('keeps 09:00 local across daylight-saving changes', () => {
    // New York leaves EST (UTC−5) for EDT (UTC−4) on 2026-03-08.
    expect(nextRunAfter('0 9 * * *', 'America/New_York', new Date('2026-03-07T14:00:00Z'))).toEqual(new Date('2026-03-08T13:00:00Z'));
    // Berlin returns to CET (UTC+1) on 2026-10-25.
    expect(nextRunAfter('0 9 * * *', 'Europe/Berlin', new Date('2026-10-24T07:00:00Z'))).toEqual(new Date('2026-10-25T08:00:00Z'));
  });
});

describe('the recurring-task scheduler', () => {
  const clock = new FakeClock('2026-03-06T12:00:00Z'); // 07:00 in New York (EST)
  let app: TestApp;
  let workerId: string;

  beforeAll(async () => {
    app = await createTestApp({ clock });
    // The app's own scheduler would take part in every race; these tests run their own two.
    await app.app.scheduler.stop();
    const hired = await app.data(`mutation { hireWorker(input: { name: "Alex", role: "CSM" }) { ... on Worker { id } } }`);
    workerId = hired.hireWorker.id;
    await app.data(`mutation ($id: ID!) { onboardWorker(input: { workerId: $id }) { __typename } }`, { id: workerId });
    await app.data(`mutation ($id: ID!) { activateWorker(input: { workerId: $id }) { __typename } }`, { id: workerId });
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Two scheduler instances over the app's database, as two server processes would run them. */
  const racers = () =>
    [1, 2].map(
      () =>
        new Scheduler({
          clock,
          logger: createLogger('silent'),
          jobs: [{ name: 'recurring-tasks', run: (now) => fireDueSchedules({ ...app.app.services }, now) }],
        }),
    );
  const race = async (schedulers: Scheduler[]) => {
    await Promise.all(schedulers.map((scheduler) => scheduler.tick()));
  };
  const firedAt = async (scheduleId: string) =>
    (await app.data(TASKS, { id: scheduleId })).node.tasks.edges.map((e: { node: { scheduledFor: string } }) => e.node.scheduledFor);

  it('fires a $.Daily 09:00 America/New_York schedule at 09:00 local, once per day, with two schedulers racing', async () => {
    const created = (
      await app.data(ASSIGN, {
        input: { workerId, action: 'check_health_scores', input: { segment: 'enterprise' }, schedule: '$.Daily', time: '09:00', timezone: 'America/New_York' },
      })
    ).assignRecurringTask;
    expect(created).toMatchObject({
      __typename: 'TaskSchedule',
      cron: '0 9 * * *',
      time: '09:00',
      timezone: 'America/New_York',
      nextRunAt: '2026-03-06T14:00:00.000Z',
      lastRunAt: null,
    });
    const schedulers = racers();

    clock.set('2026-03-06T13:59:59Z'); // 08:59:59 local: not yet
    await race(schedulers);
    expect(await firedAt(created.id)).toEqual([]);

    clock.set('2026-03-06T14:00:00Z'); // 09:00 EST
    await race(schedulers);
    await race(schedulers);
    expect(await firedAt(created.id)).toEqual(['2026-03-06T14:00:00.000Z']);

    clock.set('2026-03-07T14:00:30Z'); // 09:00:30 EST the next day
    await race(schedulers);
    clock.set('2026-03-08T12:59:00Z'); // 08:59 EDT on the day clocks go forward
    await race(schedulers);
    clock.set('2026-03-08T13:00:00Z'); // 09:00 EDT
    await race(schedulers);
    await race(schedulers);

    const { node } = await app.data(TASKS, { id: created.id });
    expect(node.tasks.edges.map((e: { node: unknown }) => e.node)).toEqual(
      ['2026-03-06T14:00:00.000Z', '2026-03-07T14:00:00.000Z', '2026-03-08T13:00:00.000Z'].map((scheduledFor) => ({
        action: 'check_health_scores',
        status: 'ASSIGNED',
        scheduledFor,
        input: { segment: 'enterprise' },
        assignee: { name: 'Alex' },
      })),
    );
    expect(node).toMatchObject({ lastRunAt: '2026-03-08T13:00:00.000Z', nextRunAt: '2026-03-09T13:00:00.000Z' });
  });

  it('fires once for instants missed while no scheduler ran, then continues on time', async () => {
    clock.set('2026-03-09T12:00:00Z');
    const created = (await app.data(ASSIGN, { input: { workerId, action: 'weekly_report', schedule: '30 8 * * 1', timezone: 'Europe/Berlin' } }))
      .assignRecurringTask;
    expect(created).toMatchObject({ cron: '30 8 * * 1', time: null, nextRunAt: '2026-03-16T07:30:00.000Z' });

    clock.set('2026-04-01T00:00:00Z'); // three Mondays later
    const schedulers = racers();
    await race(schedulers);
    expect(await firedAt(created.id)).toEqual(['2026-03-16T07:30:00.000Z']);
    const { node } = await app.data(TASKS, { id: created.id });
    expect(node.nextRunAt).toBe('2026-04-06T06:30:00.000Z'); // CEST from 2026-03-29
  });

  it('answers bad schedules with a ValidationError naming each path, and stores nothing', async () => {
    const before = (await app.data(`query ($id: ID!) { node(id: $id) { ... on Worker { schedules { totalCount } } } }`, { id: workerId })).node.schedules.totalCount;
    const bad = (await app.data(ASSIGN, { input: { workerId, action: 'x', schedule: '0 9 * * *', time: '9:00', timezone: 'Mars/Olympus' } }))
      .assignRecurringTask;
    expect(bad.__typename).toBe('ValidationError');
    expect(bad.issues.map((i: { path: string[] }) => i.path.join('.'))).toEqual(['timezone']);
    const cron = (await app.data(ASSIGN, { input: { workerId, action: 'x', schedule: '0 9 * * *', time: '9:00' } })).assignRecurringTask;
    expect(cron.issues.map((i: { path: string[] }) => i.path.join('.'))).toEqual(['time']);
    const preset = (await app.data(ASSIGN, { input: { workerId, action: 'x', schedule: '$.Fortnightly' } })).assignRecurringTask;
    expect(preset.issues.map((i: { path: string[] }) => i.path.join('.'))).toEqual(['schedule']);
    const after = (await app.data(`query ($id: ID!) { node(id: $id) { ... on Worker { schedules { totalCount } } } }`, { id: workerId })).node.schedules.totalCount;
    expect(after).toBe(before);
  });

  it('moves schedules to the successor on offboarding', async () => {
    const successor = (await app.data(`mutation { hireWorker(input: { name: "Sam", role: "CSM" }) { ... on Worker { id } } }`)).hireWorker.id;
    await app.data(`mutation ($id: ID!) { onboardWorker(input: { workerId: $id }) { __typename } }`, { id: successor });
    await app.data(`mutation ($id: ID!) { activateWorker(input: { workerId: $id }) { __typename } }`, { id: successor });
    await app.data(`mutation ($id: ID!, $to: ID!) { offboardWorker(input: { workerId: $id, reason: "moved", transferWorkTo: $to }) { __typename } }`, {
      id: workerId,
      to: successor,
    });
    const moved = (await app.data(`query ($id: ID!) { node(id: $id) { ... on Worker { schedules { totalCount edges { node { action } } } } } }`, { id: successor }))
      .node.schedules;
    expect(moved.edges.map((e: { node: { action: string } }) => e.node.action).sort()).toEqual(['check_health_scores', 'weekly_report']);
  });
});
