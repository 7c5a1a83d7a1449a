/**
 * Task dependencies (README "Dependencies"): a task whose prerequisites have not all
 * completed is BLOCKED and becomes ASSIGNED when the last one completes; a failed
 * prerequisite fails its dependants (FAIL, passed on down the chain) or holds them
 * (HOLD) until it is retried and completes; unknown tasks and cycles are refused naming
 * `dependsOn`. Over HTTP, with a worker driven from outside (no protocol, no model), so
 * that the test decides when each task ends.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/fake-clock.js';
import { activeWorker, mutate } from '../support/mutations.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

describe('task dependencies', () => {
  let app: TestApp;
  let workerId: string;

  beforeAll(async () => {
    app = await createTestApp();
    workerId = await activeWorker(app, { name: 'Sam Lee', role: 'Analyst', concurrency: 5 });
  });
  afterAll(async () => {
    await app?.close();
  });

  const assign = async (action: string, extra: Record<string, unknown> = {}): Promise<string> =>
    (await mutate(app, 'assignTask', 'AssignTaskInput', { workerId, action, ...extra })).id as string;
  const statuses = async (ids: string[]) =>
    Promise.all(
      ids.map(async (id) => (await app.data(`query ($id: ID!) { task(id: $id) { status error blockedBy { action } dependsOn { action } onPrerequisiteFailure } }`, { id })).task),
    );
  const complete = async (id: string) => {
    await mutate(app, 'startTask', 'StartTaskInput', { taskId: id }, '... on Task { status }');
    await mutate(app, 'completeTask', 'CompleteTaskInput', { taskId: id, result: { ok: true } }, '... on Task { status }');
  };
  const updateDependencies = (input: Record<string, unknown>) =>
    app.data(
      `mutation ($input: UpdateTaskDependenciesInput!) { updateTaskDependencies(input: $input) { __typename ... on ValidationError { issues { path message } } ... on Task { status } } }`,
      { input },
    );

  it('runs a chain A → B → C in order: each is BLOCKED until its prerequisite completes', async () => {
    const a = await assign('research');
    const b = await assign('draft', { dependsOn: [a] });
    const c = await assign('review', { dependsOn: [b] });
    expect(await statuses([a, b, c])).toMatchObject([
      { status: 'ASSIGNED', blockedBy: [] },
      { status: 'BLOCKED', blockedBy: [{ action: 'research' }], dependsOn: [{ action: 'research' }], onPrerequisiteFailure: 'FAIL' },
      { status: 'BLOCKED', blockedBy: [{ action: 'draft' }] },
    ]);
    // A blocked task cannot be started.
    const refused = await app.data(`mutation ($id: ID!) { startTask(input: { taskId: $id }) { __typename } }`, { id: b });
    expect(refused.startTask.__typename).toBe('InvalidTransitionError');

    await complete(a);
    expect((await statuses([b, c])).map((t) => t.status)).toEqual(['ASSIGNED', 'BLOCKED']);
    await complete(b);
    expect((await statuses([c]))[0]).toMatchObject({ status: 'ASSIGNED', blockedBy: [], dependsOn: [{ action: 'draft' }] });
    await complete(c);
    expect((await statuses([a, b, c])).map((t) => t.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
  });

  it('refuses a cycle, a task depending on itself and an unknown task, naming dependsOn', async () => {
    const a = await assign('one');
    const b = await assign('two', { dependsOn: [a] });
    const c = await assign('three', { dependsOn: [b] });

    const cycle = await updateDependencies({ taskId: a, dependsOn: [c] });
    expect(cycle.updateTaskDependencies).toEqual({
      __typename: 'ValidationError',
      issues: [{ path: ['dependsOn'], message: expect.stringContaining('cycle') }],
    });
    const self = await updateDependencies({ taskId: a, dependsOn: [a] });
    expect(self.updateTaskDependencies.issues).toEqual([{ path: ['dependsOn', '0'], message: expect.stringContaining('itself') }]);
    const unknown = Buffer.from(`Task:${randomUUID()}`).toString('base64');
    const refused = await app.data(
      `mutation ($input: AssignTaskInput!) { assignTask(input: $input) { __typename ... on ValidationError { issues { path message } } } }`,
      { input: { workerId, action: 'x', dependsOn: [a, unknown] } },
    );
    expect(refused.assignTask).toEqual({ __typename: 'ValidationError', issues: [{ path: ['dependsOn', '1'], message: 'no task with this ID' }] });
    // Nothing changed: A is still free to start, the chain as it was.
    expect((await statuses([a, b, c])).map((t) => t.status)).toEqual(['ASSIGNED', 'BLOCKED', 'BLOCKED']);

    // A change that closes no cycle blocks a task not started yet, and removing it releases it.
    const other = await assign('other');
    expect((await updateDependencies({ taskId: a, dependsOn: [other] })).updateTaskDependencies).toEqual({ __typename: 'Task', status: 'BLOCKED' });
    expect((await updateDependencies({ taskId: a, dependsOn: [] })).updateTaskDependencies).toEqual({ __typename: 'Task', status: 'ASSIGNED' });
  });

  it('a failed prerequisite fails its FAIL dependants down the chain and holds HOLD ones until it is retried and completes', async () => {
    const p = await assign('fetch');
    const failing = await assign('summarise', { dependsOn: [p] });
    const downstream = await assign('publish', { dependsOn: [failing] });
    const held = await assign('archive', { dependsOn: [p], onPrerequisiteFailure: 'HOLD' });

    await mutate(app, 'startTask', 'StartTaskInput', { taskId: p }, '... on Task { status }');
    await mutate(app, 'failTask', 'FailTaskInput', { taskId: p, error: 'source unreachable' }, '... on Task { status }');
    const [failed, failedDownstream, stillHeld] = await statuses([failing, downstream, held]);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/prerequisite .* \(fetch\) is FAILED/);
    expect(failedDownstream.status).toBe('FAILED');
    expect(failedDownstream.error).toMatch(/\(summarise\) is FAILED/);
    expect(stillHeld).toMatchObject({ status: 'BLOCKED', onPrerequisiteFailure: 'HOLD', blockedBy: [{ action: 'fetch' }] });

    const retried = await app.data(`mutation ($ids: [ID!]!) { retryTask(ids: $ids) { __typename } }`, { ids: [p] });
    expect(retried.retryTask.__typename).toBe('MutationRetryTaskSuccess');
    await complete(p);
    expect((await statuses([held]))[0]).toMatchObject({ status: 'ASSIGNED', blockedBy: [] });
  });

  it('fleet work (assignWork) takes dependsOn too: BLOCKED until its prerequisite completes, then handed out', async () => {
    const fleet = await mutate(app, 'createFleet', 'CreateFleetInput', { name: 'Analysts', workerTemplate: { role: 'Analyst' }, scaling: { min: 1, max: 1 } });
    const first = await app.data(
      `mutation ($input: AssignWorkInput!) { assignWork(input: $input) { __typename ... on Error { message } ... on WorkAssignment { tasks { id status } } } }`,
      { input: { fleetId: fleet.id, tasks: [{ action: 'collect' }] } },
    );
    const collect = first.assignWork.tasks[0].id;
    const second = await app.data(
      `mutation ($input: AssignWorkInput!) { assignWork(input: $input) { __typename ... on ValidationError { issues { path message } } ... on WorkAssignment { tasks { id status assignee { id } } } } }`,
      { input: { fleetId: fleet.id, tasks: [{ action: 'report', dependsOn: [collect] }, { action: 'bad', dependsOn: [Buffer.from(`Task:${randomUUID()}`).toString('base64')] }] } },
    );
    expect(second.assignWork).toEqual({ __typename: 'ValidationError', issues: [{ path: ['tasks', '1', 'dependsOn', '0'], message: 'no task with this ID' }] });
    const third = await app.data(
      `mutation ($input: AssignWorkInput!) { assignWork(input: $input) { ... on WorkAssignment { tasks { id status assignee { id } } } } }`,
      { input: { fleetId: fleet.id, tasks: [{ action: 'report', dependsOn: [collect] }] } },
    );
    const report = third.assignWork.tasks[0];
    expect(report.status).toBe('BLOCKED');
    await complete(collect);
    // Released to the worker chosen, or to the fleet queue, which hands it to the worker now free.
    await eventually(async () => ((await statuses([report.id]))[0].status === 'ASSIGNED' ? true : undefined), 30_000, 'the report to be handed out');
    expect((await statuses([report.id]))[0].blockedBy).toEqual([]);
  });
});
