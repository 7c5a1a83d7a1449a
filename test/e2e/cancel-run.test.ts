/** cancelRun: a run waiting on its model is cancelled, its stream ends, its status says so. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/fake-clock.js';
import { startFakeOpenAI, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const SOURCE = `variables:
  OUT:
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
  Answer:
    block: next-message
    thread: main
    output: OUT
output: OUT
`;

const CANCEL = /* GraphQL */ `
  mutation Cancel($runId: ID!) {
    cancelRun(input: { runId: $runId }) {
      __typename
      ... on Run { id }
      ... on InvalidTransitionError { from to message }
    }
  }
`;

describe('cancelRun', () => {
  let llm: FakeOpenAIServer;
  let app: TestApp;
  let release: () => void = () => {};

  beforeAll(async () => {
    llm = await startFakeOpenAI({
      reply: async () => {
        await new Promise<void>((resolve) => (release = resolve));
        return 'too late';
      },
    });
    app = await createTestApp({ env: { OPENAI_BASE_URL: llm.url } });
    await app.data(
      `mutation ($source: String!) { createProtocol(input: { slug: "slow", source: $source, prompts: [{ name: "system", content: "s" }, { name: "ask", content: "a" }] }) { __typename } }`,
      { source: SOURCE },
    );
  });

  afterAll(async () => {
    release();
    await app?.close();
    await llm?.close();
  });

  it('ends a run that waits on its model with worker-result { cancelled } and status CANCELLED', async () => {
    const runId = (await app.data(`mutation { executeWorker(input: { protocol: "slow" }) { ... on Run { id } } }`)).executeWorker.id;
    await eventually(async () => (llm.requests.length > 0 ? true : undefined), undefined, 'the model call');
    expect(llm.requests).toHaveLength(1);

    const events = app.collect<{ runEvents: { type: string; cancelled?: boolean; finishReason?: string } }>(
      `subscription ($runId: ID!) { runEvents(runId: $runId) { type ... on WorkerResultEvent { cancelled } ... on FinishEvent { finishReason } } }`,
      { runId },
    );
    expect((await app.data(CANCEL, { runId })).cancelRun.__typename).toBe('Run');

    const received = (await events).map((e) => e.runEvents);
    expect(received.slice(-3)).toEqual([
      { type: 'worker-result', cancelled: true },
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage' },
    ]);
    const { run } = await app.data(`query ($id: ID!) { run(id: $id) { status finishedAt output } }`, { id: runId });
    expect(run).toMatchObject({ status: 'CANCELLED', output: null });
    expect(run.finishedAt).not.toBeNull();

    const again = (await app.data(CANCEL, { runId })).cancelRun;
    expect(again).toMatchObject({ __typename: 'InvalidTransitionError', from: 'CANCELLED', to: 'CANCELLED' });
  });

  it('cancels a queued run that no process has claimed, with the same ending', async () => {
    // An executor that has stopped takes no new runs: the run stays QUEUED and unclaimed.
    await app.app.services.runs.stop();
    const runId = (await app.data(`mutation { executeWorker(input: { protocol: "slow" }) { ... on Run { id status } } }`)).executeWorker.id;
    expect((await app.data(CANCEL, { runId })).cancelRun.__typename).toBe('Run');

    const received = (
      await app.collect<{ runEvents: { seq: number; type: string; cancelled?: boolean } }>(
        `subscription ($runId: ID!) { runEvents(runId: $runId) { seq type ... on WorkerResultEvent { cancelled } } }`,
        { runId },
      )
    ).map((e) => e.runEvents);
    expect(received).toEqual([
      { seq: 1, type: 'worker-result', cancelled: true },
      { seq: 2, type: 'finish' },
      { seq: 3, type: 'usage' },
    ]);
    const { run } = await app.data(`query ($id: ID!) { run(id: $id) { status } }`, { id: runId });
    expect(run.status).toBe('CANCELLED');
    const localId = Buffer.from(runId, 'base64').toString().split(':')[1]!;
    const events = await app.app.services.db.query.events.findMany({ where: { subjectId: localId }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => e.type)).toEqual(['Run.queued', 'Run.cancelled']);
  });
});
