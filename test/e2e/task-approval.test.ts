/**
 * Human approval (README "Approval"): a task that `requiresApproval` is WAITING with its
 * run's result until an operator decides; `approveTask` completes it, `rejectTask` fails
 * it with the reason, and who decided, when and why is kept on the task and in
 * `Task.approved` / `Task.rejected`. Over HTTP with API keys, against a local
 * OpenAI-compatible server.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { newBootstrapSecret } from '../../src/auth/api-keys.js';
import { events } from '../../src/db/schema.js';
import { eventually } from '../support/fake-clock.js';
import { startFakeOpenAI, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const ADMIN = newBootstrapSecret();

const TASK = `id status result error requiresApproval approval { status requestedAt decidedAt decidedBy comment }`;

describe('human approval', () => {
  let llm: FakeOpenAIServer;
  let app: TestApp;
  let operator: string;
  let workerId: string;

  /** POSTs an operation with API key `key` and returns `data`, failing on errors. */
  const as = async (key: string, query: string, variables?: Record<string, unknown>): Promise<Record<string, any>> => {
    const response = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    return body.data!;
  };
  const mutate = async (key: string, field: string, type: string, input: Record<string, unknown>, selection = '... on Node { id }') => {
    const value = (await as(key, `mutation ($input: ${type}!) { ${field}(input: $input) { __typename ... on Error { message } ${selection} } }`, { input }))[field];
    expect(value.message, `${field} answered ${value.__typename}`).toBeUndefined();
    return value as Record<string, any>;
  };
  const task = async (id: string) => (await as(ADMIN, `query ($id: ID!) { task(id: $id) { ${TASK} } }`, { id })).task;
  /** Assigns a task that requires approval and waits until its result waits for a decision. */
  const awaitingApproval = async (action: string) => {
    const { id } = await mutate(ADMIN, 'assignTask', 'AssignTaskInput', { workerId, action, input: { lead: 'ACME' }, requiresApproval: true });
    const waiting = await eventually(async () => {
      const now = await task(id);
      return now.status === 'WAITING' ? now : undefined;
    }, 30_000, `task ${id} to wait for approval`);
    return { id: id as string, waiting };
  };
  const decisionEvent = async (type: string, id: string) => {
    const rawId = Buffer.from(id, 'base64').toString().split(':')[1]!;
    const [event] = await app.app.services.db
      .select({ payload: events.payload })
      .from(events)
      .where(and(eq(events.type, type), eq(events.subjectId, rawId)));
    return event?.payload;
  };

  beforeAll(async () => {
    llm = await startFakeOpenAI({ reply: () => 'Dear ACME, …' });
    app = await createTestApp({ env: { ADMIN_API_KEY: ADMIN, OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key' } });
    const created = await as(ADMIN, `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { ... on CreatedApiKey { secret apiKey { prefix } } } }`, {
      input: { name: 'Maria Ops', role: 'OPERATOR' },
    });
    operator = created.createApiKey.secret;
    const { id } = await mutate(ADMIN, 'hireWorker', 'HireWorkerInput', { name: 'Sarah Chen', role: 'SDR', model: 'openai/gpt-4o' });
    await mutate(ADMIN, 'onboardWorker', 'OnboardWorkerInput', { workerId: id });
    await mutate(ADMIN, 'activateWorker', 'ActivateWorkerInput', { workerId: id });
    workerId = id as string;
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  it('keeps the result WAITING for approval, and approveTask completes it recording who and why', async () => {
    const { id, waiting } = await awaitingApproval('draft_email');
    expect(waiting).toMatchObject({ requiresApproval: true, result: 'Dear ACME, …', approval: { status: 'PENDING', decidedAt: null, decidedBy: null, comment: null } });
    // It does not complete by itself, nor can it be resumed around the approval.
    const resumed = await as(ADMIN, `mutation ($id: ID!) { startTask(input: { taskId: $id }) { __typename ... on Error { message } } }`, { id });
    expect(resumed.startTask).toMatchObject({ __typename: 'InvalidTransitionError', message: expect.stringContaining('approveTask') });

    const approved = await mutate(operator, 'approveTask', 'ApproveTaskInput', { taskId: id, comment: 'Tone is right' }, `... on Task { ${TASK} }`);
    expect(approved).toMatchObject({
      status: 'COMPLETED',
      result: 'Dear ACME, …',
      approval: { status: 'APPROVED', decidedBy: expect.stringContaining('(Maria Ops)'), comment: 'Tone is right' },
    });
    expect(approved.approval.decidedAt).not.toBeNull();
    expect(await decisionEvent('Task.approved', id)).toMatchObject({ action: 'draft_email', by: expect.stringContaining('(Maria Ops)'), comment: 'Tone is right' });
    // Decided once.
    const again = await as(operator, `mutation ($id: ID!) { rejectTask(input: { taskId: $id, reason: "late" }) { __typename } }`, { id });
    expect(again.rejectTask.__typename).toBe('InvalidTransitionError');
  });

  it('rejectTask fails it with the reason and who rejected it; a reason is required', async () => {
    const { id } = await awaitingApproval('draft_email');
    const noReason = await as(operator, `mutation ($id: ID!) { rejectTask(input: { taskId: $id, reason: " " }) { __typename ... on ValidationError { issues { path message } } } }`, { id });
    expect(noReason.rejectTask).toEqual({ __typename: 'ValidationError', issues: [{ path: ['reason'], message: 'must say why' }] });

    const rejected = await mutate(operator, 'rejectTask', 'RejectTaskInput', { taskId: id, reason: 'Mentions pricing we do not offer' }, `... on Task { ${TASK} }`);
    expect(rejected).toMatchObject({
      status: 'FAILED',
      error: expect.stringMatching(/^rejected by key .*\(Maria Ops\): Mentions pricing we do not offer$/),
      approval: { status: 'REJECTED', decidedBy: expect.stringContaining('(Maria Ops)'), comment: 'Mentions pricing we do not offer' },
    });
    expect(await decisionEvent('Task.rejected', id)).toMatchObject({ by: expect.stringContaining('(Maria Ops)'), comment: 'Mentions pricing we do not offer' });
  });
});
