/**
 * Editing a worker (`updateWorker`): only the fields given change, an explicit null
 * clears, bad values are refused naming the field and nothing is written, the change is
 * one `Worker.updated` event naming the changed fields, and it reaches work not started
 * yet — a worker given a protocol starts the tasks it held ASSIGNED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/fake-clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const UPDATE = /* GraphQL */ `
  mutation ($input: UpdateWorkerInput!) {
    updateWorker(input: $input) {
      __typename
      ... on Worker { name persona skills { name level } capabilities model location concurrency protocol { slug } manager { name } goals { daily } }
      ... on ValidationError { issues { path message } }
      ... on Error { message }
    }
  }
`;

const EVENTS = /* GraphQL */ `
  query ($id: ID!) { node(id: $id) { ... on Worker { events(first: 100) { edges { node { type payload } } } } } }
`;

const NOOP = 'steps:\n  Start:\n    block: start-thread\n    thread: main\n    model: openai/gpt-4o\n    system: s\n  Ask:\n    block: add-message\n    role: user\n    prompt: a\n  Answer:\n    block: next-message\n';

describe('updateWorker', () => {
  let app: TestApp;
  let workerId: string;
  let managerId: string;

  const hireActive = async (name: string, extra = '') => {
    const id = (await app.data(`mutation { hireWorker(input: { name: "${name}", role: "SDR" ${extra} }) { ... on Worker { id } } }`)).hireWorker.id as string;
    await app.data(`mutation ($id: ID!) { onboardWorker(input: { workerId: $id }) { __typename } }`, { id });
    await app.data(`mutation ($id: ID!) { activateWorker(input: { workerId: $id }) { __typename } }`, { id });
    return id;
  };
  const updatedEvents = async (id: string) =>
    (await app.data(EVENTS, { id })).node.events.edges
      .map((e: { node: { type: string; payload: unknown } }) => e.node)
      .filter((e: { type: string }) => e.type === 'Worker.updated');

  beforeAll(async () => {
    app = await createTestApp();
    managerId = await hireActive('Maria');
    workerId = await hireActive('Sarah', ', location: "remote", model: "openai/gpt-4o", capabilities: ["email"]');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('changes only the fields given, clears with null, and appends Worker.updated naming what changed', async () => {
    const updated = (
      await app.data(UPDATE, {
        input: {
          workerId,
          persona: { background: 'B2B SaaS sales', communicationStyle: 'consultative' },
          skills: [{ name: 'lead_qualification', level: 'EXPERT' }],
          location: null,
          managerId,
          goals: { daily: ['qualify 20 leads'] },
          model: 'openai/gpt-4o', // unchanged: not named in the event
        },
      })
    ).updateWorker;
    expect(updated).toEqual({
      __typename: 'Worker',
      name: 'Sarah',
      persona: { background: 'B2B SaaS sales', communicationStyle: 'consultative' },
      skills: [{ name: 'lead_qualification', level: 'EXPERT' }],
      capabilities: ['email'],
      model: 'openai/gpt-4o',
      location: null,
      concurrency: 1,
      protocol: null,
      manager: { name: 'Maria' },
      goals: { daily: ['qualify 20 leads'] },
    });
    expect(await updatedEvents(workerId)).toEqual([
      { type: 'Worker.updated', payload: { fields: ['persona', 'skills', 'goals', 'managerId', 'location'] } },
    ]);

    // Nothing changed: no event.
    await app.data(UPDATE, { input: { workerId, model: 'openai/gpt-4o' } });
    expect(await updatedEvents(workerId)).toHaveLength(1);
  });

  it('refuses bad values naming each field, and writes nothing', async () => {
    const bad = (
      await app.data(UPDATE, {
        input: { workerId, concurrency: 0, model: 'gpt 4o', persona: { workingHours: { start: '9am', end: '17:00', timezone: 'Mars/Olympus' } }, name: null },
      })
    ).updateWorker;
    expect(bad.__typename).toBe('ValidationError');
    expect(bad.issues.map((issue: { path: string[] }) => issue.path.join('.')).sort()).toEqual([
      'concurrency',
      'model',
      'name',
      'persona.workingHours.start',
      'persona.workingHours.timezone',
    ]);
    const self = (await app.data(UPDATE, { input: { workerId, managerId: workerId } })).updateWorker;
    expect(self).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['managerId'] }] });
    const unknownProtocol = (await app.data(UPDATE, { input: { workerId, protocol: 'nope' } })).updateWorker;
    expect(unknownProtocol).toMatchObject({ __typename: 'NotFoundError' });
    expect(await updatedEvents(workerId)).toHaveLength(1);
    const { node } = await app.data(`query ($id: ID!) { node(id: $id) { ... on Worker { concurrency model name } } }`, { id: workerId });
    expect(node).toEqual({ concurrency: 1, model: 'openai/gpt-4o', name: 'Sarah' });
  });

  it('gives a worker without a protocol one: its ASSIGNED tasks start and complete', async () => {
    await app.data(`mutation ($source: String!) { createProtocol(input: { slug: "noop", source: $source, prompts: [{ name: "s", content: "s" }, { name: "a", content: "a" }] }) { __typename } }`, {
      source: NOOP,
    });
    const idle = await hireActive('Idle');
    const assign = async () =>
      (await app.data(`mutation ($id: ID!) { assignTask(input: { workerId: $id, action: "follow_up" }) { ... on Task { id status } } }`, { id: idle }))
        .assignTask;
    const first = await assign();
    const second = await assign();
    expect([first.status, second.status]).toEqual(['ASSIGNED', 'ASSIGNED']);

    const updated = (await app.data(UPDATE, { input: { workerId: idle, protocol: 'noop', concurrency: 2 } })).updateWorker;
    expect(updated).toMatchObject({ protocol: { slug: 'noop' }, concurrency: 2 });
    const status = async (id: string) => (await app.data(`query ($id: ID!) { node(id: $id) { ... on Task { status run { id } } } }`, { id })).node;
    for (const task of [first, second]) {
      const ended = await eventually(async () => {
        const now = await status(task.id);
        return now.status === 'COMPLETED' ? now : undefined;
      }, 30_000, 'the task to complete');
      expect(ended.run).not.toBeNull();
    }
  });

  it('refuses an unknown worker and an offboarded one', async () => {
    const gone = await hireActive('Gone');
    await app.data(`mutation ($id: ID!) { offboardWorker(input: { workerId: $id, reason: "left" }) { __typename } }`, { id: gone });
    expect((await app.data(UPDATE, { input: { workerId: gone, location: 'office' } })).updateWorker).toMatchObject({
      __typename: 'InvalidTransitionError',
    });
    const unknown = Buffer.from('Worker:00000000-0000-4000-8000-000000000000').toString('base64');
    expect((await app.data(UPDATE, { input: { workerId: unknown, location: 'office' } })).updateWorker).toMatchObject({ __typename: 'NotFoundError' });
  });
});

describe('updateWorker and a fleet', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a higher concurrency lets the fleet hand the worker more queued work', async () => {
    const fleet = (
      await app.data(`mutation { createFleet(input: { name: "Desk", workerTemplate: { role: "Agent" }, scaling: { min: 1, max: 1 } }) { ... on Fleet { id workers { edges { node { id } } } } } }`)
    ).createFleet;
    const workerId = fleet.workers.edges[0].node.id as string;
    const work = (
      await app.data(`mutation ($f: ID!) { assignWork(input: { fleetId: $f, tasks: [{ action: "a" }, { action: "b" }] }) { ... on WorkAssignment { assigned queued tasks { id } } } }`, {
        f: fleet.id,
      })
    ).assignWork;
    expect(work).toMatchObject({ assigned: 1, queued: 1 });

    expect((await app.data(UPDATE, { input: { workerId, concurrency: 2 } })).updateWorker).toMatchObject({ concurrency: 2 });
    const queued = work.tasks[1].id as string;
    const handedOut = await eventually(async () => {
      const { node } = await app.data(`query ($id: ID!) { node(id: $id) { ... on Task { status assignee { id } } } }`, { id: queued });
      return node.status === 'ASSIGNED' ? node : undefined;
    }, 30_000, 'the queued task to be handed out');
    expect(handedOut.assignee.id).toBe(workerId);
  });
});
