/**
 * Deleting teams and fleets over HTTP, with their open work: a deleted team's running
 * pipeline stops and its open stage task is cancelled, its workers stay in the fleet; a
 * deleted fleet's queued tasks are cancelled, its workers are released with the work
 * they hold, and its teams, schedules and triggers go with it. Events say so. Workers
 * here have no protocol, so tasks stay where the test puts them.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { events } from '../../src/db/schema.js';
import { assignWork, createFleet, mutate } from '../fleets/helpers.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64').toString().split(':')[1]!;
const UNKNOWN = (type: string) => Buffer.from(`${type}:00000000-0000-4000-8000-000000000000`).toString('base64');

const NODE = /* GraphQL */ `
  query ($id: ID!) {
    node(id: $id) {
      __typename
      ... on Task { status error assignee { name } fleet { id } }
      ... on Worker { lifecycle fleet { id } team { id } tasks { edges { node { status } } } }
    }
  }
`;

describe('deleting teams and fleets', () => {
  let app: TestApp;

  const node = async (id: string) => (await app.data(NODE, { id })).node;
  const payloadsOf = async (subject: string, type: string) =>
    (await app.app.services.db.select({ payload: events.payload }).from(events).where(and(eq(events.subjectId, uuidOf(subject)), eq(events.type, type)))).map(
      (e) => e.payload,
    );
  const createTeam = async (fleetId: string, name: string) => {
    const team = await mutate(
      app,
      'createTeam',
      'CreateTeamInput',
      { fleetId, name, slots: [{ name: 'researchers', size: 1 }], stages: [{ slot: 'researchers', action: 'research_account', output: 'report' }] },
      '... on Team { id members { worker { id } } }',
    );
    expect(team.__typename, JSON.stringify(team)).toBe('Team');
    return team as { id: string; members: Array<{ worker: { id: string } }> };
  };
  const startPipeline = async (teamId: string) => {
    const run = await mutate(app, 'processTeamWorkflow', 'ProcessTeamWorkflowInput', { teamId, input: { ACCOUNT: 'ACME' } }, '... on TeamWorkflowRun { id stages { task { id status } } }');
    expect(run.__typename, JSON.stringify(run)).toBe('TeamWorkflowRun');
    return run.stages[0].task.id as string;
  };

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('deleteTeam stops its running pipeline, cancels the open stage task and keeps its workers in the fleet', async () => {
    const fleetId = await createFleet(app, { name: 'Sales', workerTemplate: { role: 'SDR' }, scaling: { min: 1, max: 3 } });
    const team = await createTeam(fleetId, 'Research');
    const memberId = team.members[0]!.worker.id;
    const stageTaskId = await startPipeline(team.id);
    expect(await node(stageTaskId)).toMatchObject({ status: 'ASSIGNED' });

    const deleted = await mutate(
      app,
      'deleteTeam',
      'DeleteTeamInput',
      { teamId: team.id },
      '... on TeamDeletion { deletedTeamId name workflowRunsStopped tasksCancelled workersReleased }',
      false,
    );
    expect(deleted).toEqual({ __typename: 'TeamDeletion', deletedTeamId: team.id, name: 'Research', workflowRunsStopped: 1, tasksCancelled: 1, workersReleased: 1 });
    expect(await node(team.id)).toBeNull();
    expect(await node(stageTaskId)).toMatchObject({ status: 'CANCELLED', error: 'cancelled: its team was deleted' });
    expect(await node(memberId)).toMatchObject({ lifecycle: 'ACTIVE', fleet: { id: fleetId }, team: null });
    expect(await payloadsOf(team.id, 'Team.deleted')).toEqual([
      { name: 'Research', fleetId: uuidOf(fleetId), workflowRunsStopped: 1, tasksCancelled: 1, workersReleased: 1 },
    ]);
    expect(await payloadsOf(memberId, 'Worker.task.cancelled')).toMatchObject([{ taskId: uuidOf(stageTaskId), reason: 'its team was deleted' }]);

    const again = await mutate(app, 'deleteTeam', 'DeleteTeamInput', { teamId: team.id }, '', false);
    expect(again.__typename).toBe('NotFoundError');
  });

  it('deleteFleet cancels its queue, releases its workers with the work they hold, and takes its teams, schedules and triggers with it', async () => {
    const fleetId = await createFleet(app, { name: 'Support', workerTemplate: { role: 'Agent' }, scaling: { min: 2, max: 2 } });
    const work = await assignWork(app, fleetId, [{ action: 'a' }, { action: 'b' }, { action: 'c' }, { action: 'd' }]);
    expect(work).toMatchObject({ assigned: 2, queued: 2 });
    const held = work.tasks.filter((task: { status: string }) => task.status === 'ASSIGNED');
    const queued = work.tasks.filter((task: { status: string }) => task.status === 'PENDING');
    const started = await app.data(`mutation ($id: ID!) { startTask(input: { taskId: $id }) { ... on Task { status } } }`, { id: held[0].id });
    expect(started.startTask.status).toBe('RUNNING');
    const workerIds = held.map((task: { assignee: { id: string } }) => task.assignee.id).sort();

    const schedule = (
      await app.data(`mutation ($f: ID!) { assignRecurringTask(input: { fleetId: $f, action: "triage", schedule: "$.Daily" }) { ... on TaskSchedule { id } } }`, { f: fleetId })
    ).assignRecurringTask;
    const trigger = (
      await app.data(`mutation ($f: ID!) { createTrigger(input: { eventType: "Ticket.opened", fleetId: $f, action: "answer" }) { ... on Trigger { id } } }`, { f: fleetId })
    ).createTrigger;
    expect(schedule.id && trigger.id).toBeTruthy();

    const deleted = await mutate(
      app,
      'deleteFleet',
      'DeleteFleetInput',
      { fleetId },
      '... on FleetDeletion { deletedFleetId name tasksCancelled releasedWorkers { id lifecycle fleet { id } } teamsDeleted schedulesDeleted triggersDeleted }',
      false,
    );
    expect(deleted).toMatchObject({ __typename: 'FleetDeletion', deletedFleetId: fleetId, name: 'Support', tasksCancelled: 2, teamsDeleted: 0, schedulesDeleted: 1, triggersDeleted: 1 });
    expect(deleted.releasedWorkers.map((w: { id: string }) => w.id).sort()).toEqual(workerIds);
    expect(deleted.releasedWorkers.every((w: { lifecycle: string; fleet: unknown }) => w.lifecycle === 'ACTIVE' && w.fleet === null)).toBe(true);

    expect(await node(fleetId)).toBeNull();
    expect(await node(schedule.id)).toBeNull();
    expect(await node(trigger.id)).toBeNull();
    for (const task of queued) expect(await node(task.id)).toMatchObject({ status: 'CANCELLED', error: 'cancelled: its fleet was deleted', assignee: null });
    // Held work goes on with its worker, outside any fleet.
    expect((await node(held[0].id)).status).toBe('RUNNING');
    expect(await node(held[1].id)).toMatchObject({ status: 'ASSIGNED', fleet: null });
    const done = await app.data(`mutation ($id: ID!) { completeTask(input: { taskId: $id, result: "ok" }) { ... on Task { status } } }`, { id: held[0].id });
    expect(done.completeTask.status).toBe('COMPLETED');

    const [payload] = (await payloadsOf(fleetId, 'Fleet.deleted')) as Array<{ workerIds: string[] }>;
    expect(payload).toMatchObject({ name: 'Support', tasksCancelled: 2, teamsDeleted: 0, schedulesDeleted: 1, triggersDeleted: 1 });
    expect(payload!.workerIds.sort()).toEqual(workerIds.map(uuidOf).sort());
    expect(await payloadsOf(fleetId, 'Fleet.task.cancelled')).toHaveLength(2);

    // A released worker still works: it takes new work directly.
    const direct = await app.data(`mutation ($w: ID!) { assignTask(input: { workerId: $w, action: "later" }) { ... on Task { status } } }`, { w: workerIds[0] });
    expect(direct.assignTask.status).toBe('ASSIGNED');
  });

  it('deleteFleet deletes its teams as deleteTeam does', async () => {
    const fleetId = await createFleet(app, { name: 'Research', workerTemplate: { role: 'Analyst' }, scaling: { min: 1, max: 2 } });
    const team = await createTeam(fleetId, 'Deep');
    const stageTaskId = await startPipeline(team.id);
    const deleted = await mutate(app, 'deleteFleet', 'DeleteFleetInput', { fleetId }, '... on FleetDeletion { teamsDeleted tasksCancelled }', false);
    expect(deleted).toMatchObject({ teamsDeleted: 1, tasksCancelled: 0 });
    expect(await node(stageTaskId)).toMatchObject({ status: 'CANCELLED' });
    expect(await payloadsOf(team.id, 'Team.deleted')).toMatchObject([{ name: 'Deep', workflowRunsStopped: 1, tasksCancelled: 1 }]);
    expect(await node(team.members[0]!.worker.id)).toMatchObject({ fleet: null, team: null });
    expect((await mutate(app, 'deleteFleet', 'DeleteFleetInput', { fleetId: UNKNOWN('Fleet') }, '', false)).__typename).toBe('NotFoundError');
  });
});
