/**
 * Work survives failure (README "Retries"): a task whose run fails with an error type its
 * retry policy names is RETRYING for its backoff (on the fake clock), then runs again;
 * once its attempts are used up it is FAILED and dead-lettered (`Task.deadLettered`), and
 * `retryTask` puts it back with its attempts reset. A fleet's policy applies to its tasks.
 * Over HTTP against a local OpenAI-compatible server whose answers the test scripts.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { events } from '../../src/db/schema.js';
import { eventually, FakeClock } from '../support/fake-clock.js';
import { startFakeOpenAI, type FakeOpenAIServer, type FakeReply } from '../support/fake-openai-server.js';
import { activeWorker as activeWorkerOn, mutate as mutateOn } from '../support/mutations.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** A 404 from the provider: the run fails with `not_found_error` (no retry inside the AI SDK). */
const NOT_FOUND: FakeReply = { status: 404, body: { error: { message: 'The model does not exist', type: 'invalid_request_error' } } };
/** A 401: `authentication_error`. */
const UNAUTHORIZED: FakeReply = { status: 401, body: { error: { message: 'Incorrect API key', type: 'invalid_request_error' } } };

const TASK = `id status attempts nextAttemptAt deadLettered deadLetteredAt error result retry { maxAttempts retryOn backoff { initialSeconds multiplier maxSeconds jitter } }`;

describe('work survives failure', () => {
  const clock = new FakeClock('2026-05-01T10:00:00Z');
  let llm: FakeOpenAIServer;
  let app: TestApp;
  let reply: () => FakeReply = () => 'done';
  let workerId: string;

  beforeAll(async () => {
    llm = await startFakeOpenAI({ reply: () => reply() });
    app = await createTestApp({ clock, env: { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key' } });
    workerId = await activeWorker({ name: 'Sarah Chen', role: 'SDR', model: 'openai/gpt-4o' });
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  const mutate = (field: string, type: string, input: Record<string, unknown>, selection?: string) => mutateOn(app, field, type, input, selection);
  const activeWorker = (input: Record<string, unknown>) => activeWorkerOn(app, input);

  const task = async (id: string) => (await app.data(`query ($id: ID!) { task(id: $id) { ${TASK} } }`, { id })).task;
  /** Waits until task `id` satisfies `done`. */
  const taskWhen = (id: string, done: (task: Record<string, any>) => boolean, what: string) =>
    eventually(async () => {
      const now = await task(id);
      return done(now) ? now : undefined;
    }, 30_000, what);
  /** Moves the fake clock by `ms` and runs the scheduler's due jobs. */
  const advance = async (ms: number) => {
    clock.advance(ms);
    await app.app.scheduler.tick();
  };

  it('retries a failure its policy names after the backoff, dead-letters it when attempts run out, and retryTask runs it again', async () => {
    reply = () => NOT_FOUND;
    const requestsBefore = llm.requests.length;
    const { id } = await mutate('assignTask', 'AssignTaskInput', {
      workerId,
      action: 'qualify_lead',
      input: { lead: 'ACME' },
      retry: { maxAttempts: 3, backoff: { initialSeconds: 10, multiplier: 2, maxSeconds: 60, jitter: 'NONE' }, retryOn: ['not_found_error'] },
    });

    // Attempt 1 fails: the next is due 10 s later by the scheduler's clock.
    const first = await taskWhen(id, (t) => t.status === 'RETRYING', 'the first retry');
    expect(first).toMatchObject({
      attempts: 1,
      nextAttemptAt: '2026-05-01T10:00:10.000Z',
      deadLettered: false,
      retry: { maxAttempts: 3, retryOn: ['not_found_error'], backoff: { initialSeconds: 10, multiplier: 2, maxSeconds: 60, jitter: 'NONE' } },
    });
    expect(first.error).toMatch(/^not_found_error: /);
    expect((await app.data(`query ($id: ID!) { node(id: $id) { ... on Worker { availability } } }`, { id: workerId })).node.availability).toBe('AVAILABLE');

    // Not before its instant.
    await advance(9_999);
    expect((await task(id)).status).toBe('RETRYING');
    expect(llm.requests.length - requestsBefore).toBe(1);

    // Attempt 2 at 10:00:10 fails: the bound doubles, 20 s.
    await advance(1);
    const second = await taskWhen(id, (t) => t.status === 'RETRYING' && t.attempts === 2, 'the second retry');
    expect(second.nextAttemptAt).toBe('2026-05-01T10:00:30.000Z');

    // Attempt 3 fails: attempts used up, the task is dead-lettered.
    await advance(20_000);
    const dead = await taskWhen(id, (t) => t.status === 'FAILED', 'the dead letter');
    expect(dead).toMatchObject({ attempts: 3, deadLettered: true, deadLetteredAt: '2026-05-01T10:00:30.000Z', nextAttemptAt: null });
    expect(llm.requests.length - requestsBefore).toBe(3);
    const rawId = Buffer.from(id, 'base64').toString().split(':')[1]!;
    const [letter] = await app.app.services.db
      .select({ payload: events.payload })
      .from(events)
      .where(and(eq(events.type, 'Task.deadLettered'), eq(events.subjectId, rawId)));
    expect(letter?.payload).toMatchObject({ action: 'qualify_lead', attempts: 3 });

    // retryTask: attempts reset, back to its worker, and this time the model answers.
    reply = () => 'qualified';
    const retried = await app.data(`mutation ($ids: [ID!]!) { retryTask(ids: $ids) { __typename ... on Error { message } ... on MutationRetryTaskSuccess { data { ${TASK} } } } }`, {
      ids: [id],
    });
    expect(retried.retryTask.data).toEqual([expect.objectContaining({ id, deadLettered: false, error: null })]);
    // Its attempts were reset: this is attempt 1 again.
    const done = await taskWhen(id, (t) => t.status === 'COMPLETED', 'the retried task to complete');
    expect(done).toMatchObject({ attempts: 1, result: 'qualified', deadLettered: false });
  });

  it('fails at once on an error type the policy does not name, and retryTask refuses a task that has not failed', async () => {
    reply = () => UNAUTHORIZED;
    const { id } = await mutate('assignTask', 'AssignTaskInput', {
      workerId,
      action: 'qualify_lead',
      retry: { maxAttempts: 5, retryOn: ['provider_timeout'] },
    });
    const failed = await taskWhen(id, (t) => t.status === 'FAILED', 'the failure');
    expect(failed).toMatchObject({ attempts: 1, deadLettered: false });
    expect(failed.error).toMatch(/^authentication_error: /);

    reply = () => 'ok';
    const { id: runningId } = await mutate('assignTask', 'AssignTaskInput', { workerId, action: 'qualify_lead' });
    await taskWhen(runningId, (t) => t.status === 'COMPLETED', 'the other task');
    const refused = await app.data(`mutation ($ids: [ID!]!) { retryTask(ids: $ids) { __typename ... on Error { message } } }`, { ids: [id, runningId] });
    expect(refused.retryTask).toMatchObject({ __typename: 'InvalidTransitionError', message: expect.stringContaining('only a FAILED task can be retried') });
    // All or nothing: the failed one was not put back either.
    expect((await task(id)).status).toBe('FAILED');
  });

  it('refuses a bad policy naming the field', async () => {
    const result = await app.data(
      `mutation ($input: AssignTaskInput!) { assignTask(input: $input) { __typename ... on ValidationError { issues { path message } } } }`,
      { input: { workerId, action: 'x', retry: { maxAttempts: 0, backoff: { initialSeconds: 30, maxSeconds: 10 } } } },
    );
    expect(result.assignTask.__typename).toBe('ValidationError');
    const paths = result.assignTask.issues.map((issue: { path: string[] }) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['retry.maxAttempts', 'retry.backoff.maxSeconds']));
  });

  it('a fleet’s policy applies to its tasks that have none', async () => {
    reply = () => NOT_FOUND;
    const { id: fleetId } = await mutate('createFleet', 'CreateFleetInput', {
      name: 'SDR pool',
      workerTemplate: { role: 'SDR', model: 'openai/gpt-4o' },
      scaling: { min: 1, max: 1 },
      retry: { maxAttempts: 2, backoff: { initialSeconds: 5, jitter: 'NONE' } },
    }, '... on Fleet { id retry { maxAttempts backoff { initialSeconds multiplier maxSeconds jitter } retryOn } workers(first: 1) { edges { node { id } } } }');
    const fleet = (await app.data(`query ($id: ID!) { fleet(id: $id) { retry { maxAttempts backoff { initialSeconds multiplier maxSeconds jitter } retryOn } workers(first: 1) { edges { node { id } } } } }`, { id: fleetId })).fleet;
    expect(fleet.retry).toEqual({ maxAttempts: 2, backoff: { initialSeconds: 5, multiplier: 2, maxSeconds: 600, jitter: 'NONE' }, retryOn: [] });
    const member = fleet.workers.edges[0].node.id;
    const { id } = await mutate('assignTask', 'AssignTaskInput', { workerId: member, action: 'qualify_lead' });
    const retrying = await taskWhen(id, (t) => t.status === 'RETRYING', 'the fleet task to retry');
    expect(retrying.retry).toBeNull();
    expect(new Date(retrying.nextAttemptAt).getTime() - clock.now().getTime()).toBe(5_000);
    reply = () => 'fine';
    await advance(5_000);
    expect(await taskWhen(id, (t) => t.status === 'COMPLETED', 'the fleet task')).toMatchObject({ attempts: 2, result: 'fine' });
  });
});
