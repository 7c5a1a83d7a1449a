/**
 * Budgets over time and in a fleet's hand-out (README "Cost and budgets"), on the fake
 * clock: a spent WAIT budget holds work until its period rolls over — at midnight in the
 * worker's zone for a DAILY budget, on the 1st in the fleet's zone for a MONTHLY one — and
 * `*.budget.exceeded` is raised once per period; a fleet hands work to a member within
 * budget rather than to one that spent its budget, queues it when none can take it (WAIT)
 * and lets it fail with the budget's reason when only a FAIL budget's worker can (FAIL).
 * Over HTTP against a local OpenAI-compatible server, at a price that makes every run
 * pass a budget of a millionth of a dollar.
 */
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { events } from '../../src/db/schema.js';
import { decodeGlobalId } from '../../src/graphql/node-access.js';
import { createTestApp, eventsSettled, type TestApp } from '../support/test-app.js';
import { eventually, FakeClock } from '../support/fake-clock.js';
import { startFakeOpenAI, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { activeWorker, mutate } from '../support/mutations.js';

/** A limit every run passes: one run costs far more at {@link PRICE}. */
const LIMIT = 0.000001;
const PRICE = { input: 1000, output: 3000 };

describe('budgets over time', () => {
  // 23:00 in Los Angeles (PST, UTC−8) on 4 March 2030.
  const clock = new FakeClock('2030-03-05T07:00:00.000Z');
  let llm: FakeOpenAIServer;
  let app: TestApp;

  beforeAll(async () => {
    llm = await startFakeOpenAI({ reply: () => 'Done.' });
    app = await createTestApp({ clock, env: { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key', MODEL_PRICES: JSON.stringify({ 'gpt-4o-mini': PRICE }) } });
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  /** Moves the fake clock to `instant` and runs the scheduler's due jobs (the work sweep, the fleet queues). */
  const at = async (instant: string) => {
    clock.set(instant);
    await app.app.scheduler.tick();
  };

  const task = async (id: string) => (await app.data(`query ($id: ID!) { task(id: $id) { id status error assignee { id } } }`, { id })).task;
  /** Task `id` once it has ended. */
  const ended = (id: string) =>
    eventually(async () => {
      const now = await task(id);
      return ['COMPLETED', 'FAILED'].includes(now.status) ? now : undefined;
    }, 30_000, `task ${id} to end`);

  const assign = async (workerId: string, action: string): Promise<string> => (await mutate(app, 'assignTask', 'AssignTaskInput', { workerId, action })).id;
  const assignWork = async (fleetId: string, action: string) =>
    mutate(app, 'assignWork', 'AssignWorkInput', { fleetId, tasks: [{ action }], strategy: 'LEAST_LOADED' }, '... on WorkAssignment { tasks { id status assignee { id } } }');
  const setBudget = (owner: Record<string, string>, period: string, onExceeded: string) =>
    mutate(app, 'setBudget', 'SetBudgetInput', { ...owner, period, limit: LIMIT, onExceeded }, '... on SetBudgetPayload { budget { period } }');

  /** The `*.budget.exceeded` events of a worker (as `Worker.events` lists them) or of a fleet (as stored), oldest first. */
  const exceededEvents = async (type: 'Worker' | 'Fleet', id: string) => {
    await eventsSettled(app.app.services);
    if (type === 'Fleet') {
      const rows = await app.app.services.db
        .select({ payload: events.payload })
        .from(events)
        .where(and(eq(events.type, 'Fleet.budget.exceeded'), eq(events.subjectId, decodeGlobalId(id)!.id)))
        .orderBy(asc(events.txId), asc(events.seq));
      return rows.map((row) => row.payload);
    }
    const { node } = await app.data(`query ($id: ID!) { node(id: $id) { ... on Worker { events(types: ["Worker.budget.exceeded"]) { edges { node { payload } } } } } }`, { id });
    return node.events.edges.map((edge: any) => edge.node.payload);
  };

  it('holds a worker’s work past its DAILY budget until midnight in its zone, raising Worker.budget.exceeded once a day', async () => {
    const workerId = await activeWorker(app, { name: 'Alex Rodriguez', role: 'CSM', model: 'openai/gpt-4o-mini', persona: { workingHours: '9am-5pm PST' } });
    await setBudget({ workerId }, 'DAILY', 'WAIT');

    // The first run starts under the limit and passes it.
    expect((await ended(await assign(workerId, 'check_health_scores'))).status).toBe('COMPLETED');
    expect(await exceededEvents('Worker', workerId)).toMatchObject([{ period: 'DAILY', periodStart: '2030-03-04T08:00:00.000Z', onExceeded: 'WAIT' }]);

    // The next waits, ASSIGNED, through the last minute of the day, and the worker's status says why.
    const waiting = await assign(workerId, 'send_renewal_reminders');
    await at('2030-03-05T07:59:00.000Z');
    expect(await task(waiting)).toMatchObject({ status: 'ASSIGNED' });
    const { node: held } = await app.data(`query ($id: ID!) { node(id: $id) { ... on Worker { status { reason nextFreeAt } } } }`, { id: workerId });
    expect(held.status.nextFreeAt).toBeNull();
    expect(held.status.reason).toMatch(
      /^holds 1 task it cannot start: the DAILY budget of worker Alex Rodriguez \(\$0\.000001\) is spent: \$[\d.e-]+ since 2030-03-04T08:00:00\.000Z; they wait until the period rolls over$/,
    );

    // Midnight in Los Angeles: a new period, so the work sweep starts it.
    await at('2030-03-05T08:00:00.000Z');
    expect((await ended(waiting)).status).toBe('COMPLETED');
    const { node } = await app.data(`query ($id: ID!) { node(id: $id) { ... on Worker { cost(period: TODAY) { from runs } budgets { exceededPeriodStart } } } }`, { id: workerId });
    expect(node).toEqual({ cost: { from: '2030-03-05T08:00:00.000Z', runs: 1 }, budgets: [{ exceededPeriodStart: '2030-03-05T08:00:00.000Z' }] });
    // Its run passed the limit in the new day: raised again, once for that day.
    expect(await exceededEvents('Worker', workerId)).toMatchObject([{ periodStart: '2030-03-04T08:00:00.000Z' }, { periodStart: '2030-03-05T08:00:00.000Z' }]);
    const third = await assign(workerId, 'review_at_risk_accounts');
    await at('2030-03-05T09:00:00.000Z');
    expect(await task(third)).toMatchObject({ status: 'ASSIGNED' });
    expect(await exceededEvents('Worker', workerId)).toHaveLength(2);
  });

  it('hands fleet work to a member within budget, not to one that spent a WAIT or FAIL budget; the last resort fails with the reason', async () => {
    await at('2030-04-30T21:30:00.000Z');
    const fleet = await mutate(
      app,
      'createFleet',
      'CreateFleetInput',
      { name: 'Budgeted Fleet', workerTemplate: { role: 'SDR', model: 'openai/gpt-4o-mini' }, scaling: { min: 3, max: 3 } },
      '... on Fleet { id workers(first: 3) { edges { node { id } } } }',
    );
    const [first, second, third] = fleet.workers.edges.map((edge: any) => edge.node.id as string);
    // The first two spend their budgets on work given to them directly: a WAIT budget, a FAIL budget.
    await setBudget({ workerId: first }, 'DAILY', 'WAIT');
    await setBudget({ workerId: second }, 'DAILY', 'FAIL');
    for (const workerId of [first, second]) expect((await ended(await assign(workerId, 'research_account'))).status).toBe('COMPLETED');

    // All three idle: LEAST_LOADED would take the first (the oldest); the third, within budget, takes the work.
    const within = await assignWork(fleet.id, 'qualify_lead');
    expect(within.tasks[0]).toMatchObject({ status: 'ASSIGNED', assignee: { id: third } });
    expect((await ended(within.tasks[0].id)).status).toBe('COMPLETED');

    // Now the third has spent a WAIT budget too: the second, past its FAIL budget, is the last resort, and the task fails with the reason.
    await setBudget({ workerId: third }, 'DAILY', 'WAIT');
    const requests = llm.requests.length;
    const last = await assignWork(fleet.id, 'qualify_lead');
    const failed = await ended(last.tasks[0].id);
    expect(failed).toMatchObject({ status: 'FAILED', assignee: { id: second } });
    expect(failed.error).toMatch(/^the DAILY budget of worker Budgeted Fleet #2 \(\$0\.000001\) is spent: \$[\d.e-]+ since 2030-04-30T00:00:00\.000Z$/);
    expect(llm.requests.length).toBe(requests);
  });

  it('queues fleet work while the fleet’s MONTHLY WAIT budget is spent and hands it out on the 1st in the fleet’s zone', async () => {
    // 23:30 in Berlin (CEST, UTC+2) on 30 April.
    await at('2030-04-30T21:30:00.000Z');
    const fleet = await mutate(
      app,
      'createFleet',
      'CreateFleetInput',
      { name: 'Monthly Fleet', timezone: 'Europe/Berlin', workerTemplate: { role: 'SDR', model: 'openai/gpt-4o-mini' }, scaling: { min: 1, max: 1 } },
      '... on Fleet { id }',
    );
    await setBudget({ fleetId: fleet.id }, 'MONTHLY', 'WAIT');
    const spent = await assignWork(fleet.id, 'qualify_lead');
    expect((await ended(spent.tasks[0].id)).status).toBe('COMPLETED');
    expect(await exceededEvents('Fleet', fleet.id)).toMatchObject([{ period: 'MONTHLY', periodStart: '2030-03-31T22:00:00.000Z' }]);

    // Its one worker is idle, but the fleet has spent its month: the work waits in the queue.
    const queued = await assignWork(fleet.id, 'qualify_lead');
    expect(queued.tasks[0]).toMatchObject({ status: 'PENDING', assignee: null });
    await at('2030-04-30T21:59:00.000Z');
    expect(await task(queued.tasks[0].id)).toMatchObject({ status: 'PENDING' });

    // Midnight in Berlin on 1 May: the queue is handed out.
    await at('2030-04-30T22:00:00.000Z');
    expect(await ended(queued.tasks[0].id)).toMatchObject({ status: 'COMPLETED', assignee: { id: expect.any(String) } });
    expect(await exceededEvents('Fleet', fleet.id)).toMatchObject([{ periodStart: '2030-03-31T22:00:00.000Z' }, { periodStart: '2030-04-30T22:00:00.000Z' }]);
  });
});
