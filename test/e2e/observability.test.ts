/**
 * Observability as an operator sees it (README "Observability"): `/metrics` scraped over
 * HTTP after real work — a run on a local OpenAI-compatible server, operations, errors,
 * a fleet queue, a subscription, scheduler runs on a fake clock — and who may read it;
 * request ids and the info lines of operations and run ends.
 */
import { Writable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodeGlobalId } from '../../src/graphql/node-access.js';
import { createLogger } from '../../src/logger.js';
import { eventually, FakeClock } from '../support/fake-clock.js';
import { startFakeOpenAI, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { assignWork, createFleet, hireInto } from '../fleets/helpers.js';

/** USD per million tokens of gpt-4o-mini here: a token of input costs 1 USD, one of output 2 USD. */
const PRICE = { input: 1_000_000, output: 2_000_000 };

/** One sample of a scrape: its labels and value. */
type Sample = { name: string; labels: Record<string, string>; value: number };

/** Parses the Prometheus text exposition format (comments skipped; label values without escapes). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key!, value!]));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample `name` whose labels include `labels` exactly (0 when absent, as for a counter not yet incremented). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value));
  expect(found.length, `${name} ${JSON.stringify(labels)} matches at most one sample`).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}

async function scrape(app: TestApp, authorization?: string): Promise<Sample[]> {
  const response = await fetch(app.url.replace('/graphql', '/metrics'), authorization ? { headers: { authorization } } : {});
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await response.text());
}

/** POSTs `query` with extra headers; returns the response's JSON and headers. */
async function post(app: TestApp, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> } };
}

const ASSIGN = /* GraphQL */ `
  mutation Assign($workerId: ID!) {
    assignTask(input: { workerId: $workerId, action: "qualify-lead", input: { lead: "Acme" } }) { __typename ... on Task { id } ... on Error { message } }
  }
`;

const TASK = /* GraphQL */ `
  query Task($id: ID!) { task(id: $id) { status run { id status usage { inputTokens outputTokens totalTokens } cost } } }
`;

/** The token that may read /metrics (README "Observability"). */
const METRICS_TOKEN = 'metrics-token-0123456789';

const WATCH = /* GraphQL */ `
  subscription Watch($id: ID!) { fleetStatus(fleetId: $id) { queueDepth } }
`;

describe('metrics and logs after real work', () => {
  let llm: FakeOpenAIServer;
  let app: TestApp;
  const lines: Array<Record<string, any>> = [];

  beforeAll(async () => {
    llm = await startFakeOpenAI({ reply: () => 'Qualified: Acme is a good lead.' });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        done();
      },
    });
    app = await createTestApp({
      env: { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key', MODEL_PRICES: JSON.stringify({ 'gpt-4o-mini': PRICE }), METRICS_TOKEN },
      logger: createLogger('info', sink),
    });
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  it('counts a run by status and duration, its tokens and cost by model, and the operation that started it', async () => {
    const fleetId = await createFleet(app, { name: 'Observed', workerTemplate: { role: 'SDR' }, scaling: { min: 0, max: 3 } });
    const workerId = await hireInto(app, fleetId, { name: 'Sarah Chen', role: 'SDR', model: 'openai/gpt-4o-mini' });
    const before = await scrape(app);

    const assigned = await post(app, ASSIGN, { workerId });
    expect(assigned.body.data.assignTask.__typename).toBe('Task');
    const task = await eventually(async () => {
      const { task } = await app.data(TASK, { id: assigned.body.data.assignTask.id });
      return task.status === 'COMPLETED' && task.run?.status === 'COMPLETED' ? task : undefined;
    }, 30_000, 'the task to complete');
    const { inputTokens, outputTokens, totalTokens } = task.run.usage;
    expect(inputTokens).toBeGreaterThan(0);
    const cost = inputTokens + 2 * outputTokens;
    expect(task.run.cost).toBeCloseTo(cost, 6);

    const after = await eventually(async () => {
      const samples = await scrape(app);
      return valueOf(samples, 'workforce_runs_total', { status: 'COMPLETED' }) > valueOf(before, 'workforce_runs_total', { status: 'COMPLETED' }) ? samples : undefined;
    }, 30_000, 'the run to be counted');
    const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(delta('workforce_runs_total', { status: 'COMPLETED' })).toBe(1);
    expect(delta('workforce_run_duration_seconds_count', { status: 'COMPLETED' })).toBe(1);
    expect(delta('workforce_run_duration_seconds_sum', { status: 'COMPLETED' })).toBeGreaterThan(0);
    const model = 'openai/gpt-4o-mini';
    expect(delta('workforce_model_tokens_total', { model, kind: 'input' })).toBe(inputTokens);
    expect(delta('workforce_model_tokens_total', { model, kind: 'output' })).toBe(outputTokens);
    expect(delta('workforce_model_cost_usd_total', { model })).toBeCloseTo(cost, 6);
    // The operation that assigned the task, by name and type; the HTTP histogram has no `url` label.
    expect(delta('graphql_envelop_request_duration_count', { operationName: 'Assign', operationType: 'mutation' })).toBe(1);
    expect(delta('graphql_envelop_request', { operationName: 'Assign', operationType: 'mutation' })).toBe(1);
    expect(delta('graphql_yoga_http_duration_count', { operationName: 'Assign', operationType: 'mutation', method: 'POST', statusCode: '200' })).toBe(1);
    expect(after.filter((s) => s.name.startsWith('graphql_yoga_http_duration')).every((s) => !('url' in s.labels))).toBe(true);
    // Process metrics come along.
    expect(valueOf(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);

    // One info line for the run's end.
    const runLine = lines.find((line) => line.msg === 'run completed' && line.runId === decodeGlobalId(task.run.id)!.id);
    expect(runLine).toMatchObject({
      level: 30,
      component: 'runs',
      workerId: decodeGlobalId(workerId)!.id,
      status: 'COMPLETED',
      tokens: { input: inputTokens, output: outputTokens, total: totalTokens },
    });
    expect(runLine!.durationMs).toBeGreaterThanOrEqual(0);
    expect(runLine!.costUsd).toBeCloseTo(cost, 6);
  });

  it('counts errors by code and phase', async () => {
    const before = await scrape(app);
    const invalid = await post(app, 'query Broken { nope }');
    expect(invalid.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const malformed = await post(app, 'query Lookup($id: ID!) { task(id: $id) { id } }', { id: 'not-an-id' });
    expect(malformed.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await post(app, 'query Lookup($id: ID!) { task(id: $id) { id } }', { id: 'still-not-an-id' });
    const after = await scrape(app);
    const delta = (labels: Record<string, string>) => valueOf(after, 'graphql_envelop_error_result', labels) - valueOf(before, 'graphql_envelop_error_result', labels);
    expect(delta({ operationName: 'Broken', operationType: 'query', phase: 'validate', code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(delta({ operationName: 'Lookup', operationType: 'query', phase: 'execute', code: 'BAD_USER_INPUT' })).toBe(2);
  });

  it('reports each fleet\'s queue depth, slots and utilisation as its status does', async () => {
    const fleetId = await createFleet(app, { name: 'Queued', workerTemplate: { role: 'Agent' }, scaling: { min: 1, max: 1 } });
    const assignment = await assignWork(app, fleetId, [{ action: 'a' }, { action: 'b' }, { action: 'c' }]);
    expect(assignment.queued).toBeGreaterThan(0);
    const started = assignment.tasks.find((t: any) => t.status === 'ASSIGNED');
    await app.data(`mutation ($id: ID!) { startTask(input: { taskId: $id }) { __typename } }`, { id: started.id });
    const { fleet } = await app.data(`query ($id: ID!) { fleet(id: $id) { status { queueDepth slots busySlots utilization } } }`, { id: fleetId });
    expect(fleet.status).toMatchObject({ queueDepth: assignment.queued, slots: 1, busySlots: 1, utilization: 1 });

    const samples = await scrape(app);
    const labels = { fleet_id: decodeGlobalId(fleetId)!.id, fleet: 'Queued' };
    expect(valueOf(samples, 'workforce_fleet_queue_depth', labels)).toBe(fleet.status.queueDepth);
    expect(valueOf(samples, 'workforce_fleet_slots', labels)).toBe(1);
    expect(valueOf(samples, 'workforce_fleet_busy_slots', labels)).toBe(1);
    expect(valueOf(samples, 'workforce_fleet_utilization', labels)).toBe(1);
    expect(valueOf(samples, 'workforce_fleet_read_failed')).toBe(0);
  });

  it('counts open subscriptions by root field and transport, and logs a graphql-ws operation when it ends', async () => {
    const fleetId = await createFleet(app, { name: 'Watched', workerTemplate: { role: 'Agent' }, scaling: { min: 0, max: 1 } });
    const open = () => scrape(app).then((samples) => valueOf(samples, 'workforce_graphql_subscriptions_open', { field: 'fleetStatus', transport: 'ws' }));
    const base = await open();
    const iterator = app.wsClient().iterate({ query: WATCH, variables: { id: fleetId } });
    const first = await iterator.next();
    expect(first.value?.data?.fleetStatus).toEqual({ queueDepth: 0 });
    expect(await open()).toBe(base + 1);
    await iterator.return?.();
    await eventually(async () => ((await open()) === base ? true : undefined), 30_000, 'the subscription to close');
    const line = await eventually(async () => lines.find((l) => l.operation === 'Watch' && l.transport === 'ws'), 30_000, 'the ws line');
    expect(line).toMatchObject({ level: 30, component: 'graphql', operationType: 'subscription', status: 'ok' });
    expect(line.requestId).toMatch(/^[0-9a-f-]{36}\/.+$/);
  });

  it('gives every request an id, honouring a sane incoming one, and logs one info line per operation; client errors stay below error level', async () => {
    const ok = await post(app, 'query Workers { workers { totalCount } }', {}, { 'x-request-id': 'trace-me.1' });
    expect(ok.headers.get('x-request-id')).toBe('trace-me.1');
    const replaced = await post(app, 'query Workers { workers { totalCount } }', {}, { 'x-request-id': 'spaces are not allowed' });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const from = lines.length;
    const failed = await post(app, 'query Broken { nope }', {}, { 'x-request-id': 'broken-1' });
    expect(failed.headers.get('x-request-id')).toBe('broken-1');
    await post(app, 'query Lookup($id: ID!) { task(id: $id) { id } }', { id: 'not-an-id' }, { 'x-request-id': 'lookup-1' });

    expect(lines.find((line) => line.requestId === 'trace-me.1')).toMatchObject({
      level: 30,
      component: 'graphql',
      operation: 'Workers',
      operationType: 'query',
      transport: 'http',
      status: 'ok',
      httpStatus: 200,
      durationMs: expect.any(Number),
    });
    expect(lines.filter((line) => line.requestId === 'trace-me.1')).toHaveLength(1);
    expect(lines.find((line) => line.requestId === 'broken-1')).toMatchObject({ level: 30, operation: 'Broken', status: 'error', errorCodes: ['GRAPHQL_VALIDATION_FAILED'] });
    expect(lines.find((line) => line.requestId === 'lookup-1')).toMatchObject({ level: 30, operation: 'Lookup', status: 'error', errorCodes: ['BAD_USER_INPUT'] });
    expect(lines.slice(from).filter((line) => line.level >= 50)).toEqual([]);
  });

  // Last: once a key exists, every request needs one.
  it('lets anyone on loopback read /metrics while no key exists; then a bearer of METRICS_TOKEN or of an admin key, and 401 to anyone else', async () => {
    expect((await scrape(app)).length).toBeGreaterThan(0);
    const created = await post(app, 'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { ... on CreatedApiKey { secret } } }', {
      input: { name: 'ops', role: 'ADMIN' },
    });
    const admin = created.body.data.createApiKey.secret as string;
    const viewer = (
      await post(app, 'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { ... on CreatedApiKey { secret } } }', { input: { name: 'eyes', role: 'VIEWER' } }, { authorization: `Bearer ${admin}` })
    ).body.data.createApiKey.secret as string;
    const url = app.url.replace('/graphql', '/metrics');
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Bearer ${METRICS_TOKEN}x`, `Bearer ${viewer}`]) {
      const refused = await fetch(url, authorization ? { headers: { authorization } } : {});
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect((await scrape(app, `Bearer ${METRICS_TOKEN}`)).length).toBeGreaterThan(0);
    expect((await scrape(app, `Bearer ${admin}`)).length).toBeGreaterThan(0);
  });
});

describe('scheduler lag', () => {
  const clock = new FakeClock('2026-03-01T09:00:00Z');
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ clock });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('measures how late each job ran after it fell due, on the scheduler\'s clock', async () => {
    await app.app.scheduler.tick(); // every job's first run (lag 0), unless the timer did it already
    clock.advance(90_000); // recurring-tasks polls every 60 s: it is 30 s late
    await app.app.scheduler.tick();
    const samples = await scrape(app);
    expect(valueOf(samples, 'workforce_scheduler_job_lag_seconds_count', { job: 'recurring-tasks' })).toBe(2);
    expect(valueOf(samples, 'workforce_scheduler_job_lag_seconds_sum', { job: 'recurring-tasks' })).toBe(30);
    expect(valueOf(samples, 'workforce_scheduler_job_lag_seconds_bucket', { job: 'recurring-tasks', le: '30' })).toBe(2);
    expect(valueOf(samples, 'workforce_scheduler_job_lag_seconds_bucket', { job: 'recurring-tasks', le: '10' })).toBe(1);
    expect(valueOf(samples, 'workforce_scheduler_job_failures_total', { job: 'recurring-tasks' })).toBe(0);
  });
});
