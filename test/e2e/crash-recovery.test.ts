/**
 * Durable execution: a server process killed with SIGKILL in the middle of a model call;
 * a new process on the same database takes the run over from its last checkpoint, retries
 * the interrupted call once, and the run finishes with a gap-free event sequence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/fake-clock.js';
import { startFakeOpenAI, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-app.js';

const SOURCE = `variables:
  FIRST:
    type: string
  SECOND:
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
  First answer:
    block: next-message
    thread: main
    output: FIRST
  Ask again:
    block: add-message
    thread: main
    role: user
    prompt: again
  Second answer:
    block: next-message
    thread: main
    output: SECOND
output: SECOND
`;

async function graphql(url: string, query: string, variables?: Record<string, unknown>) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

describe('a server killed mid-run', () => {
  let llm: FakeOpenAIServer;
  let database: TestDatabase;
  const processes: ServerProcess[] = [];
  /** The second model call hangs until released: the first process dies inside it. */
  let hang = true;

  beforeAll(async () => {
    llm = await startFakeOpenAI({
      reply: async (request) => {
        const asked = JSON.stringify(request.messages);
        if (asked.includes('second question') && hang) await new Promise(() => {});
        return asked.includes('second question') ? 'second answer' : 'first answer';
      },
    });
    database = await createTestDatabase();
  });

  afterAll(async () => {
    for (const server of processes) server.child.kill('SIGKILL');
    await Promise.all(processes.map((server) => server.exited));
    await llm?.close();
    await database?.drop();
  });

  it('resumes from the last completed block on the next process, with every event once', { timeout: 120_000 }, async () => {
    const env = { ...database.env, OPENAI_BASE_URL: llm.url, RUN_LEASE_MS: '1500' };
    const first = startServerProcess(env);
    processes.push(first);
    const { url } = await first.listening;
    await graphql(url, `mutation ($source: String!) { createProtocol(input: { slug: "two-questions", source: $source, prompts: [
      { name: "system", content: "Answer briefly." }, { name: "ask", content: "first question" }, { name: "again", content: "second question" }
    ] }) { __typename } }`, { source: SOURCE });
    const runId = (await graphql(url, `mutation { executeWorker(input: { protocol: "two-questions" }) { ... on Run { id } } }`)).executeWorker.id;

    await eventually(async () => (llm.requests.length >= 2 ? true : undefined), 60_000, 'the second model call');
    expect(llm.requests).toHaveLength(2);
    first.child.kill('SIGKILL');
    await first.exited;

    hang = false;
    const second = startServerProcess(env);
    processes.push(second);
    const next = await second.listening;

    type Ended = { status: string; output: unknown; events: Array<{ seq: number; type: string; blockName?: string }> };
    const run = await eventually(
      async () => {
        const read: Ended = (await graphql(next.url, `query ($id: ID!) { run(id: $id) { status output events { seq type ... on BlockStartEvent { blockName } } } }`, { id: runId })).run;
        return read.status === 'COMPLETED' || read.status === 'FAILED' ? read : undefined;
      },
      60_000,
      'the run to end on the second process',
    );
    expect(run!.status).toBe('COMPLETED');
    expect(run!.output).toBe('second answer');
    expect(run!.events.map((e) => e.seq)).toEqual(run!.events.map((_, i) => i + 1));
    // The first answer was not asked again; the interrupted second one was retried once, visibly.
    expect(llm.requests.filter((r) => JSON.stringify(r.body.messages).includes('second question'))).toHaveLength(2);
    expect(llm.requests).toHaveLength(3);
    expect(run!.events.filter((e) => e.type === 'block-start' && e.blockName === 'Second answer')).toHaveLength(2);
    expect(run!.events.filter((e) => e.type === 'block-start' && e.blockName === 'First answer')).toHaveLength(1);
    expect(run!.events.at(-1)!.type).toBe('usage');
  });
});
