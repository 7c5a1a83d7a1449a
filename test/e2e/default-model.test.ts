/**
 * A freshly hired worker works (README "Configuration", `DEFAULT_MODEL`): on a server with
 * a default model, a worker (or fleet template) given neither a model nor a protocol gets
 * it and runs the default worker protocol on it, so `work` answers with its result; an
 * explicit `model: null` keeps a worker driven from outside. Where no model can be used —
 * none given and none by default, or one the registry cannot resolve — `work` refuses and
 * `Worker.status` says why. Checked over HTTP against a local OpenAI-compatible server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFakeOpenAI, systemText, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { ALEX_PERSONA } from '../support/product-values.js';
import { activeWorker, mutate } from '../support/mutations.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const STATUS = `query ($id: ID!) { node(id: $id) { ... on Worker { model status { availability reason } } } }`;

describe('the default model of new workers', () => {
  let llm: FakeOpenAIServer;
  let app: TestApp;

  beforeAll(async () => {
    llm = await startFakeOpenAI({ reply: (request) => `${request.model} as ${systemText(request).split('\n')[0]}` });
    // The short id, as the product documents write models, is stored as vendor/model.
    app = await createTestApp({ env: { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key', DEFAULT_MODEL: 'gpt-4o-mini' } });
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  const work = async (target: Record<string, unknown>) =>
    mutate(app, 'work', 'WorkInput', { ...target, action: 'onboard_customer', input: { customer: { name: 'Acme Corp' } }, wait: 60 }, '... on Task { status result error }');

  it('gives a worker hired with neither a model nor a protocol the default model: work answers its result', async () => {
    const alex = await activeWorker(app, { name: 'Alex Rodriguez', role: '$.CustomerSuccessManager', persona: ALEX_PERSONA });
    expect(await app.data(STATUS, { id: alex })).toEqual({ node: { model: 'openai/gpt-4o-mini', status: { availability: 'free now', reason: null } } });
    const before = llm.requests.length;
    expect(await work({ workerId: alex })).toEqual({
      __typename: 'Task',
      status: 'COMPLETED',
      result: 'gpt-4o-mini as You are Alex Rodriguez, working as CustomerSuccessManager.',
      error: null,
    });
    expect(llm.requests.slice(before).map((request) => request.body.model)).toEqual(['gpt-4o-mini']);
  });

  it('gives it to a fleet template naming neither, so the fleet’s workers work too', async () => {
    const fleet = await mutate(
      app,
      'createFleet',
      'CreateFleetInput',
      { name: 'Onboarding', workerTemplate: { role: '$.CustomerSuccessManager' }, scaling: { min: 1, max: 1 } },
      '... on Fleet { id workerTemplate { model } workers(first: 1) { edges { node { model } } } }',
    );
    expect(fleet).toMatchObject({ workerTemplate: { model: 'openai/gpt-4o-mini' }, workers: { edges: [{ node: { model: 'openai/gpt-4o-mini' } }] } });
    expect(await work({ fleetId: fleet.id })).toMatchObject({ status: 'COMPLETED', result: 'gpt-4o-mini as You are Onboarding #1, working as CustomerSuccessManager.' });
  });

  it('keeps a worker hired with model: null driven from outside: work refuses it and its status says why', async () => {
    const manual = await activeWorker(app, { name: 'Manual Desk', role: 'Clerk', model: null });
    expect(await app.data(STATUS, { id: manual })).toEqual({
      node: {
        model: null,
        status: {
          availability: 'free now',
          reason: 'it cannot run work by itself: it has no protocol and no model: give it one with updateWorker, or start and complete its tasks with startTask and completeTask',
        },
      },
    });
    const refused = await app.data(`mutation ($input: WorkInput!) { work(input: $input) { __typename ... on ValidationError { issues { path message } } } }`, {
      input: { workerId: manual, action: 'file' },
    });
    expect(refused.work).toEqual({ __typename: 'ValidationError', issues: [{ path: ['workerId'], message: expect.stringMatching(/^Manual Desk has neither a protocol nor a model/) }] });
  });
});

describe('workers without a model to use', () => {
  let app: TestApp;

  beforeAll(async () => {
    // An OpenAI key and no base URL: other vendors' ids resolve only through MODEL_ALIASES. No DEFAULT_MODEL.
    app = await createTestApp({ env: { OPENAI_API_KEY: 'test-key' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a fresh worker, with no default model on the server, says it cannot run work and why', async () => {
    const alex = await activeWorker(app, { name: 'Alex Rodriguez', role: '$.CustomerSuccessManager', persona: ALEX_PERSONA });
    expect(await app.data(STATUS, { id: alex })).toEqual({
      node: {
        model: null,
        status: {
          availability: 'free now',
          reason:
            'it cannot run work by itself: it has no protocol and no model, and this server gives new workers none (DEFAULT_MODEL is not set): give it one with updateWorker, or start and complete its tasks with startTask and completeTask',
        },
      },
    });
    // A task it holds is named as stuck.
    await mutate(app, 'assignTask', 'AssignTaskInput', { workerId: alex, action: 'onboard_customer' });
    expect((await app.data(STATUS, { id: alex })).node.status.reason).toMatch(/^holds 1 task it cannot run: it has no protocol and no model, and this server gives new workers none/);
  });

  it('a worker whose model no provider serves says every run would fail, naming what to configure', async () => {
    const sarah = await activeWorker(app, { name: 'Sarah Chen', role: '$.SalesDevelopmentRepresentative', model: 'claude-sonnet-4.5' });
    const { node } = await app.data(STATUS, { id: sarah });
    expect(node.model).toBe('anthropic/claude-sonnet-4-5');
    expect(node.status.reason).toBe(
      'it cannot run work by itself: its model anthropic/claude-sonnet-4-5 cannot be resolved (no provider serves vendor "anthropic"; map the id in MODEL_ALIASES (e.g. {"anthropic/claude-sonnet-4-5":"openai/gpt-4o"}) or set OPENAI_BASE_URL to a gateway that serves it), so every run of its tasks fails: give it another with updateWorker',
    );
    // Given a model the server can reach, nothing is in the way any more.
    await mutate(app, 'updateWorker', 'UpdateWorkerInput', { workerId: sarah, model: 'gpt-4o' });
    expect((await app.data(STATUS, { id: sarah })).node.status.reason).toBeNull();
  });
});
