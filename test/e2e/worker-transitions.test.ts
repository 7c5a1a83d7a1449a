/**
 * Every illegal move of the worker lifecycle and of the task state machine is rejected
 * with `InvalidTransitionError { from to }`, and nothing changes: not the row, not the
 * tasks, not the event log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, eventsSettled, type TestApp } from '../support/test-app.js';

type Lifecycle = 'HIRED' | 'ONBOARDING' | 'ACTIVE' | 'OFFBOARDED';
type TaskStatus = 'PENDING' | 'ASSIGNED' | 'RUNNING' | 'WAITING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

const SNAPSHOT = /* GraphQL */ `
  query Snapshot($id: ID!) {
    node(id: $id) {
      ... on Worker { lifecycle availability role updatedAt tasks(first: 50) { totalCount edges { node { status updatedAt } } } events(first: 200) { totalCount } }
      ... on Task { status updatedAt startedAt completedAt result error assignee { id events(first: 1) { totalCount } } }
    }
    tasks { totalCount }
  }
`;

/** A worker mutation with its input (given the worker and another ACTIVE worker). */
const WORKER_MOVES: Record<string, (id: string, other: string) => [string, Record<string, unknown>]> = {
  onboardWorker: (id) => ['OnboardWorkerInput', { workerId: id }],
  activateWorker: (id) => ['ActivateWorkerInput', { workerId: id }],
  promoteWorker: (id) => ['PromoteWorkerInput', { workerId: id, newRole: 'Lead' }],
  offboardWorker: (id) => ['OffboardWorkerInput', { workerId: id, reason: 'test' }],
  assignTask: (id) => ['AssignTaskInput', { workerId: id, action: 'x' }],
  assignRecurringTask: (id) => ['AssignRecurringTaskInput', { workerId: id, action: 'x', schedule: '$.Daily' }],
  assignProject: (id) => ['AssignProjectInput', { workerId: id, name: 'P', tasks: [{ action: 'x' }] }],
  setWorkerAvailability: (id) => ['SetWorkerAvailabilityInput', { workerId: id, availability: 'BUSY' }],
};

/** Which worker moves each lifecycle state allows (everything else must be refused). */
const WORKER_ALLOWED: Record<Lifecycle, string[]> = {
  HIRED: ['onboardWorker', 'offboardWorker'],
  ONBOARDING: ['activateWorker', 'offboardWorker'],
  ACTIVE: ['promoteWorker', 'offboardWorker', 'assignTask', 'assignRecurringTask', 'assignProject', 'setWorkerAvailability'],
  OFFBOARDED: [],
};

const TASK_MOVES: Record<string, (taskId: string, otherWorker: string) => [string, Record<string, unknown>]> = {
  startTask: (taskId) => ['StartTaskInput', { taskId }],
  waitTask: (taskId) => ['WaitTaskInput', { taskId }],
  completeTask: (taskId) => ['CompleteTaskInput', { taskId, result: 'done' }],
  failTask: (taskId) => ['FailTaskInput', { taskId, error: 'broke' }],
  cancelTask: (taskId) => ['CancelTaskInput', { taskId }],
  reassignTask: (taskId, worker) => ['ReassignTaskInput', { taskId, workerId: worker }],
};

/** Which task moves each status allows; startTask of PENDING is refused (no assignee). */
const TASK_ALLOWED: Record<TaskStatus, string[]> = {
  PENDING: ['cancelTask', 'reassignTask'],
  ASSIGNED: ['startTask', 'cancelTask', 'reassignTask'],
  RUNNING: ['waitTask', 'completeTask', 'failTask', 'cancelTask', 'reassignTask'],
  WAITING: ['startTask', 'completeTask', 'failTask', 'cancelTask', 'reassignTask'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

describe('illegal transitions', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  const call = async (field: string, type: string, input: Record<string, unknown>) => {
    const transition = field === 'hireWorker' ? '' : '... on InvalidTransitionError { from to }';
    const node = field === 'assignProject' ? '' : '... on Node { id }';
    const query = `mutation ($input: ${type}!) { ${field}(input: $input) { __typename ... on Error { message } ${transition} ${node} } }`;
    return (await app.data(query, { input }))[field];
  };

  /** The object as clients see it, with its event count and the number of all tasks. */
  // The worker's events are counted: read them once everything written so far is settled.
  const snapshot = async (id: string) => {
    await eventsSettled(app.app.services);
    return app.data(SNAPSHOT, { id });
  };

  /** A worker in `state`, made through the legal path. */
  const workerIn = async (state: Lifecycle, name = `W ${state} ${Math.random()}`) => {
    const { id } = await call('hireWorker', 'HireWorkerInput', { name, role: 'Analyst' });
    const path: Record<Lifecycle, string[]> = {
      HIRED: [],
      ONBOARDING: ['onboardWorker'],
      ACTIVE: ['onboardWorker', 'activateWorker'],
      OFFBOARDED: ['offboardWorker'],
    };
    for (const move of path[state]) {
      const [type, input] = WORKER_MOVES[move]!(id, '');
      expect((await call(move, type, input)).__typename).toBe('Worker');
    }
    return id as string;
  };

  it('refuses every lifecycle move a state does not allow, changing nothing', async () => {
    let refused = 0;
    for (const state of ['HIRED', 'ONBOARDING', 'ACTIVE', 'OFFBOARDED'] as const) {
      const id = await workerIn(state);
      for (const [move, build] of Object.entries(WORKER_MOVES)) {
        if (WORKER_ALLOWED[state].includes(move)) continue;
        const before = await snapshot(id);
        const [type, input] = build(id, '');
        const result = await call(move, type, input);
        expect(result, `${move} from ${state}`).toMatchObject({ __typename: 'InvalidTransitionError' });
        expect(result.from).toBe(move === 'setWorkerAvailability' ? 'OFFLINE' : state);
        expect(result.message).toMatch(/cannot go from/);
        expect(await snapshot(id), `${move} from ${state} changed nothing`).toEqual(before);
        refused++;
      }
    }
    expect(refused).toBe(4 * 8 - (2 + 2 + 6 + 0));
  });

  it('names the target state in the error', async () => {
    const hired = await workerIn('HIRED');
    expect(await call('activateWorker', 'ActivateWorkerInput', { workerId: hired })).toMatchObject({ from: 'HIRED', to: 'ACTIVE' });
    expect(await call('assignTask', 'AssignTaskInput', { workerId: hired, action: 'x' })).toMatchObject({ from: 'HIRED', to: 'ASSIGNED' });
    const active = await workerIn('ACTIVE');
    expect(await call('onboardWorker', 'OnboardWorkerInput', { workerId: active })).toMatchObject({ from: 'ACTIVE', to: 'ONBOARDING' });
    const gone = await workerIn('OFFBOARDED');
    expect(await call('offboardWorker', 'OffboardWorkerInput', { workerId: gone, reason: 'again' })).toMatchObject({
      from: 'OFFBOARDED',
      to: 'OFFBOARDED',
    });
    // a successor must be ACTIVE, and the refusal changes neither worker
    const leaving = await workerIn('ACTIVE');
    const before = await snapshot(leaving);
    expect(await call('offboardWorker', 'OffboardWorkerInput', { workerId: leaving, reason: 'x', transferWorkTo: hired })).toMatchObject({
      __typename: 'InvalidTransitionError',
      from: 'HIRED',
      to: 'ASSIGNED',
    });
    expect(await snapshot(leaving)).toEqual(before);
  });

  it('refuses every task move a status does not allow, changing nothing', async () => {
    const worker = await workerIn('ACTIVE');
    const other = await workerIn('ACTIVE');
    const fleet = (
      await app.data(`mutation { createFleet(input: { name: "Queue", workerTemplate: { role: "Analyst" } }) { ... on Fleet { id } } }`)
    ).createFleet.id as string;

    /** A task in `status`, made through the legal path on a worker without a protocol. */
    const taskIn = async (status: TaskStatus): Promise<string> => {
      if (status === 'PENDING') {
        // A worker of the fleet leaves without a successor: its task returns to the queue.
        const { id: leaver } = await call('hireWorker', 'HireWorkerInput', { name: 'Leaver', role: 'Analyst', fleetId: fleet });
        await call('onboardWorker', 'OnboardWorkerInput', { workerId: leaver });
        await call('activateWorker', 'ActivateWorkerInput', { workerId: leaver });
        const { id } = await call('assignTask', 'AssignTaskInput', { workerId: leaver, action: 'queued' });
        await call('offboardWorker', 'OffboardWorkerInput', { workerId: leaver, reason: 'left' });
        return id;
      }
      const { id } = await call('assignTask', 'AssignTaskInput', { workerId: worker, action: status.toLowerCase() });
      const path: Record<Exclude<TaskStatus, 'PENDING'>, string[]> = {
        ASSIGNED: [],
        RUNNING: ['startTask'],
        WAITING: ['startTask', 'waitTask'],
        COMPLETED: ['startTask', 'completeTask'],
        FAILED: ['startTask', 'failTask'],
        CANCELLED: ['cancelTask'],
      };
      for (const move of path[status]) {
        const [type, input] = TASK_MOVES[move]!(id, other);
        expect((await call(move, type, input)).__typename, `${move} towards ${status}`).toBe('Task');
      }
      return id;
    };

    let refused = 0;
    for (const status of ['PENDING', 'ASSIGNED', 'RUNNING', 'WAITING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const) {
      const taskId = await taskIn(status);
      expect((await snapshot(taskId)).node.status).toBe(status);
      for (const [move, build] of Object.entries(TASK_MOVES)) {
        if (TASK_ALLOWED[status].includes(move)) continue;
        const before = await snapshot(taskId);
        const [type, input] = build(taskId, other);
        const result = await call(move, type, input);
        expect(result, `${move} from ${status}`).toMatchObject({ __typename: 'InvalidTransitionError', from: status });
        expect(await snapshot(taskId), `${move} from ${status} changed nothing`).toEqual(before);
        refused++;
      }
      // Free the worker's slot for the next status.
      if (status === 'RUNNING' || status === 'WAITING') await call('cancelTask', 'CancelTaskInput', { taskId });
    }
    expect(refused).toBe(7 * 6 - (2 + 3 + 5 + 5));
  });

  it('refuses a second running task beyond the worker’s concurrency and a reassignment to the same worker', async () => {
    const worker = await workerIn('ACTIVE');
    const first = (await call('assignTask', 'AssignTaskInput', { workerId: worker, action: 'one' })).id;
    const second = (await call('assignTask', 'AssignTaskInput', { workerId: worker, action: 'two' })).id;
    expect((await call('startTask', 'StartTaskInput', { taskId: first })).__typename).toBe('Task');
    const before = await snapshot(second);
    const refused = await call('startTask', 'StartTaskInput', { taskId: second });
    expect(refused).toMatchObject({ __typename: 'InvalidTransitionError', from: 'ASSIGNED', to: 'RUNNING' });
    expect(refused.message).toMatch(/concurrency of 1/);
    expect(await snapshot(second)).toEqual(before);
    expect(await call('reassignTask', 'ReassignTaskInput', { taskId: second, workerId: worker })).toMatchObject({
      __typename: 'InvalidTransitionError',
      from: 'ASSIGNED',
      to: 'ASSIGNED',
    });
  });
});
