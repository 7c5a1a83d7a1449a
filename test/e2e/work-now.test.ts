/**
 * `work` — do this now and tell me the result — and `taskUpdated` (README "Work now"):
 * the answer carries the finished task with its result, or the running task when the
 * wait ends first; `taskUpdated` follows a task over graphql-ws and server-sent events
 * until its final status; a task's `responseSchema` makes the default worker protocol
 * answer with a matching object; refusals name the field. Checked over HTTP against a
 * local OpenAI-compatible server whose answers to `HOLD` requests wait for the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/fake-clock.js';
import { lastUserText, startFakeOpenAI, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const TASK_FIELDS = 'id status result error responseSchema input';

describe('work now', () => {
  let llm: FakeOpenAIServer;
  let app: TestApp;
  /** Answers of HOLD requests, in arrival order: each waits until the test calls it. */
  const held: Array<() => void> = [];
  /** FLAKY requests already failed once. */
  const flaked = new Set<string>();

  beforeAll(async () => {
    llm = await startFakeOpenAI({
      reply: (request) => {
        const text = lastUserText(request);
        if (request.response_format) return JSON.stringify({ score: 87, qualified: true, reason: 'budget and timeline fit' });
        // A FLAKY task's first request fails (`not_found_error`), the next succeeds.
        if (text.includes('FLAKY') && !flaked.has(text)) {
          flaked.add(text);
          return { status: 404, body: { error: { message: 'The model does not exist', type: 'invalid_request_error' } } };
        }
        if (text.includes('HOLD')) return new Promise((resolve) => held.push(() => resolve(`released: ${text.split('\n')[0]}`)));
        return `Qualified: ${text}`;
      },
    });
    app = await createTestApp({ env: { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key' } });
  });
  afterAll(async () => {
    for (const release of held) release();
    await app?.close();
    await llm?.close();
  });

  /** Runs mutation `field` with `input`; returns its result (an error result included). */
  const call = async (field: string, type: string, input: Record<string, unknown>, selection = '... on Node { id }') => {
    const result = await app.data(
      `mutation ($input: ${type}!) { ${field}(input: $input) { __typename ... on Error { message } ... on ValidationError { issues { path message } } ${selection} } }`,
      { input },
    );
    return result[field] as Record<string, any>;
  };

  /** Runs mutation `field`, failing on an error result. */
  const mutate = async (field: string, type: string, input: Record<string, unknown>, selection?: string) => {
    const value = await call(field, type, input, selection);
    expect(value.message, `${field} answered ${value.__typename}`).toBeUndefined();
    return value;
  };

  /** Hires, onboards and activates a worker. */
  const activeWorker = async (input: Record<string, unknown>): Promise<string> => {
    const { id } = await mutate('hireWorker', 'HireWorkerInput', input);
    await mutate('onboardWorker', 'OnboardWorkerInput', { workerId: id });
    await mutate('activateWorker', 'ActivateWorkerInput', { workerId: id });
    return id as string;
  };

  const work = (input: Record<string, unknown>) => call('work', 'WorkInput', input, `... on Task { ${TASK_FIELDS} }`);

  /** Follows `taskUpdated` over server-sent events; `statuses` grows as results arrive, `ended` settles when the stream ends. */
  const followOverSse = (taskId: string) => {
    const results: Array<{ data?: { taskUpdated: Record<string, any> }; errors?: unknown }> = [];
    const ended = (async () => {
      const response = await fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: `subscription ($id: ID!) { taskUpdated(taskId: $id) { ${TASK_FIELDS} } }`, variables: { id: taskId } }),
      });
      let text = '';
      for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
        text += chunk;
        const lines = text.split('\n');
        text = lines.pop()!;
        for (const line of lines) if (line.startsWith('data: ') && line.length > 6) results.push(JSON.parse(line.slice(6)));
      }
    })();
    return { results, ended };
  };

  it('answers with the completed task and its result, the input passed whole to the default worker protocol', async () => {
    const workerId = await activeWorker({ name: 'Sarah Chen', role: 'SalesDevelopmentRepresentative', model: 'openai/gpt-4o' });
    const task = await work({ workerId, action: 'qualify_lead', input: { lead: { name: 'Ada Lovelace', company: 'Analytical Engines' } }, wait: 30 });
    expect(task.__typename).toBe('Task');
    expect(task.status).toBe('COMPLETED');
    expect(task.result).toMatch(/^Qualified: Task: qualify_lead/);
    expect(task.result).toContain('Ada Lovelace');
    expect(task.input).toEqual({ lead: { name: 'Ada Lovelace', company: 'Analytical Engines' } });
  });

  it('works through a fleet: the task joins its queue, is handed out to a member and answers with its result', async () => {
    const { id: fleetId } = await mutate('createFleet', 'CreateFleetInput', {
      name: 'Qualifiers',
      workerTemplate: { role: 'SalesDevelopmentRepresentative', model: 'openai/gpt-4o' },
      scaling: { min: 1, max: 1 },
    });
    const task = await call('work', 'WorkInput', { fleetId, action: 'qualify_lead', input: { lead: 'Hedy Lamarr' }, wait: 30 }, `... on Task { status result assignee { role } fleet { id } }`);
    expect(task).toMatchObject({ __typename: 'Task', status: 'COMPLETED', assignee: { role: 'SalesDevelopmentRepresentative' }, fleet: { id: fleetId } });
    expect(task.result).toContain('Hedy Lamarr');
  });

  it('answers with the running task when the wait ends first; taskUpdated over graphql-ws and SSE then sees ASSIGNED, RUNNING, COMPLETED and completes', async () => {
    const workerId = await activeWorker({ name: 'Alex Rodriguez', role: 'CustomerSuccessManager', model: 'openai/gpt-4o', concurrency: 1 });
    // The first task holds the worker's one slot: its model answers only when released.
    const first = await work({ workerId, action: 'onboard HOLD', wait: 1 });
    expect(first).toMatchObject({ __typename: 'Task', status: 'RUNNING', result: null });
    // The second waits for the slot.
    const second = await work({ workerId, action: 'follow up HOLD', wait: 0 });
    expect(second.status).toBe('ASSIGNED');

    const overWs = app.collect<{ taskUpdated: Record<string, any> }>(
      `subscription ($id: ID!) { taskUpdated(taskId: $id) { ${TASK_FIELDS} } }`,
      { id: second.id },
    );
    const wsSeen: string[] = [];
    const client = app.wsClient();
    const wsDone = (async () => {
      for await (const result of client.iterate({ query: `subscription ($id: ID!) { taskUpdated(taskId: $id) { status } }`, variables: { id: second.id } })) {
        wsSeen.push((result.data as any).taskUpdated.status);
      }
    })();
    const sse = followOverSse(second.id);
    const sseStatuses = () => sse.results.map((result) => result.data?.taskUpdated.status);

    await eventually(async () => (wsSeen.length >= 1 && sse.results.length >= 1 ? true : undefined), 30_000, 'both streams to start');
    expect(wsSeen).toEqual(['ASSIGNED']);
    expect(sseStatuses()).toEqual(['ASSIGNED']);

    // The first task ends; the second starts and its model call is held in turn.
    held[held.length - 1]!();
    await eventually(async () => (wsSeen.includes('RUNNING') && sseStatuses().includes('RUNNING') ? true : undefined), 30_000, 'RUNNING on both streams');
    await eventually(async () => (held.length >= 2 ? true : undefined), 30_000, 'the second model call');
    held[held.length - 1]!();

    const wsResults = await overWs;
    await wsDone;
    await sse.ended;
    expect(wsResults.map((result) => result.taskUpdated.status)).toEqual(['ASSIGNED', 'RUNNING', 'COMPLETED']);
    expect(wsResults.at(-1)!.taskUpdated.result).toMatch(/^released: Task: follow up HOLD/);
    expect(wsSeen).toEqual(['ASSIGNED', 'RUNNING', 'COMPLETED']);
    expect(sseStatuses()).toEqual(['ASSIGNED', 'RUNNING', 'COMPLETED']);
    expect(sse.results.at(-1)!.data!.taskUpdated.result).toMatch(/^released: Task: follow up HOLD/);

    const { task } = await app.data(`query ($id: ID!) { task(id: $id) { status result } }`, { id: first.id });
    expect(task).toEqual({ status: 'COMPLETED', result: expect.stringMatching(/^released: Task: onboard HOLD/) });
  });

  it('stops waiting when the HTTP client goes away; the task goes on', async () => {
    const workerId = await activeWorker({ name: 'Grace Kim', role: 'Analyst', model: 'openai/gpt-4o' });
    // The waits' wake-ups: listeners of domain events opened from now on, and whether each was closed.
    const { bus } = app.app.services;
    const listen = bus.listen;
    const listeners: Array<{ closed: boolean }> = [];
    bus.listen = ((topic: string, ...rest: unknown[]) => {
      const stop = (listen as (topic: string, ...rest: unknown[]) => () => void)(topic, ...rest);
      if (topic !== 'domain:event') return stop;
      const entry = { closed: false };
      listeners.push(entry);
      return () => {
        entry.closed = true;
        stop();
      };
    }) as typeof bus.listen;
    try {
      const heldBefore = held.length;
      const client = new AbortController();
      const answer = fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `mutation ($input: WorkInput!) { work(input: $input) { __typename } }`, variables: { input: { workerId, action: 'audit HOLD', wait: 60 } } }),
        signal: client.signal,
      }).catch(() => 'aborted');
      await eventually(async () => (held.length > heldBefore && listeners.length === 1 ? true : undefined), 30_000, 'the task to run and the answer to wait');
      expect(listeners[0]!.closed).toBe(false);
      client.abort();
      expect(await answer).toBe('aborted');
      await eventually(async () => (listeners[0]!.closed ? true : undefined), 30_000, 'the wait to end');
    } finally {
      bus.listen = listen;
    }
    const { tasks } = await app.data(`{ tasks(first: 100) { edges { node { action status } } } }`);
    expect(tasks.edges.find((edge: any) => edge.node.action === 'audit HOLD').node.status).toBe('RUNNING');
    held[held.length - 1]!();
  });

  it('answers a task with a responseSchema with an object matching it, sent to the model as the structured output schema', async () => {
    const workerId = await activeWorker({ name: 'Priya Nair', role: 'SalesDevelopmentRepresentative', model: 'openai/gpt-4o' });
    const responseSchema = {
      type: 'object',
      properties: { score: { type: 'integer' }, qualified: { type: 'boolean' }, reason: { type: 'string' } },
      required: ['score', 'qualified', 'reason'],
      additionalProperties: false,
    };
    const before = llm.requests.length;
    const task = await work({ workerId, action: 'score_lead', input: { lead: 'Grace Hopper' }, responseSchema, wait: 30 });
    expect(task).toMatchObject({ status: 'COMPLETED', responseSchema, result: { score: 87, qualified: true, reason: 'budget and timeline fit' } });
    const sent = llm.requests.slice(before).map((request) => request.body.response_format);
    expect(sent).toEqual([expect.objectContaining({ type: 'json_schema', json_schema: expect.objectContaining({ schema: expect.objectContaining({ properties: responseSchema.properties }) }) })]);

    // The same through assignTask.
    const { id } = await mutate('assignTask', 'AssignTaskInput', { workerId, action: 'score_lead', input: { lead: 'Katherine Johnson' }, responseSchema });
    const ended = await eventually(async () => {
      const { task: now } = await app.data(`query ($id: ID!) { task(id: $id) { status result run { input } } }`, { id });
      return now.status === 'COMPLETED' ? now : undefined;
    }, 30_000, 'the assigned task to end');
    expect(ended.result).toEqual({ score: 87, qualified: true, reason: 'budget and timeline fit' });
    expect(ended.run.input.TASK.responseSchema).toEqual(responseSchema);
  });

  it('takes the task as assignTask does: prerequisites hold it BLOCKED until they complete, a retry policy runs a failed run again', async () => {
    const workerId = await activeWorker({ name: 'Ada Park', role: 'SalesDevelopmentRepresentative', model: 'openai/gpt-4o' });
    // The prerequisite: a task of a worker driven by hand, ended when the test says so.
    const manual = await activeWorker({ name: 'Research Desk', role: 'Researcher' });
    const { id: research } = await mutate('assignTask', 'AssignTaskInput', { workerId: manual, action: 'research_account' });

    const answer = work({ workerId, action: 'qualify_lead', input: { lead: 'Initech' }, dependsOn: [research], onPrerequisiteFailure: 'HOLD', wait: 60 });
    const blocked = await eventually(async () => {
      const { tasks } = await app.data(`{ tasks(first: 100, status: BLOCKED) { edges { node { id action onPrerequisiteFailure blockedBy { id } } } } }`);
      return tasks.edges.map((edge: any) => edge.node).find((task: any) => task.action === 'qualify_lead');
    }, 30_000, 'the work to wait for its prerequisite');
    expect(blocked).toMatchObject({ onPrerequisiteFailure: 'HOLD', blockedBy: [{ id: research }] });
    await mutate('startTask', 'StartTaskInput', { taskId: research });
    await mutate('completeTask', 'CompleteTaskInput', { taskId: research, result: 'Initech: 200 seats' });
    const done = await answer;
    expect(done).toMatchObject({ __typename: 'Task', id: blocked.id, status: 'COMPLETED' });
    expect(done.result).toContain('Initech');

    // A run that fails with a type the policy names is tried again; the answer waits through RETRYING.
    const retried = await call('work', 'WorkInput', {
      workerId,
      action: 'qualify_lead FLAKY',
      retry: { maxAttempts: 2, backoff: { initialSeconds: 0.001, jitter: 'NONE' }, retryOn: ['not_found_error'] },
      wait: 60,
    }, '... on Task { status attempts result retry { maxAttempts retryOn } }');
    expect(retried).toMatchObject({ __typename: 'Task', status: 'COMPLETED', attempts: 2, retry: { maxAttempts: 2, retryOn: ['not_found_error'] } });
    expect(retried.result).toContain('FLAKY');

    // Prerequisites are checked as assignTask checks them.
    const missing = Buffer.from('Task:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b').toString('base64');
    expect(await work({ workerId, action: 'qualify_lead', dependsOn: [research, missing] })).toEqual({
      __typename: 'ValidationError',
      message: expect.any(String),
      issues: [{ path: ['dependsOn', '1'], message: 'no task with this ID' }],
    });
  });

  it('refuses, naming the field: a worker that does not run its work, a wait out of bounds, a schema that is not of an object, two targets', async () => {
    const idle = await activeWorker({ name: 'Manual Worker', role: 'Clerk' });
    const modelled = await activeWorker({ name: 'Model Worker', role: 'Clerk', model: 'openai/gpt-4o' });
    const refusal = async (input: Record<string, unknown>) => {
      const answer = await work(input);
      expect(answer.__typename).toBe('ValidationError');
      return answer.issues as Array<{ path: string[]; message: string }>;
    };
    expect(await refusal({ workerId: idle, action: 'file' })).toEqual([
      { path: ['workerId'], message: expect.stringMatching(/Manual Worker has neither a protocol nor a model/) },
    ]);
    expect(await refusal({ workerId: modelled, action: 'file', wait: 61 })).toEqual([{ path: ['wait'], message: 'must be from 0 (do not wait) to 60 seconds' }]);
    expect(await refusal({ workerId: modelled, action: 'file', responseSchema: { type: 'string' } })).toEqual([
      { path: ['responseSchema'], message: 'must be a JSON Schema of an object ("type": "object")' },
    ]);
    const { id: fleetId } = await mutate('createFleet', 'CreateFleetInput', { name: 'Clerks', workerTemplate: { role: 'Clerk' } });
    expect(await refusal({ workerId: modelled, fleetId, action: 'file' })).toEqual([{ path: ['workerId'], message: 'give either workerId or fleetId, not both' }]);
    expect(await refusal({ fleetId, action: 'file' })).toEqual([{ path: ['fleetId'], message: expect.stringMatching(/no worker of fleet Clerks runs its work/) }]);
    // Nothing was made.
    const { tasks } = await app.data(`{ tasks(first: 100) { edges { node { action } } } }`);
    expect(tasks.edges.filter((edge: any) => edge.node.action === 'file')).toEqual([]);
    // Following a task that does not exist.
    const unknown = Buffer.from('Task:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b').toString('base64');
    const failure = await app.collect(`subscription ($id: ID!) { taskUpdated(taskId: $id) { status } }`, { id: unknown }).catch((error: unknown) => error);
    expect(String(failure)).toMatch(/Task.*not found.*NOT_FOUND/i);
  });
});
