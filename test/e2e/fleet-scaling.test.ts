/**
 * Fleet size over HTTP: createFleet hires `min` workers at once; scaleFleet,
 * scaleFleetUp and scaleFleetDown stay inside [min, max]; scaling down retires idle
 * workers first, hands unstarted work back to the queue, lets busy workers finish (and
 * a scale-up takes a draining worker back before hiring); no task is ever dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/fake-clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { assignWork, createFleet, finishTask, mutate, readFleet, storedEvents } from '../fleets/helpers.js';

const SCALED = /* GraphQL */ `
  ... on FleetScaleResult { previousSize size reason hired { name lifecycle availability } kept { name } retired { name lifecycle } draining { name lifecycle } }
`;

describe('fleet scaling', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  const scale = (field: string, input: Record<string, unknown>) =>
    mutate(app, field, field === 'scaleFleet' ? 'ScaleFleetInput' : 'ScaleFleetByInput', input, SCALED);

  it('hires min at creation and stays inside [min, max]', async () => {
    const fleetId = await createFleet(app, {
      name: 'Support',
      workerTemplate: { role: 'CustomerSupportRepresentative', capabilities: ['ticket_triage'], skills: [{ name: 'support', level: 'ADVANCED' }], concurrency: 2 },
      scaling: { min: 2, max: 5 },
    });
    const created = await readFleet(app, fleetId);
    expect(created.size).toBe(2);
    expect(created.workers.edges.map((e: any) => e.node)).toEqual([
      expect.objectContaining({ name: 'Support #1', lifecycle: 'ACTIVE', availability: 'AVAILABLE' }),
      expect.objectContaining({ name: 'Support #2', lifecycle: 'ACTIVE', availability: 'AVAILABLE' }),
    ]);
    expect(created.status).toMatchObject({ size: 2, slots: 4, busySlots: 0, queueDepth: 0, healthScore: 1 });

    expect(await scale('scaleFleet', { fleetId, count: 4 })).toMatchObject({
      __typename: 'FleetScaleResult',
      previousSize: 2,
      size: 4,
      hired: [{ name: 'Support #3', lifecycle: 'ACTIVE' }, { name: 'Support #4' }],
    });
    expect(await scale('scaleFleet', { fleetId, count: 6 })).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ path: ['count'], message: "must lie within the fleet's bounds [2, 5]" }],
    });
    expect(await scale('scaleFleetUp', { fleetId, by: 3 })).toMatchObject({ previousSize: 4, size: 5, reason: 'scaled up by 3 by hand (stopped at max 5)' });
    expect(await scale('scaleFleetDown', { fleetId, by: 9 })).toMatchObject({ previousSize: 5, size: 2, draining: [] });
    expect(await scale('scaleFleetDown', { fleetId, by: 1 })).toMatchObject({ previousSize: 2, size: 2, retired: [] });
    expect((await readFleet(app, fleetId)).size).toBe(2);

    // A new [min, max] pulls the size inside it.
    const updated = await mutate(app, 'updateFleet', 'UpdateFleetInput', { fleetId, scaling: { min: 3, max: 4 } }, '... on Fleet { size scaling { min max } }');
    expect(updated).toMatchObject({ size: 3, scaling: { min: 3, max: 4 } });
  });

  it('retires idle workers first, hands unstarted work back, lets busy workers finish', async () => {
    const fleetId = await createFleet(app, { name: 'Ops', workerTemplate: { role: 'Operator' }, scaling: { min: 1, max: 6 } });
    await scale('scaleFleet', { fleetId, count: 6 });
    const work = await assignWork(app, fleetId, [{ action: 't1' }, { action: 't2' }, { action: 't3' }], { strategy: 'LEAST_LOADED' });
    expect(work.tasks.map((t: any) => t.assignee.name)).toEqual(['Ops #1', 'Ops #2', 'Ops #3']);
    const [t1, t2, t3] = work.tasks.map((t: any) => t.id as string);
    for (const id of [t1, t2]) {
      const started = await app.data(`mutation ($id: ID!) { startTask(input: { taskId: $id }) { __typename } }`, { id });
      expect(started.startTask.__typename).toBe('Task');
    }

    // 6 → 2: the three idle workers (newest first), then the least busy: #3, whose task
    // had not started and goes back to the queue. #1 and #2 keep running.
    expect(await scale('scaleFleetDown', { fleetId, by: 4 })).toMatchObject({
      size: 2,
      retired: [{ name: 'Ops #6', lifecycle: 'OFFBOARDED' }, { name: 'Ops #5' }, { name: 'Ops #4' }, { name: 'Ops #3' }],
      draining: [],
    });
    let fleet = await readFleet(app, fleetId);
    expect(fleet.queue.edges.map((e: any) => e.node.id)).toEqual([t3]);
    expect(fleet.workers.edges.filter((e: any) => e.node.lifecycle === 'OFFBOARDED').map((e: any) => e.node.name).sort()).toEqual([
      'Ops #3',
      'Ops #4',
      'Ops #5',
      'Ops #6',
    ]);

    // 2 → 1: both are busy; the newer one drains while it finishes t2.
    expect(await scale('scaleFleetDown', { fleetId, by: 1 })).toMatchObject({ size: 1, retired: [], draining: [{ name: 'Ops #2', lifecycle: 'ACTIVE' }] });
    expect((await readFleet(app, fleetId)).status).toMatchObject({ size: 1, retiring: 1, queueDepth: 1, processing: 2 });

    // Growing takes the draining worker back instead of hiring.
    expect(await scale('scaleFleetUp', { fleetId, by: 1 })).toMatchObject({ size: 2, hired: [], kept: [{ name: 'Ops #2' }] });
    expect(await scale('scaleFleetDown', { fleetId, by: 1 })).toMatchObject({ size: 1, draining: [{ name: 'Ops #2' }] });

    // Once t2 ends, #2 leaves; once t1 ends, #1 takes t3 from the queue.
    await finishTask(app, t2, { start: false });
    // Its retirement ends when it is offboarded: wait for that, then the status agrees.
    fleet = await eventually(async () => {
      const read = await readFleet(app, fleetId);
      return read.workers.edges.find((e: any) => e.node.name === 'Ops #2').node.lifecycle === 'OFFBOARDED' ? read : undefined;
    });
    await eventually(async () => ((await readFleet(app, fleetId)).status.retiring === 0 ? true : undefined), 30_000, 'the fleet status to show no retiring worker');
    await finishTask(app, t1, { start: false });
    const drained = await eventually(async () => {
      const { node } = await app.data(`query ($id: ID!) { node(id: $id) { ... on Task { status assignee { name } } } }`, { id: t3 });
      return node.status === 'ASSIGNED' ? node : undefined;
    });
    expect(drained).toEqual({ status: 'ASSIGNED', assignee: { name: 'Ops #1' } });
    expect((await readFleet(app, fleetId)).status).toMatchObject({ size: 1, retiring: 0, queueDepth: 0, assigned: 1, completed: 2 });

    const scaled = await storedEvents(app, ['Fleet.scaled'], (e) => e.subjectId === fleetId, 6);
    expect(scaled.map((e) => [e.payload.from, e.payload.to, e.payload.direction])).toEqual([
      [0, 1, 'up'],
      [1, 6, 'up'],
      [6, 2, 'down'],
      [2, 1, 'down'],
      [1, 2, 'up'],
      [2, 1, 'down'],
    ]);
    expect(scaled[3]!.payload).toMatchObject({ reason: 'scaled down by 1 by hand', retired: [], draining: [expect.any(String)] });
  });
});
