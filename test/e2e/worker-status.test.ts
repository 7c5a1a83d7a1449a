/**
 * A worker's `status` tells the truth (README.md "Worker status"): a worker holding tasks it
 * cannot run says why, and when it is next free is estimated from its queue and the
 * measured completion times of its recent tasks, on the fake clock.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { tasks } from '../../src/db/schema.js';
import { mutate } from '../fleets/helpers.js';
import { FakeClock } from '../support/fake-clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const STATUS = /* GraphQL */ `
  query ($id: ID!) { node(id: $id) { ... on Worker { status { state activeTasks queuedTasks availability nextFreeAt avgCompletionTimeMs reason } } } }
`;

const NOW = '2030-03-04T10:00:00.000Z';
const minutesBefore = (minutes: number) => new Date(Date.parse(NOW) - minutes * 60_000);

describe('a worker’s status', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ clock: new FakeClock(NOW) });
  });
  afterAll(async () => {
    await app?.close();
  });

  const status = async (workerId: string) => (await app.data(STATUS, { id: workerId })).node.status;

  /** Hires an ACTIVE worker with `input` (no protocol and no model unless given). */
  const hireActive = async (input: Record<string, unknown>) => {
    const hired = await mutate(app, 'hireWorker', 'HireWorkerInput', { role: 'Analyst', ...input }, '... on Worker { id }');
    for (const move of ['onboardWorker', 'activateWorker']) await mutate(app, move, `${move[0]!.toUpperCase()}${move.slice(1)}Input`, { workerId: hired.id }, '', false);
    return hired.id as string;
  };
  const assign = async (workerId: string, action: string) =>
    (await mutate(app, 'assignTask', 'AssignTaskInput', { workerId, action }, '... on Task { id status }')).id as string;
  const run = async (field: 'startTask' | 'completeTask', taskId: string) => {
    const done = await mutate(app, field, `${field[0]!.toUpperCase()}${field.slice(1)}Input`, { taskId }, '... on Task { status }', false);
    expect(done.__typename, JSON.stringify(done)).toBe('Task');
  };
  /** Sets when the tasks with `action` started and ended (the fixture: work done earlier). */
  const timed = (action: string, startedAt: Date, completedAt?: Date) =>
    app.app.services.db.update(tasks).set({ startedAt, ...(completedAt ? { completedAt } : {}) }).where(eq(tasks.action, action));

  it('says so when it holds tasks it cannot run, instead of "free now"', async () => {
    // No model, and this server has no default model for new workers (DEFAULT_MODEL).
    const workerId = await hireActive({ name: 'Morgan Lee' });
    const noModel =
      'it has no protocol and no model, and this server gives new workers none (DEFAULT_MODEL is not set): give it one with updateWorker, or start and complete its tasks with startTask and completeTask';
    expect(await status(workerId)).toMatchObject({ availability: 'free now', reason: `it cannot run work by itself: ${noModel}`, queuedTasks: 0 });

    await assign(workerId, 'weekly_report');
    await assign(workerId, 'dashboard');
    expect(await status(workerId)).toEqual({
      state: 'AVAILABLE',
      activeTasks: 0,
      queuedTasks: 2,
      availability: 'after 2 queued tasks',
      nextFreeAt: null,
      avgCompletionTimeMs: null,
      reason: `holds 2 tasks it cannot run: ${noModel}`,
    });

    // OFFLINE, it says that first.
    await mutate(app, 'setWorkerAvailability', 'SetWorkerAvailabilityInput', { workerId, availability: 'OFFLINE' }, '__typename');
    expect(await status(workerId)).toMatchObject({ availability: 'offline', nextFreeAt: null, reason: 'holds 2 tasks but is OFFLINE: none starts until it is available again' });
    await mutate(app, 'setWorkerAvailability', 'SetWorkerAvailabilityInput', { workerId, availability: 'AVAILABLE' }, '__typename');

    // Given a model, the default worker protocol runs them: nothing is stuck any more.
    const updated = await mutate(app, 'updateWorker', 'UpdateWorkerInput', { workerId, model: 'openai/gpt-4o' }, '... on Worker { model }');
    expect(updated.__typename, JSON.stringify(updated)).toBe('Worker');
    expect((await status(workerId)).reason).toBeNull();
  });

  it('estimates when it is next free from its queue and its measured completion times', async () => {
    // Two slots; its last completed tasks took 30 and 90 minutes: 60 on average.
    const workerId = await hireActive({ name: 'Sam Park', concurrency: 2 });
    for (const [action, minutes] of [
      ['report_a', 30],
      ['report_b', 90],
    ] as const) {
      const taskId = await assign(workerId, action);
      await run('startTask', taskId);
      await run('completeTask', taskId);
      await timed(action, minutesBefore(200 + minutes), minutesBefore(200));
    }
    expect(await status(workerId)).toMatchObject({ avgCompletionTimeMs: 3_600_000, availability: 'free now', nextFreeAt: NOW });

    // One task started 20 minutes ago: the other slot is still free.
    const first = await assign(workerId, 'analysis_1');
    await run('startTask', first);
    await timed('analysis_1', minutesBefore(20));
    expect(await status(workerId)).toMatchObject({ activeTasks: 1, availability: 'free now', nextFreeAt: NOW });

    // A second started 50 minutes ago fills both slots: the first to end (in 10 minutes) frees one.
    const second = await assign(workerId, 'analysis_2');
    await run('startTask', second);
    await timed('analysis_2', minutesBefore(50));
    expect(await status(workerId)).toMatchObject({
      activeTasks: 2,
      availability: 'free in about 10 minutes',
      nextFreeAt: new Date(Date.parse(NOW) + 10 * 60_000).toISOString(),
    });
  });
});
