/**
 * Cost is measured and bounded (README "Cost and budgets"): a run's tokens, as the
 * OpenAI-compatible server reports them, priced from the configured price table; the sums
 * per task, worker and fleet; budgets that stop further work, with `*.budget.exceeded`
 * raised once. Over HTTP against a local OpenAI-compatible server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/fake-clock.js';
import { startFakeOpenAI, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { createTestApp, eventsSettled, type TestApp } from '../support/test-app.js';
import { createFleet, hireInto, mutate } from '../fleets/helpers.js';

/** USD per million tokens of gpt-4o-mini here: far from the built-in list price, so the override shows. */
const PRICE = { input: 1000, output: 3000 };

/**
 * A protocol that asks gpt-4o-mini about its one `input` into `answer`; with `nested`, it
 * then runs that worker on the answer as TEXT. Its output is SUMMARY.
 */
function protocol(slug: string, input: string, answer: string, nested?: string) {
  const source = [
    'input:',
    `  ${input}: { type: string }`,
    'variables:',
    `  ${answer}: { type: string }`,
    ...(nested ? ['  SUMMARY: { type: string }', 'workers:', `  ${nested}: { description: Summarizing }`] : []),
    'steps:',
    '  Start: { block: start-thread, thread: main, model: openai/gpt-4o-mini, system: system }',
    `  Ask: { block: add-message, thread: main, role: user, prompt: ask, input: [${input}] }`,
    `  Answer: { block: next-message, thread: main, output: ${answer} }`,
    ...(nested ? [`  Summarize: { block: run-worker, worker: ${nested}, input: { TEXT: ${answer} }, output: SUMMARY }`] : []),
    'output: SUMMARY',
  ];
  return { slug, source: source.join('\n'), prompts: [{ name: 'system', content: `You are ${slug}.` }, { name: 'ask', content: `{{${input}}}` }] };
}

describe('cost and budgets', () => {
  let llm: FakeOpenAIServer;
  let app: TestApp;

  beforeAll(async () => {
    llm = await startFakeOpenAI({ reply: () => 'Done: the lead is qualified.' });
    app = await createTestApp({
      env: { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key', MODEL_PRICES: JSON.stringify({ 'gpt-4o-mini': PRICE }) },
    });
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  const TASK = `id status error cost run { id cost usage { inputTokens outputTokens } events { ... on UsageEvent { cost } } }`;

  /** The `cost` of the run's `usage` event. */
  const usageEventCost = (task: any) => task.run.events.find((event: any) => event.cost).cost;

  /** Assigns a task to `workerId` and returns its global ID. */
  const assign = async (workerId: string, action: string): Promise<string> => {
    const task = await mutate(app, 'assignTask', 'AssignTaskInput', { workerId, action, input: { lead: 'Acme' } }, '... on Task { id }');
    expect(task.__typename, JSON.stringify(task)).toBe('Task');
    return task.id as string;
  };

  /** The task once it has ended. */
  const ended = (id: string) =>
    eventually(async () => {
      const { task } = await app.data(`query ($id: ID!) { task(id: $id) { ${TASK} } }`, { id });
      return ['COMPLETED', 'FAILED'].includes(task.status) ? task : undefined;
    }, 30_000, `task ${id} to end`);

  const cost = async (type: 'worker' | 'fleet', id: string) => {
    const data = await app.data(`query ($id: ID!) { ${type}(id: $id) { cost(period: TODAY) { amount currency runs unpricedRuns from } } }`, { id });
    return data[type].cost;
  };

  /** The budget events of a worker or fleet, in log order. */
  const budgetEvents = async (type: 'worker' | 'fleet', id: string) => {
    await eventsSettled(app.app.services);
    const data = await app.data(
      `query ($id: ID!) { ${type}(id: $id) { events(types: ["Worker.budget.exceeded", "Fleet.budget.exceeded"]) { edges { node { type payload } } } } }`,
      { id },
    );
    return data[type].events.edges.map((edge: any) => edge.node);
  };

  it('prices each run from the tokens the model server reported, at the configured price, and sums them per task, worker and fleet', async () => {
    const fleetId = await createFleet(app, { name: 'Pricing', workerTemplate: { role: 'SDR' }, scaling: { min: 0, max: 3 } });
    const workerId = await hireInto(app, fleetId, { name: 'Sarah Chen', role: 'SDR', model: 'openai/gpt-4o-mini' });
    const first = await ended(await assign(workerId, 'qualify-lead'));
    const second = await ended(await assign(workerId, 'qualify-lead'));

    let total = 0;
    for (const task of [first, second]) {
      expect(task.status).toBe('COMPLETED');
      const { inputTokens, outputTokens } = task.run.usage;
      expect(inputTokens).toBeGreaterThan(0);
      const expected = (inputTokens * PRICE.input + outputTokens * PRICE.output) / 1e6;
      expect(task.run.cost).toBeCloseTo(expected, 9);
      expect(task.cost).toBeCloseTo(expected, 9);
      expect(usageEventCost(task)).toMatchObject({ currency: 'USD', byok: true, bandwidthFee: 0 });
      expect(usageEventCost(task).totalFee).toBeCloseTo(expected, 9);
      total += expected;
    }
    const byWorker = await cost('worker', workerId);
    expect(byWorker).toMatchObject({ currency: 'USD', runs: 2, unpricedRuns: 0 });
    expect(byWorker.amount).toBeCloseTo(total, 9);
    const byFleet = await cost('fleet', fleetId);
    expect(byFleet).toMatchObject({ runs: 2, unpricedRuns: 0 });
    expect(byFleet.amount).toBeCloseTo(total, 9);
  });

  it('counts a nested worker’s run to the task, the worker and the fleet of its parent', async () => {
    const protocols = [protocol('summarizer', 'TEXT', 'SUMMARY'), protocol('qualifier', 'LEAD', 'VERDICT', 'summarizer')];
    for (const input of protocols) {
      const created = await app.data(`mutation ($input: CreateProtocolInput!) { createProtocol(input: $input) { __typename ... on Error { message } } }`, { input });
      expect(created.createProtocol, JSON.stringify(created)).toEqual({ __typename: 'Protocol' });
    }
    const fleetId = await createFleet(app, { name: 'Nested', workerTemplate: { role: 'SDR' }, scaling: { min: 0, max: 3 } });
    const workerId = await hireInto(app, fleetId, { name: 'Nina Nested', role: 'SDR', protocol: 'qualifier' });
    const task = await ended(await assign(workerId, 'qualify-lead'));
    expect(task.status, task.error).toBe('COMPLETED');
    const { run } = await app.data(`query ($id: ID!) { run(id: $id) { cost children { cost worker { id } } } }`, { id: task.run.id });
    expect(run.children).toHaveLength(1);
    const [child] = run.children;
    expect(child.cost).toBeGreaterThan(0);
    expect(child.worker.id).toBe(workerId);
    expect(task.cost).toBeCloseTo(run.cost + child.cost, 9);
    expect((await cost('worker', workerId)).amount).toBeCloseTo(run.cost + child.cost, 9);
    expect(await cost('fleet', fleetId)).toMatchObject({ runs: 2 });
  });

  it('does not know the cost of a model without a price: null, and counted as unpriced', async () => {
    const fleetId = await createFleet(app, { name: 'Unpriced', workerTemplate: { role: 'SDR' }, scaling: { min: 0, max: 3 } });
    const workerId = await hireInto(app, fleetId, { name: 'Local Larry', role: 'SDR', model: 'openai/house-model' });
    const task = await ended(await assign(workerId, 'qualify-lead'));
    expect(task.status).toBe('COMPLETED');
    expect(task.run.usage.inputTokens).toBeGreaterThan(0);
    expect(task.run.cost).toBeNull();
    expect(task.cost).toBeNull();
    expect(usageEventCost(task)).toEqual({ currency: 'USD', bandwidthFee: 0, providerFee: 0, totalFee: 0, byok: true, unpriced: true });
    expect(await cost('worker', workerId)).toMatchObject({ amount: 0, runs: 1, unpricedRuns: 1 });
  });

  it('a spent WAIT budget holds the next task ASSIGNED, raising Worker.budget.exceeded once in the period', async () => {
    const fleetId = await createFleet(app, { name: 'Budgeted', workerTemplate: { role: 'SDR' }, scaling: { min: 0, max: 3 } });
    const workerId = await hireInto(app, fleetId, { name: 'Alex Rodriguez', role: 'SDR', model: 'openai/gpt-4o-mini' });
    const set = await mutate(
      app,
      'setBudget',
      'SetBudgetInput',
      { workerId, period: 'DAILY', limit: 0.000001 },
      '... on SetBudgetPayload { budget { period limit onExceeded } }',
    );
    expect(set.budget).toEqual({ period: 'DAILY', limit: 0.000001, onExceeded: 'WAIT' });

    // Spending is under the limit when the first run starts; its cost passes it.
    const first = await ended(await assign(workerId, 'qualify-lead'));
    expect(first.status).toBe('COMPLETED');
    const raised = await budgetEvents('worker', workerId);
    expect(raised).toHaveLength(1);
    expect(raised[0].payload).toMatchObject({ period: 'DAILY', limit: 0.000001, onExceeded: 'WAIT' });
    expect(raised[0].payload.spent).toBeCloseTo(first.cost, 9);

    // The next task waits: starting it by hand is refused with the reason, and it stays ASSIGNED.
    const waiting = await assign(workerId, 'qualify-lead');
    const start = await app.data(`mutation ($id: ID!) { startTask(input: { taskId: $id }) { __typename ... on Error { message } } }`, { id: waiting });
    expect(start.startTask.__typename).toBe('InvalidTransitionError');
    expect(start.startTask.message).toMatch(/DAILY budget of worker Alex Rodriguez \(\$0\.000001\) is spent.*waits until the period rolls over/);
    const { task: held } = await app.data(`query ($id: ID!) { task(id: $id) { status run { id } } }`, { id: waiting });
    expect(held).toEqual({ status: 'ASSIGNED', run: null });

    // A higher limit lets it run; passing that limit too in the same period raises nothing more.
    await mutate(app, 'setBudget', 'SetBudgetInput', { workerId, period: 'DAILY', limit: first.cost * 1.0001 }, '... on SetBudgetPayload { budget { limit } }');
    expect((await ended(waiting)).status).toBe('COMPLETED');
    expect(await budgetEvents('worker', workerId)).toHaveLength(1);
    const { worker } = await app.data(`query ($id: ID!) { worker(id: $id) { budgets { period exceededPeriodStart } } }`, { id: workerId });
    const today = (await cost('worker', workerId)).from;
    expect(worker.budgets).toEqual([{ period: 'DAILY', exceededPeriodStart: today }]);
    // The period's rollover is tested on the fake clock (budget-periods.test.ts).
  });

  it('a spent FAIL budget of the fleet fails its workers’ tasks with the reason', async () => {
    const fleetId = await createFleet(app, { name: 'Frugal', workerTemplate: { role: 'SDR' }, scaling: { min: 0, max: 3 } });
    const workerId = await hireInto(app, fleetId, { name: 'Pat Lee', role: 'SDR', model: 'openai/gpt-4o-mini' });
    const set = await mutate(app, 'setBudget', 'SetBudgetInput', { fleetId, period: 'MONTHLY', limit: 0, onExceeded: 'FAIL' }, '... on SetBudgetPayload { budget { onExceeded } }');
    expect(set.budget).toEqual({ onExceeded: 'FAIL' });
    const requests = llm.requests.length;
    const task = await ended(await assign(workerId, 'qualify-lead'));
    expect(task).toMatchObject({ status: 'FAILED', run: null, cost: 0 });
    expect(task.error).toMatch(/MONTHLY budget of fleet Frugal \(\$0\) is spent/);
    expect(llm.requests.length).toBe(requests);
  });

  it('refuses a budget without an owner or with a negative limit, naming the field', async () => {
    const fleetId = await createFleet(app, { name: 'Checked', workerTemplate: { role: 'SDR' }, scaling: { min: 0, max: 3 } });
    const negative = await mutate(app, 'setBudget', 'SetBudgetInput', { fleetId, period: 'DAILY', limit: -1 }, '');
    expect(negative.issues).toEqual([{ path: ['limit'], message: 'must be USD per period, 0 or more' }]);
    const noOwner = await mutate(app, 'setBudget', 'SetBudgetInput', { period: 'DAILY', limit: 1 }, '');
    expect(noOwner.issues).toEqual([{ path: ['workerId'], message: 'give either workerId or fleetId, not both' }]);
  });
});
