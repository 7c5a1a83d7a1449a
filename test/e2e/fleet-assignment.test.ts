/**
 * assignWork over HTTP, one crafted fleet per strategy: ROUND_ROBIN continues across
 * calls, LEAST_LOADED fills the emptiest, SKILL_BASED requires and ranks skills,
 * PRIORITY follows its rules, CUSTOM asks a distributor protocol (on the test model) and
 * falls back to LEAST_LOADED, recorded, when its answer is unusable. Work no worker can
 * take waits in the fleet queue and drains most urgent, then oldest, first; quotas hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { lastUserText, startFakeOpenAI, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { eventually } from '../support/fake-clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { assignWork, createFleet, finishTask, hireInto, mutate, readFleet, storedEvents } from '../fleets/helpers.js';

/** The distributor: the model picks a worker from WORKERS; its reply is the output. */
const DISTRIBUTOR = `input:
  TASK:
    type: unknown
  WORKERS:
    type: unknown
variables:
  CHOICE:
    type: string
steps:
  Start:
    block: start-thread
    thread: main
    model: openai/gpt-4o
    system: system
  Ask:
    block: add-message
    thread: main
    role: user
    prompt: ask
    input: [TASK, WORKERS]
  Choose:
    block: next-message
    thread: main
    output: CHOICE
output: CHOICE
`;

describe('assignWork strategies', () => {
  let llm: FakeOpenAIServer;
  let app: TestApp;

  beforeAll(async () => {
    // The model names the candidate whose name contains "Chosen", or nobody for `bad` tasks.
    llm = await startFakeOpenAI({
      reply: (request) => {
        const text = lastUserText(request);
        if (text.includes('"action": "bad"')) return 'nobody in particular';
        const workers = JSON.parse(text.slice(text.indexOf('WORKERS:') + 'WORKERS:'.length)) as Array<{ id: string; name: string }>;
        return workers.find((w) => w.name.includes('Chosen'))?.id ?? workers[0]!.id;
      },
    });
    app = await createTestApp({ env: { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key' } });
    // No scheduled rebalance between two steps: queues drain on events, rebalancing only when asked.
    await app.app.scheduler.stop();
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  const names = (assignment: Record<string, any>) => assignment.tasks.map((t: any) => t.assignee?.name ?? null);

  it('ROUND_ROBIN gives each worker a turn and continues where the last call stopped', async () => {
    const fleetId = await createFleet(app, { name: 'RR', workerTemplate: { role: 'Agent', concurrency: 3 }, scaling: { min: 3, max: 3 } });
    const first = await assignWork(app, fleetId, [{ action: 'a' }, { action: 'b' }, { action: 'c' }, { action: 'd' }], { strategy: 'ROUND_ROBIN' });
    expect(first).toMatchObject({ strategy: 'ROUND_ROBIN', assigned: 4, queued: 0 });
    expect(names(first)).toEqual(['RR #1', 'RR #2', 'RR #3', 'RR #1']);
    const second = await assignWork(app, fleetId, [{ action: 'e' }, { action: 'f' }], { strategy: 'ROUND_ROBIN' });
    expect(names(second)).toEqual(['RR #2', 'RR #3']);
    // Full workers are skipped: #1 and #2 hold 2 of 3, #3 holds 2; four more fill 3 slots, one waits.
    const third = await assignWork(app, fleetId, [{ action: 'g' }, { action: 'h' }, { action: 'i' }, { action: 'j' }], { strategy: 'ROUND_ROBIN' });
    expect(names(third)).toEqual(['RR #1', 'RR #2', 'RR #3', null]);
    expect(third).toMatchObject({ assigned: 3, queued: 1 });
  });

  it('LEAST_LOADED fills the emptiest worker', async () => {
    const fleetId = await createFleet(app, { name: 'LL', workerTemplate: { role: 'Agent', concurrency: 3 }, scaling: { min: 3, max: 3 } });
    const { fleet } = await app.data(`query ($id: ID!) { fleet(id: $id) { workers { edges { node { id } } } } }`, { id: fleetId });
    const [a, b] = fleet.workers.edges.map((e: any) => e.node.id);
    for (const workerId of [a, a, b]) {
      const task = await mutate(app, 'assignTask', 'AssignTaskInput', { workerId, action: 'preload' }, '... on Task { id }');
      expect(task.__typename).toBe('Task');
    }
    const work = await assignWork(app, fleetId, [{ action: 'x' }, { action: 'y' }, { action: 'z' }], { strategy: 'LEAST_LOADED' });
    expect(names(work)).toEqual(['LL #3', 'LL #2', 'LL #3']);
  });

  it('SKILL_BASED requires every required skill and ranks by preferred ones', async () => {
    const fleetId = await createFleet(app, { name: 'Skills', workerTemplate: { role: 'Engineer' }, scaling: { min: 0, max: 5 } });
    await hireInto(app, fleetId, { name: 'Py Expert', skills: [{ name: 'python', level: 'EXPERT' }] });
    await hireInto(app, fleetId, { name: 'Py SQL', skills: [{ name: 'python', level: 'BEGINNER' }, { name: 'sql', level: 'EXPERT' }] });
    await hireInto(app, fleetId, { name: 'SQL Only', skills: [{ name: 'sql', level: 'ADVANCED' }] });
    const work = await assignWork(app, fleetId, [{ action: 'etl-1' }, { action: 'etl-2' }, { action: 'etl-3' }, { action: 'port', requiredSkills: ['rust'] }], {
      strategy: 'SKILL_BASED',
      skillMatching: { required: ['python'], preferred: ['sql'] },
    });
    expect(names(work)).toEqual(['Py SQL', 'Py Expert', null, null]);
    const { node } = await app.data(`query ($id: ID!) { node(id: $id) { ... on Task { requiredSkills } } }`, { id: work.tasks[3].id });
    expect(node.requiredSkills).toEqual(['rust', 'python']);
  });

  it('PRIORITY sends critical work to the most experienced and normal work to the least', async () => {
    const fleetId = await createFleet(app, { name: 'Desk', workerTemplate: { role: 'Support' }, scaling: { min: 0, max: 5 } });
    for (const [name, level] of [['Junior', 'BEGINNER'], ['Senior', 'EXPERT'], ['Mid', 'ADVANCED']] as const) {
      await hireInto(app, fleetId, { name, skills: [{ name: 'support', level }], concurrency: 2 });
    }
    const work = await assignWork(
      app,
      fleetId,
      [
        { action: 'n1', priority: 'NORMAL' },
        { action: 'c1', priority: 'CRITICAL' },
        { action: 'h1', priority: 'HIGH' },
        { action: 'c2', priority: 'CRITICAL' },
      ],
      { strategy: 'PRIORITY' },
    );
    // c1, c2 → Senior (most experienced, 2 slots); h1 → Mid (experienced, least loaded); n1 → Junior.
    expect(names(work)).toEqual(['Junior', 'Senior', 'Mid', 'Senior']);
    const custom = await assignWork(app, fleetId, [{ action: 'c3', priority: 'CRITICAL' }], {
      strategy: 'PRIORITY',
      priorityRules: [{ priority: 'CRITICAL', assignTo: 'AVAILABLE' }],
    });
    // AVAILABLE: Junior and Mid hold 1 of 2 each; the less experienced takes it.
    expect(names(custom)).toEqual(['Junior']);
  });

  it('CUSTOM asks the distributor protocol and falls back to LEAST_LOADED on an unusable answer', async () => {
    const created = await app.data(`mutation ($input: CreateProtocolInput!) { createProtocol(input: $input) { __typename ... on Error { message } } }`, {
      input: {
        slug: 'pick-worker',
        source: DISTRIBUTOR,
        prompts: [
          { name: 'system', content: 'Answer with the id of the best worker.' },
          { name: 'ask', content: 'TASK: {{TASK}}\nWORKERS: {{WORKERS}}' },
        ],
      },
    });
    expect(created.createProtocol.__typename).toBe('Protocol');
    const noDistributor = await createFleet(app, { name: 'Plain', workerTemplate: { role: 'Agent' } });
    expect(await assignWork(app, noDistributor, [{ action: 'x' }], { strategy: 'CUSTOM' })).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ path: ['strategy'] }],
    });

    const fleetId = await createFleet(app, { name: 'Custom', workerTemplate: { role: 'Agent' }, scaling: { min: 0, max: 5 }, distributor: 'pick-worker' });
    await hireInto(app, fleetId, { name: 'First' });
    await hireInto(app, fleetId, { name: 'The Chosen One', concurrency: 2 });
    const work = await assignWork(app, fleetId, [{ action: 'good', input: { lead: 'ACME' } }, { action: 'bad' }], { strategy: 'CUSTOM' });
    expect(work).toMatchObject({ strategy: 'CUSTOM', assigned: 2, queued: 0 });
    // `good`: the distributor's choice. `bad`: no usable answer, LEAST_LOADED picks First.
    expect(names(work)).toEqual(['The Chosen One', 'First']);
    expect(work.fallbacks).toEqual([
      { task: { id: work.tasks[1].id }, reason: 'the distributor\'s output "nobody in particular" names no candidate worker' },
    ]);
    // The distributor saw the task and only the candidates with a free slot.
    const asked = llm.requests.map((r) => lastUserText(r.body)).find((text) => text.includes('"action": "good"'))!;
    expect(asked).toContain('"lead": "ACME"');
    expect(asked).toContain('"name": "The Chosen One"');
    expect(asked).toContain('"load": 0');
  });

  it('queues what no worker can take and drains it most urgent, then oldest, first', async () => {
    const fleetId = await createFleet(app, { name: 'Line', workerTemplate: { role: 'Agent' }, scaling: { min: 1, max: 1 } });
    const work = await assignWork(app, fleetId, [
      { action: 'low', priority: 'LOW' },
      { action: 'normal-1', priority: 'NORMAL' },
      { action: 'critical', priority: 'CRITICAL' },
      { action: 'high', priority: 'HIGH' },
      { action: 'normal-2', priority: 'NORMAL' },
    ]);
    expect(work).toMatchObject({ strategy: 'LEAST_LOADED', assigned: 1, queued: 4 });
    expect(work.tasks.find((t: any) => t.status === 'ASSIGNED').action).toBe('critical');
    const queue = (await readFleet(app, fleetId)).queue;
    expect(queue.totalCount).toBe(4);
    expect(queue.edges.map((e: any) => e.node.action)).toEqual(['high', 'normal-1', 'normal-2', 'low']);

    const served: string[] = [];
    let current = work.tasks.find((t: any) => t.status === 'ASSIGNED').id as string;
    for (let i = 0; i < 4; i++) {
      await finishTask(app, current);
      const next = await eventually(async () => {
        const { fleet } = await app.data(
          `query ($id: ID!) { fleet(id: $id) { workers { edges { node { tasks(status: ASSIGNED) { edges { node { id action } } } } } } } }`,
          { id: fleetId },
        );
        return fleet.workers.edges[0].node.tasks.edges[0]?.node as { id: string; action: string } | undefined;
      });
      served.push(next.action);
      current = next.id;
    }
    expect(served).toEqual(['high', 'normal-1', 'normal-2', 'low']);
    expect((await readFleet(app, fleetId)).status).toMatchObject({ queueDepth: 0, assigned: 1, completed: 4 });
  });

  it('rebalances unstarted tasks stuck behind a busy or unavailable worker', async () => {
    const fleetId = await createFleet(app, { name: 'Balance', workerTemplate: { role: 'Agent' }, scaling: { min: 0, max: 5 } });
    const busy = await hireInto(app, fleetId, { name: 'Busy' });
    const away = await hireInto(app, fleetId, { name: 'Away', concurrency: 2 });
    // Busy runs one task and has two more waiting; Away goes BUSY with one waiting.
    const direct = async (workerId: string, action: string, priority = 'NORMAL') =>
      (await mutate(app, 'assignTask', 'AssignTaskInput', { workerId, action, priority }, '... on Task { id }')).id as string;
    const running = await direct(busy, 'running');
    await app.data(`mutation ($id: ID!) { startTask(input: { taskId: $id }) { __typename } }`, { id: running });
    const waiting = [await direct(busy, 'waiting-1'), await direct(busy, 'waiting-2', 'HIGH'), await direct(away, 'away-1')];
    await mutate(app, 'setWorkerAvailability', 'SetWorkerAvailabilityInput', { workerId: away, availability: 'BUSY' }, '__typename');
    await hireInto(app, fleetId, { name: 'Free', concurrency: 2 });

    const rebalance = await mutate(
      app,
      'rebalanceFleet',
      'RebalanceFleetInput',
      { fleetId },
      '... on FleetRebalance { moved { task { id action assignee { name } } from { name } to { name } } handedOut { id } }',
      false,
    );
    // Free has two slots: the HIGH task first, then the oldest; the third waits where it is.
    expect(rebalance.moved.map((m: any) => [m.task.action, m.from.name, m.to.name])).toEqual([
      ['waiting-2', 'Busy', 'Free'],
      ['waiting-1', 'Busy', 'Free'],
    ]);
    const { node } = await app.data(`query ($id: ID!) { node(id: $id) { ... on Task { status assignee { id } } } }`, { id: waiting[2] });
    expect(node).toEqual({ status: 'ASSIGNED', assignee: { id: away } });
    const events = await storedEvents(app, ['Fleet.rebalanced'], (e) => e.subjectId === fleetId, 1);
    expect(events[0]!.payload).toMatchObject({ trigger: 'on demand', moved: [{ from: expect.any(String), to: expect.any(String) }, expect.any(Object)] });
  });

  it('keeps a worker at its quota from more tasks of that kind', async () => {
    const fleetId = await createFleet(app, {
      name: 'Quota',
      workerTemplate: { role: 'SDR', concurrency: 10 },
      scaling: { min: 1, max: 1 },
      quotas: [{ name: 'leadsPerWorker', action: 'qualify_lead', limit: 2, period: 'DAILY' }],
    });
    const work = await assignWork(app, fleetId, [{ action: 'qualify_lead' }, { action: 'qualify_lead' }, { action: 'qualify_lead' }, { action: 'follow_up' }]);
    expect(work.tasks.map((t: any) => t.status)).toEqual(['ASSIGNED', 'ASSIGNED', 'PENDING', 'ASSIGNED']);
    const { fleet } = await app.data(`query ($id: ID!) { fleet(id: $id) { quotas { name action limit period } } }`, { id: fleetId });
    expect(fleet.quotas).toEqual([{ name: 'leadsPerWorker', action: 'qualify_lead', limit: 2, period: 'DAILY' }]);
  });
});
