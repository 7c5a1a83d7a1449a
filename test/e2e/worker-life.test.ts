/**
 * A worker's whole life as a client sees it, over HTTP and graphql-ws: hire, onboard,
 * activate, assign, its protocol run on the test model (a local OpenAI-compatible
 * server), complete, a failed run, feedback and communication, promotion, offboarding
 * with transfer — every state, figure and event checked, the event stream and the
 * status stream included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { lastUserText, startFakeOpenAI, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const PROTOCOL = `input:
  LEAD:
    type: string
    description: The lead to qualify
variables:
  VERDICT:
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
    input: [LEAD]
  Answer:
    block: next-message
    thread: main
    output: VERDICT
output: VERDICT
`;

const WORKER_FIELDS = /* GraphQL */ `
  fragment W on Worker {
    id name role lifecycle availability concurrency location
    onboarding { training access mentor { name } }
    offboarding { reason documentationComplete transferredTo { name } }
    roleHistory { fromRole toRole }
  }
`;

const EVENTS = /* GraphQL */ `
  subscription Events($after: Int) { events(after: $after) { seq type subjectId payload } }
`;

const STATUS = /* GraphQL */ `
  subscription Status($id: ID!) {
    workerStatus(workerId: $id) { state lifecycle activeTasks queuedTasks availability location currentTask { action } }
  }
`;

type DomainEvent = { seq: number; type: string; subjectId: string | null; payload: Record<string, any> };
type Status = { state: string; lifecycle: string; activeTasks: number; queuedTasks: number; availability: string; currentTask: { action: string } | null };

describe('a worker’s whole life', () => {
  let llm: FakeOpenAIServer;
  let app: TestApp;

  beforeAll(async () => {
    llm = await startFakeOpenAI({
      reply: (request) => {
        const lead = lastUserText(request);
        if (lead.includes('Broken')) return { status: 400, body: { error: { message: 'the model refuses', type: 'invalid_request_error' } } };
        return `Qualified: ${lead.trim()}`;
      },
    });
    app = await createTestApp({ env: { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key' } });
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  /** Runs mutation `field` with `input`; selects the worker fragment, or `selection` for other results. */
  const mutate = async (field: string, type: string, input: Record<string, unknown>, selection?: string) => {
    const result = await app.data(
      `mutation ($input: ${type}!) { ${field}(input: $input) { __typename ... on Error { message } ${selection ?? '... on Worker { ...W }'} } } ${
        selection ? '' : WORKER_FIELDS
      }`,
      { input },
    );
    return result[field];
  };

  it('walks a worker through hire, work, feedback, promotion and offboarding', async () => {
    const created = await app.data(
      `mutation ($input: CreateProtocolInput!) { createProtocol(input: $input) { __typename ... on Error { message } } }`,
      {
        input: {
          slug: 'lead-qualifier',
          source: PROTOCOL,
          prompts: [
            { name: 'system', content: 'You qualify sales leads.' },
            { name: 'ask', content: '{{LEAD}}' },
          ],
        },
      },
    );
    expect(created.createProtocol.__typename).toBe('Protocol');

    // Everything from here on is watched over graphql-ws.
    const client = app.wsClient();
    const seen: DomainEvent[] = [];
    const eventsDone = (async () => {
      for await (const result of client.iterate({ query: EVENTS, variables: { after: 0 } })) {
        seen.push((result.data as { events: DomainEvent }).events);
      }
    })();

    // A mentor, who later takes over the work.
    const mentor = await mutate('hireWorker', 'HireWorkerInput', { name: 'Morgan Lee', role: 'SeniorSDR' });
    await mutate('onboardWorker', 'OnboardWorkerInput', { workerId: mentor.id });
    await mutate('activateWorker', 'ActivateWorkerInput', { workerId: mentor.id });

    // Hire
    const hired = await mutate('hireWorker', 'HireWorkerInput', {
      name: 'Sarah Chen',
      role: 'SalesDevelopmentRepresentative',
      persona: {
        background: 'Former tech recruiter, 5 years in B2B SaaS',
        expertise: ['lead_qualification', 'outreach'],
        communicationStyle: 'consultative, data-driven',
        workingHours: { start: '9:00', end: '17:00', timezone: 'America/Los_Angeles' },
        languages: ['English', 'Spanish'],
      },
      capabilities: ['research', 'outreach', 'qualification'],
      skills: [{ name: 'lead_qualification', level: 'EXPERT' }],
      goals: { daily: ['Qualify 4 leads'] },
      kpis: [{ name: 'leadsQualified', target: 1, period: 'DAILY', action: 'qualify_lead' }],
      model: 'openai/gpt-4o',
      protocol: 'lead-qualifier',
      location: 'remote',
    });
    expect(hired).toMatchObject({ __typename: 'Worker', lifecycle: 'HIRED', availability: 'OFFLINE', concurrency: 1, onboarding: null });
    const workerId = hired.id as string;

    const statusClient = app.wsClient();
    const statuses: Status[] = [];
    const statusDone = (async () => {
      for await (const result of statusClient.iterate({ query: STATUS, variables: { id: workerId } })) {
        const status = (result.data as { workerStatus: Status }).workerStatus;
        statuses.push(status);
        if (status.lifecycle === 'OFFBOARDED') return;
      }
    })();
    await until(() => statuses.length > 0); // the current value arrives first

    // Onboard, activate
    const onboarded = await mutate('onboardWorker', 'OnboardWorkerInput', {
      workerId,
      training: ['product_knowledge', 'crm_training'],
      access: ['crm', 'slack'],
      mentorId: mentor.id,
    });
    expect(onboarded).toMatchObject({
      lifecycle: 'ONBOARDING',
      availability: 'OFFLINE',
      onboarding: { training: ['product_knowledge', 'crm_training'], access: ['crm', 'slack'], mentor: { name: 'Morgan Lee' } },
    });
    let learning = (await app.data(`query ($id: ID!) { node(id: $id) { ... on Worker { learningProgress { skillsAcquired skillsInProgress } } } }`, { id: workerId })).node
      .learningProgress;
    expect(learning).toEqual({ skillsAcquired: [], skillsInProgress: ['crm_training', 'product_knowledge'] });

    const active = await mutate('activateWorker', 'ActivateWorkerInput', { workerId });
    expect(active).toMatchObject({ lifecycle: 'ACTIVE', availability: 'AVAILABLE' });
    await mutate('recordTraining', 'RecordTrainingInput', { workerId, skill: 'advanced_sql', hours: 12, certification: 'sql_cert' });
    await mutate('recordTraining', 'RecordTrainingInput', { workerId, skill: 'python_pandas', hours: 3, completed: false });
    learning = (await app.data(`query ($id: ID!) { node(id: $id) { ... on Worker { learningProgress { skillsAcquired skillsInProgress certificationsEarned trainingHoursCompleted } } } }`, { id: workerId }))
      .node.learningProgress;
    expect(learning).toEqual({
      skillsAcquired: ['advanced_sql', 'crm_training', 'product_knowledge'],
      skillsInProgress: ['python_pandas'],
      certificationsEarned: ['sql_cert'],
      trainingHoursCompleted: 12,
    });

    // Assign: the worker's protocol runs the task on the test model.
    const assigned = await app.data(
      `mutation ($input: AssignTaskInput!) { assignTask(input: $input) { __typename ... on Task { id status } } }`,
      { input: { workerId, action: 'qualify_lead', input: { LEAD: 'ACME Corp, 500 employees' }, priority: 'HIGH' } },
    );
    expect(assigned.assignTask).toMatchObject({ __typename: 'Task', status: 'ASSIGNED' });
    const taskId = assigned.assignTask.id as string;
    await until(() => seen.some((e) => e.type === 'Worker.task.completed' && e.payload.taskId === localId(taskId)));

    const { task } = await app.data(
      `query ($id: ID!) { task(id: $id) { status result error startedAt completedAt assignee { name } run { status input output task { id } } } }`,
      { id: taskId },
    );
    expect(task).toMatchObject({
      status: 'COMPLETED',
      result: 'Qualified: ACME Corp, 500 employees',
      error: null,
      assignee: { name: 'Sarah Chen' },
      run: { status: 'COMPLETED', input: { LEAD: 'ACME Corp, 500 employees' }, output: 'Qualified: ACME Corp, 500 employees', task: { id: taskId } },
    });
    expect(new Date(task.completedAt).getTime()).toBeGreaterThanOrEqual(new Date(task.startedAt).getTime());

    // A run that fails fails its task.
    const broken = await app.data(
      `mutation ($input: AssignTaskInput!) { assignTask(input: $input) { ... on Task { id } } }`,
      { input: { workerId, action: 'qualify_lead', input: { LEAD: 'Broken Ltd' } } },
    );
    const brokenId = broken.assignTask.id as string;
    await until(() => seen.some((e) => e.type === 'Worker.task.failed' && e.payload.taskId === localId(brokenId)));
    const failed = (await app.data(`query ($id: ID!) { task(id: $id) { status error run { status } } }`, { id: brokenId })).task;
    expect(failed.status).toBe('FAILED');
    expect(failed.run.status).toBe('FAILED');
    expect(failed.error).toMatch(/refuses|400|error/i);

    // Performance
    const perf = (
      await app.data(
        `query ($id: ID!) { node(id: $id) { ... on Worker {
          stats { tasksCompleted tasksFailed tasksInProgress tasksPending avgCompletionTimeMs successRate qualityScore }
          productivity(period: LAST_DAY) { tasksCompleted tasksPerDay responseTimeMs }
          goalProgress { name period target actual progress achieved }
        } } }`,
        { id: workerId },
      )
    ).node;
    expect(perf.stats).toMatchObject({ tasksCompleted: 1, tasksFailed: 1, tasksInProgress: 0, tasksPending: 0, successRate: 0.5, qualityScore: null });
    expect(perf.stats.avgCompletionTimeMs).toBeGreaterThanOrEqual(0);
    expect(perf.productivity).toMatchObject({ tasksCompleted: 1, tasksPerDay: 1 });
    expect(perf.productivity.responseTimeMs).toBeGreaterThanOrEqual(0);
    expect(perf.goalProgress).toEqual([{ name: 'leadsQualified', period: 'DAILY', target: 1, actual: 1, progress: 1, achieved: true }]);

    // Feedback and communication
    const feedback = await mutate('provideFeedback', 'ProvideFeedbackInput', {
      workerId,
      type: 'performance_review',
      rating: 4.5,
      strengths: ['Data visualization'],
      improvements: ['Speed up report generation'],
      goals: ['Learn advanced SQL'],
    }, '... on Feedback { rating type strengths }');
    expect(feedback).toMatchObject({ __typename: 'Feedback', rating: 4.5, type: 'performance_review', strengths: ['Data visualization'] });
    const badFeedback = await mutate('provideFeedback', 'ProvideFeedbackInput', { workerId, rating: 6 }, '... on ValidationError { issues { path } }');
    expect(badFeedback).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['rating'] }] });

    const message = await mutate('messageWorker', 'MessageWorkerInput', {
      workerId,
      from: 'manager-id',
      subject: 'New Priority Task',
      body: 'Please prioritize the Acme Corp analysis',
      priority: 'HIGH',
    }, '... on WorkerMessage { subject priority }');
    expect(message).toMatchObject({ __typename: 'WorkerMessage', subject: 'New Priority Task', priority: 'HIGH' });
    const meeting = await mutate('scheduleMeeting', 'ScheduleMeetingInput', {
      workerId,
      type: 'one_on_one',
      durationMinutes: 30,
      agenda: ['Goal progress', 'Blockers', 'Feedback'],
      startsAt: '2030-01-15T16:00:00.000Z',
    }, '... on Meeting { type durationMinutes agenda startsAt }');
    expect(meeting).toMatchObject({ __typename: 'Meeting', durationMinutes: 30, startsAt: '2030-01-15T16:00:00.000Z' });
    const update = (
      await app.data(
        `mutation ($input: RequestUpdateInput!) { requestUpdate(input: $input) { __typename ... on TaskUpdate { summary task { status } run { status } lastRunEvent { type } } } }`,
        { input: { workerId, taskId } },
      )
    ).requestUpdate;
    expect(update).toMatchObject({ __typename: 'TaskUpdate', task: { status: 'COMPLETED' }, run: { status: 'COMPLETED' }, lastRunEvent: { type: 'usage' } });
    expect(update.summary).toMatch(/^COMPLETED for \d+ s; run COMPLETED, last event usage$/);

    // Promotion
    const promoted = await mutate('promoteWorker', 'PromoteWorkerInput', { workerId, newRole: 'SeniorSDR', effectiveDate: '2030-02-01T00:00:00.000Z' });
    expect(promoted).toMatchObject({ role: 'SeniorSDR', roleHistory: [{ fromRole: 'SalesDevelopmentRepresentative', toRole: 'SeniorSDR' }] });

    // Open work that the worker does not start (BUSY), then offboarding hands it over.
    const busy = await mutate('setWorkerAvailability', 'SetWorkerAvailabilityInput', { workerId, availability: 'BUSY', location: 'office' });
    expect(busy).toMatchObject({ availability: 'BUSY', location: 'office' });
    const project = (
      await app.data(
        `mutation ($input: AssignProjectInput!) { assignProject(input: $input) { __typename ... on Project { name tasks { id status project dueDate } } } }`,
        {
          input: {
            workerId,
            name: 'Q4 Customer Success Initiative',
            tasks: [
              { action: 'review_at_risk_accounts', dueDate: '2030-10-20T00:00:00.000Z' },
              { action: 'create_success_plans', dueDate: '2030-10-25T00:00:00.000Z' },
            ],
          },
        },
      )
    ).assignProject;
    expect(project.tasks.map((t: { status: string; project: string }) => [t.status, t.project])).toEqual([
      ['ASSIGNED', 'Q4 Customer Success Initiative'],
      ['ASSIGNED', 'Q4 Customer Success Initiative'],
    ]);

    const offboarded = await mutate('offboardWorker', 'OffboardWorkerInput', {
      workerId,
      reason: 'role_change',
      transferWorkTo: mentor.id,
      documentationComplete: true,
    });
    expect(offboarded).toMatchObject({
      lifecycle: 'OFFBOARDED',
      availability: 'OFFLINE',
      offboarding: { reason: 'role_change', documentationComplete: true, transferredTo: { name: 'Morgan Lee' } },
    });
    const handedOver = (
      await app.data(`query ($id: ID!) { node(id: $id) { ... on Worker { tasks(first: 10, status: ASSIGNED) { totalCount edges { node { action project } } } } } }`, {
        id: mentor.id,
      })
    ).node.tasks;
    expect(handedOver.totalCount).toBe(2);
    expect(handedOver.edges.map((e: { node: { action: string } }) => e.node.action)).toEqual(['review_at_risk_accounts', 'create_success_plans']);
    const left = (await app.data(`query ($id: ID!) { node(id: $id) { ... on Worker { stats { tasksPending } } } }`, { id: workerId })).node;
    expect(left.stats.tasksPending).toBe(0);

    // The status stream: current value first, then every change, ending offboarded.
    await statusDone;
    expect(statuses[0]).toMatchObject({ state: 'OFFLINE', lifecycle: 'HIRED', activeTasks: 0 });
    expect(statuses.map((s) => s.lifecycle)).toEqual(expect.arrayContaining(['HIRED', 'ONBOARDING', 'ACTIVE', 'OFFBOARDED']));
    expect(statuses).toContainEqual(expect.objectContaining({ state: 'WORKING', activeTasks: 1, currentTask: { action: 'qualify_lead' } }));
    expect(statuses).toContainEqual(expect.objectContaining({ state: 'BUSY', availability: 'busy', queuedTasks: 2 }));
    expect(statuses.at(-1)).toMatchObject({ state: 'OFFLINE', lifecycle: 'OFFBOARDED', queuedTasks: 0 });

    // The event stream saw exactly what is stored, in order, and the worker's own story.
    const stored = (
      await app.data(`query ($id: ID!) { node(id: $id) { ... on Worker { events(first: 100) { totalCount edges { node { seq type subjectId } } } } } }`, { id: workerId })
    ).node.events;
    await until(() => seen.some((e) => e.seq === stored.edges.at(-1).node.seq));
    const live = seen.filter((e) => e.subjectId === workerId).map(({ seq, type, subjectId }) => ({ seq, type, subjectId }));
    expect(live).toEqual(stored.edges.map((e: { node: unknown }) => e.node));
    expect(seen.map((e) => e.seq)).toEqual([...seen.map((e) => e.seq)].sort((a, b) => a - b));
    const types = live.map((e) => e.type);
    expect(inOrder(types, [
      'Worker.hired',
      'Worker.onboarded',
      'Worker.activated',
      'Worker.availability.changed',
      'Worker.training.recorded',
      'Worker.assigned',
      'Worker.task.started',
      'Worker.task.completed',
      'Worker.goal.achieved',
      'Worker.task.failed',
      'Worker.feedback.received',
      'Worker.message.received',
      'Worker.meeting.scheduled',
      'Worker.update.requested',
      'Worker.promoted',
      'Worker.offboarded',
    ])).toBe(true);
    expect(types.filter((t) => t === 'Worker.goal.achieved')).toHaveLength(1);
    const transfers = seen.filter((e) => e.type === 'Worker.assigned' && e.subjectId === mentor.id && e.payload.origin === 'transfer');
    expect(transfers).toHaveLength(2);

    await client.dispose();
    await eventsDone;
  });
});

/** The UUID inside a global ID. */
function localId(globalId: string): string {
  return Buffer.from(globalId, 'base64').toString().split(':')[1]!;
}

/** Whether `expected` occurs in `types` in this order (other types may come between). */
function inOrder(types: string[], expected: string[]): boolean {
  let i = 0;
  for (const type of types) if (type === expected[i]) i++;
  return i === expected.length;
}

/** Waits for background work (a protocol run) to show in what the subscription received. */
async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
