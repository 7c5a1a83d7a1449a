/**
 * Managing recurring schedules on the fake clock: a paused schedule makes nothing when
 * due and, resumed, continues from its next instant after resuming (no burst of missed
 * ones); a change of timing or task applies from the next instant; a deleted schedule
 * makes nothing and leaves the tasks it made as they are; a schedule can target a fleet
 * (each task joins the queue and is handed out); lists filter by target and status;
 * refusals name the field. Events are raised under the target's subject.
 */
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { events } from '../../src/db/schema.js';
import { fireDueSchedules } from '../../src/tasks/recurring.js';
import { createFleet } from '../fleets/helpers.js';
import { eventually, FakeClock } from '../support/fake-clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const SCHEDULE = 'id status schedule cron time timezone action priority input nextRunAt lastRunAt pausedAt worker { name } fleet { name }';
const RESULT = `__typename ... on TaskSchedule { ${SCHEDULE} } ... on ValidationError { issues { path message } } ... on Error { message }`;

const ASSIGN = `mutation ($input: AssignRecurringTaskInput!) { assignRecurringTask(input: $input) { ${RESULT} } }`;
const UPDATE = `mutation ($input: UpdateScheduleInput!) { updateSchedule(input: $input) { ${RESULT} } }`;
const move = (field: string) => `mutation ($id: ID!) { ${field}(input: { scheduleId: $id }) { ${RESULT} } }`;

const TASKS = /* GraphQL */ `
  query ($id: ID!) {
    node(id: $id) { ... on TaskSchedule { tasks(first: 50) { edges { node { action status scheduledFor priority input assignee { name } } } } } }
  }
`;

/** The local UUID of a global ID. */
const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64').toString().split(':')[1]!;

describe('managing recurring schedules', () => {
  const clock = new FakeClock('2026-03-02T08:00:00Z'); // a Monday, 08:00 UTC
  let app: TestApp;
  let workerId: string;

  const fire = () => fireDueSchedules({ ...app.app.services }, clock.now());
  const made = async (scheduleId: string) =>
    (await app.data(TASKS, { id: scheduleId })).node.tasks.edges.map((e: { node: Record<string, unknown> }) => e.node);
  const eventTypes = async (subjectId: string, prefix: string) =>
    (
      await app.app.services.db
        .select({ type: events.type, payload: events.payload })
        .from(events)
        .where(and(eq(events.subjectId, uuidOf(subjectId)), like(events.type, `${prefix}%`)))
        .orderBy(events.seq)
    ).map((e) => e.type);

  beforeAll(async () => {
    app = await createTestApp({ clock });
    // Time moves only when these tests say so; they fire schedules themselves.
    await app.app.scheduler.stop();
    workerId = (await app.data(`mutation { hireWorker(input: { name: "Alex", role: "CSM" }) { ... on Worker { id } } }`)).hireWorker.id;
    await app.data(`mutation ($id: ID!) { onboardWorker(input: { workerId: $id }) { __typename } }`, { id: workerId });
    await app.data(`mutation ($id: ID!) { activateWorker(input: { workerId: $id }) { __typename } }`, { id: workerId });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a paused schedule makes nothing when due; resumed, it continues from its next instant without making up missed ones', async () => {
    clock.set('2026-03-02T08:00:00Z');
    const created = (await app.data(ASSIGN, { input: { workerId, action: 'daily_report', schedule: '$.Daily', time: '09:00', timezone: 'UTC' } }))
      .assignRecurringTask;
    expect(created).toMatchObject({ status: 'ACTIVE', nextRunAt: '2026-03-02T09:00:00.000Z' });

    clock.set('2026-03-02T08:30:00Z');
    const paused = (await app.data(move('pauseSchedule'), { id: created.id })).pauseSchedule;
    expect(paused).toMatchObject({ status: 'PAUSED', nextRunAt: null, pausedAt: '2026-03-02T08:30:00.000Z' });
    expect((await app.data(move('pauseSchedule'), { id: created.id })).pauseSchedule).toMatchObject({ __typename: 'InvalidTransitionError' });

    clock.set('2026-03-04T10:00:00Z'); // three instants fell while paused
    await fire();
    expect(await made(created.id)).toEqual([]);

    const resumed = (await app.data(move('resumeSchedule'), { id: created.id })).resumeSchedule;
    expect(resumed).toMatchObject({ status: 'ACTIVE', pausedAt: null, nextRunAt: '2026-03-05T09:00:00.000Z' });
    expect((await app.data(move('resumeSchedule'), { id: created.id })).resumeSchedule).toMatchObject({ __typename: 'InvalidTransitionError' });
    await fire();
    expect(await made(created.id)).toEqual([]);

    clock.set('2026-03-05T09:00:00Z');
    await fire();
    expect((await made(created.id)).map((task: { scheduledFor: string }) => task.scheduledFor)).toEqual(['2026-03-05T09:00:00.000Z']);
    expect(await eventTypes(workerId, 'Worker.recurring.')).toEqual(['Worker.recurring.assigned', 'Worker.recurring.paused', 'Worker.recurring.resumed']);
  });

  it('a change of timing or task applies from the next instant; bad values are refused naming the field', async () => {
    clock.set('2026-03-09T08:00:00Z'); // Monday
    const created = (await app.data(ASSIGN, { input: { workerId, action: 'weekly_review', schedule: '$.Weekly', dayOfWeek: 'FRIDAY', time: '10:00', timezone: 'UTC' } }))
      .assignRecurringTask;
    expect(created).toMatchObject({ cron: '0 10 * * 5', nextRunAt: '2026-03-13T10:00:00.000Z' });

    // A time alone keeps the preset and its day.
    const moved = (await app.data(UPDATE, { input: { scheduleId: created.id, time: '16:30', timezone: 'Europe/Berlin' } })).updateSchedule;
    expect(moved).toMatchObject({ schedule: '$.Weekly', time: '16:30', cron: '30 16 * * 5', timezone: 'Europe/Berlin', nextRunAt: '2026-03-13T15:30:00.000Z' });

    const retasked = (await app.data(UPDATE, { input: { scheduleId: created.id, action: 'friday_review', priority: 'HIGH', input: { scope: 'team' } } })).updateSchedule;
    expect(retasked).toMatchObject({ action: 'friday_review', priority: 'HIGH', input: { scope: 'team' }, cron: '30 16 * * 5' });

    const bad = (await app.data(UPDATE, { input: { scheduleId: created.id, schedule: '0 9 * * *', time: '9:00', timezone: 'Mars/Olympus' } })).updateSchedule;
    expect(bad.__typename).toBe('ValidationError');
    expect(bad.issues.map((issue: { path: string[] }) => issue.path.join('.'))).toEqual(['timezone']);
    const cronWithTime = (await app.data(UPDATE, { input: { scheduleId: created.id, schedule: '0 9 * * *', time: '9:00' } })).updateSchedule;
    expect(cronWithTime.issues.map((issue: { path: string[] }) => issue.path.join('.'))).toEqual(['time']);
    const preset = (await app.data(UPDATE, { input: { scheduleId: created.id, schedule: '$.Fortnightly' } })).updateSchedule;
    expect(preset.issues.map((issue: { path: string[] }) => issue.path.join('.'))).toEqual(['schedule']);

    clock.set('2026-03-13T15:30:00Z');
    await fire();
    expect(await made(created.id)).toEqual([
      { action: 'friday_review', status: 'ASSIGNED', scheduledFor: '2026-03-13T15:30:00.000Z', priority: 'HIGH', input: { scope: 'team' }, assignee: { name: 'Alex' } },
    ]);

    // To a cron expression: the preset's time no longer applies.
    const cron = (await app.data(UPDATE, { input: { scheduleId: created.id, schedule: '0 7 * * 1-5' } })).updateSchedule;
    // Fields not given stay: the input set above.
    expect(cron).toMatchObject({ schedule: '0 7 * * 1-5', cron: '0 7 * * 1-5', nextRunAt: '2026-03-16T06:00:00.000Z', input: { scope: 'team' } });
    const payloads = await app.app.services.db
      .select({ payload: events.payload })
      .from(events)
      .where(and(eq(events.subjectId, uuidOf(workerId)), eq(events.type, 'Worker.recurring.updated')))
      .orderBy(events.seq);
    expect(payloads.map((e) => (e.payload as { fields: string[] }).fields)).toEqual([['time', 'timezone'], ['action', 'input', 'priority'], ['schedule']]);
  });

  it('a deleted schedule makes nothing more; the tasks it made stay as they are', async () => {
    clock.set('2026-03-16T08:00:00Z');
    const created = (await app.data(ASSIGN, { input: { workerId, action: 'hourly_check', schedule: '$.Hourly', time: '00:00' } })).assignRecurringTask;
    clock.set('2026-03-16T09:00:00Z');
    await fire();
    expect(await made(created.id)).toHaveLength(1);

    const deleted = (await app.data(move('deleteSchedule'), { id: created.id })).deleteSchedule;
    expect(deleted).toMatchObject({ status: 'DELETED', nextRunAt: null });
    clock.set('2026-03-16T12:00:00Z');
    await fire();
    expect(await made(created.id)).toMatchObject([{ status: 'ASSIGNED', assignee: { name: 'Alex' } }]);
    for (const field of ['deleteSchedule', 'pauseSchedule', 'resumeSchedule']) {
      expect((await app.data(move(field), { id: created.id }))[field]).toMatchObject({ __typename: 'NotFoundError' });
    }
    expect((await app.data(UPDATE, { input: { scheduleId: created.id, action: 'x' } })).updateSchedule).toMatchObject({ __typename: 'NotFoundError' });

    const listed = await app.data(`query ($w: ID!) { all: schedules(workerId: $w) { totalCount edges { node { action } } } deleted: schedules(status: DELETED) { totalCount edges { node { id } } } worker: node(id: $w) { ... on Worker { schedules { totalCount } } } }`, {
      w: workerId,
    });
    expect(listed.all.edges.map((e: { node: { action: string } }) => e.node.action)).not.toContain('hourly_check');
    expect(listed.all.totalCount).toBe(listed.worker.schedules.totalCount);
    expect(listed.deleted).toEqual({ totalCount: 1, edges: [{ node: { id: created.id } }] });
    expect(await eventTypes(workerId, 'Worker.recurring.deleted')).toEqual(['Worker.recurring.deleted']);
  });

  it('targets a fleet: each task joins its queue and is handed out; lists filter by target and status', async () => {
    clock.set('2026-03-16T08:00:00Z');
    const fleetId = await createFleet(app, { name: 'Support', workerTemplate: { role: 'Agent' }, scaling: { min: 1, max: 2 }, timezone: 'America/New_York' });
    const both = (await app.data(ASSIGN, { input: { workerId, fleetId, action: 'x', schedule: '$.Daily' } })).assignRecurringTask;
    expect(both).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['workerId'] }] });
    const neither = (await app.data(ASSIGN, { input: { action: 'x', schedule: '$.Daily' } })).assignRecurringTask;
    expect(neither).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['workerId'] }] });

    const created = (await app.data(ASSIGN, { input: { fleetId, action: 'triage_inbox', schedule: '$.Daily', time: '09:00' } })).assignRecurringTask;
    // The fleet's time zone: 09:00 in New York (EDT from 2026-03-08).
    expect(created).toMatchObject({ worker: null, fleet: { name: 'Support' }, timezone: 'America/New_York', nextRunAt: '2026-03-16T13:00:00.000Z' });

    clock.set('2026-03-16T13:00:00Z');
    await fire();
    const handedOut = await eventually(async () => {
      const [task] = await made(created.id);
      return task?.assignee ? task : undefined;
    }, 30_000, 'the fleet to hand out the scheduled task');
    expect(handedOut).toMatchObject({ action: 'triage_inbox', status: 'ASSIGNED', scheduledFor: '2026-03-16T13:00:00.000Z' });
    expect(await eventTypes(fleetId, 'Fleet.recurring.')).toEqual(['Fleet.recurring.assigned']);

    await app.data(move('pauseSchedule'), { id: created.id });
    const lists = await app.data(`query ($f: ID!) { fleet: schedules(fleetId: $f) { edges { node { id status } } } paused: schedules(status: PAUSED) { edges { node { id } } } node(id: $f) { ... on Fleet { schedules { totalCount } } } }`, {
      f: fleetId,
    });
    expect(lists.fleet.edges).toEqual([{ node: { id: created.id, status: 'PAUSED' } }]);
    expect(lists.paused.edges).toEqual([{ node: { id: created.id } }]);
    expect(lists.node.schedules.totalCount).toBe(1);
    expect(await eventTypes(fleetId, 'Fleet.recurring.')).toEqual(['Fleet.recurring.assigned', 'Fleet.recurring.paused']);
  });
});
