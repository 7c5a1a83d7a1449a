/**
 * Identity drives the work (README "Workers", docs/protocol.md section 4): a run of a
 * worker's task receives the worker and the task as `WORKER` and `TASK`; a worker with a
 * model and no protocol runs the built-in `default-worker` protocol; the worker's model
 * fills a start-thread that names none; task input keys meet declared inputs by name or
 * its camelCase form. Checked over HTTP against a local OpenAI-compatible server, by what
 * the model was sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/fake-clock.js';
import { lastUserText, startFakeOpenAI, systemText, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { activeWorker as activeWorkerOn, mutate as mutateOn } from '../support/mutations.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

describe('identity drives the work', () => {
  let llm: FakeOpenAIServer;
  let app: TestApp;

  beforeAll(async () => {
    // The answer names who was asked (the system prompt's first line) and what.
    llm = await startFakeOpenAI({ reply: (request) => `${systemText(request).split('\n')[0]} | ${lastUserText(request).split('\n')[0]}` });
    app = await createTestApp({ env: { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key' } });
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  const mutate = (field: string, type: string, input: Record<string, unknown>, selection?: string) => mutateOn(app, field, type, input, selection);
  const activeWorker = (input: Record<string, unknown>) => activeWorkerOn(app, input);

  /** Assigns a task to `workerId` and waits until it has ended. */
  const finishedTask = async (workerId: string, task: Record<string, unknown>) => {
    const { id } = await mutate('assignTask', 'AssignTaskInput', { workerId, ...task });
    return eventually(async () => {
      const { task: now } = await app.data(
        `query ($id: ID!) { task(id: $id) { status result error run { protocol { slug } input } } }`,
        { id },
      );
      return ['COMPLETED', 'FAILED'].includes(now.status) ? now : undefined;
    }, 30_000, `task ${id} to end`);
  };

  it('two workers with different personas, no protocol, answer the same task from their own system prompts and models', async () => {
    const managerId = await activeWorker({ name: 'Dana Park', role: 'SalesManager' });
    const sarah = await activeWorker({
      name: 'Sarah Chen',
      role: 'SalesDevelopmentRepresentative',
      persona: { background: 'Former tech recruiter, 5 years in B2B SaaS', communicationStyle: 'consultative, data-driven' },
      skills: [{ name: 'lead_qualification', level: 'EXPERT' }],
      responsibilities: ['Qualify inbound leads'],
      goals: { daily: ['Qualify 4 leads'] },
      managerId,
      model: 'openai/gpt-4o',
    });
    const alex = await activeWorker({
      name: 'Alex Rodriguez',
      role: 'CustomerSuccessManager',
      persona: { background: 'Ten years of customer support', communicationStyle: 'empathetic' },
      skills: [{ name: 'onboarding', level: 'ADVANCED' }],
      model: 'openai/gpt-4o-mini',
    });
    await mutate('messageWorker', 'MessageWorkerInput', { workerId: sarah, from: 'Dana Park', subject: 'Focus', body: 'Prioritise enterprise leads this week' }, '');
    await mutate('provideFeedback', 'ProvideFeedbackInput', { workerId: sarah, rating: 4, strengths: ['Thorough research'] }, '');

    const task = { action: 'qualify_lead', priority: 'HIGH', input: { lead: { company: 'Acme Corp', employees: 250 } } };
    const [bySarah, byAlex] = await Promise.all([finishedTask(sarah, task), finishedTask(alex, task)]);

    expect(bySarah).toMatchObject({ status: 'COMPLETED', result: 'You are Sarah Chen, working as SalesDevelopmentRepresentative. | Task: qualify_lead' });
    expect(byAlex).toMatchObject({ status: 'COMPLETED', result: 'You are Alex Rodriguez, working as CustomerSuccessManager. | Task: qualify_lead' });
    expect(bySarah.run.protocol.slug).toBe('default-worker');
    expect(bySarah.run.input).toMatchObject({ WORKER: { name: 'Sarah Chen', manager: { name: 'Dana Park', role: 'SalesManager' } }, TASK: { action: 'qualify_lead', input: task.input } });

    const sent = (name: string) => llm.requests.find((request) => systemText(request.body).includes(name))!.body;
    const toSarah = sent('Sarah Chen');
    const toAlex = sent('Alex Rodriguez');
    expect(systemText(toSarah)).not.toBe(systemText(toAlex));
    expect(systemText(toSarah)).toContain('Background: Former tech recruiter, 5 years in B2B SaaS');
    expect(systemText(toSarah)).toContain('Communication style: consultative, data-driven');
    expect(systemText(toSarah)).toContain('You report to Dana Park (SalesManager).');
    expect(systemText(toSarah)).toContain('"level": "EXPERT"');
    expect(systemText(toSarah)).toContain('Qualify inbound leads');
    expect(systemText(toSarah)).toContain('Prioritise enterprise leads this week');
    expect(systemText(toSarah)).toContain('Thorough research');
    expect(systemText(toAlex)).toContain('Communication style: empathetic');
    expect(systemText(toAlex)).not.toContain('You report to');
    // The task is the request, its input taken whole; each worker's model answers.
    expect(lastUserText(toSarah)).toContain('Priority: HIGH');
    expect(lastUserText(toSarah)).toContain('"company": "Acme Corp"');
    expect(lastUserText(toSarah)).toBe(lastUserText(toAlex));
    expect([toSarah.model, toAlex.model]).toEqual(['gpt-4o', 'gpt-4o-mini']);
  });

  it("a protocol reads WORKER and TASK in its prompts, takes the worker's model, and meets { lead } as LEAD", async () => {
    const created = await app.data(
      `mutation ($input: CreateProtocolInput!) { createProtocol(input: $input) { __typename ... on Error { message } } }`,
      {
        input: {
          slug: 'lead-desk',
          source: `input:
  LEAD: { type: string }
variables:
  VERDICT: { type: string }
steps:
  Start: { block: start-thread, thread: main, system: system }
  Ask: { block: add-message, thread: main, role: user, prompt: ask, input: [LEAD] }
  Answer: { block: next-message, thread: main, output: VERDICT }
output: VERDICT
`,
          prompts: [
            { name: 'system', content: 'Desk of {{WORKER.name}} ({{WORKER.persona.background}})' },
            { name: 'ask', content: '{{TASK.action}} for {{LEAD}} by {{TASK.priority}}' },
          ],
        },
      },
    );
    expect(created.createProtocol.__typename).toBe('Protocol');
    const worker = await activeWorker({
      name: 'Riley Stone',
      role: 'SDR',
      persona: { background: 'ex-founder' },
      model: 'openai/gpt-4.1-nano',
      protocol: 'lead-desk',
    });

    const done = await finishedTask(worker, { action: 'qualify_lead', input: { lead: 'Globex' } });
    expect(done).toMatchObject({ status: 'COMPLETED', result: 'Desk of Riley Stone (ex-founder) | qualify_lead for Globex by NORMAL', run: { protocol: { slug: 'lead-desk' } } });
    const request = llm.requests.find((recorded) => systemText(recorded.body).startsWith('Desk of Riley Stone'))!.body;
    expect(request.model).toBe('gpt-4.1-nano');

    const refused = await finishedTask(worker, { action: 'qualify_lead', input: { lead: 'Initech', company: 'Initech' } });
    expect(refused.status).toBe('FAILED');
    expect(refused.error).toContain('Unknown input "company"; declared: LEAD');
  });
});
