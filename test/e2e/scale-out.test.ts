/**
 * Several processes behind a load balancer: two servers on one PostgreSQL database with
 * the bus carried by Redis. A subscriber on one server hears, live, of changes committed
 * on the other. Needs DATABASE_URL (PGlite lives in one process) and Redis on 127.0.0.1.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFakeOpenAI, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { createTestApp, createTestDatabase, type TestApp, type TestDatabase } from '../support/test-app.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisAnswers(): Promise<boolean> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

const canRun = Boolean(process.env.DATABASE_URL) && (await redisAnswers());

describe.skipIf(!canRun)('two servers sharing PostgreSQL and a Redis bus', () => {
  let llm: FakeOpenAIServer;
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let release: () => void = () => {};

  beforeAll(async () => {
    llm = await startFakeOpenAI({
      reply: async () => {
        await new Promise<void>((resolve) => (release = resolve));
        return 'answered on the other server';
      },
    });
    database = await createTestDatabase();
    const env = { OPENAI_BASE_URL: llm.url, REDIS_URL };
    a = await createTestApp({ database, env });
    b = await createTestApp({ database, env });
  });

  afterAll(async () => {
    release();
    await a?.close();
    await b?.close();
    await database?.drop();
    await llm?.close();
  });

  it('streams a run executing on one server to a subscriber on the other, live', async () => {
    await a.data(
      `mutation ($source: String!) { createProtocol(input: { slug: "remote", source: $source, prompts: [{ name: "s", content: "s" }, { name: "a", content: "a" }] }) { __typename } }`,
      { source: 'variables:\n  OUT:\n    type: string\nsteps:\n  Start:\n    block: start-thread\n    thread: main\n    model: openai/gpt-4o\n    system: s\n  Ask:\n    block: add-message\n    role: user\n    prompt: a\n  Answer:\n    block: next-message\n    output: OUT\noutput: OUT\n' },
    );
    const runId = (await a.data(`mutation { executeWorker(input: { protocol: "remote" }) { ... on Run { id } } }`)).executeWorker.id;
    for (let i = 0; i < 300 && llm.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));

    const received: Array<{ seq: number; type: string }> = [];
    const done = (async () => {
      for await (const result of b.wsClient().iterate({ query: 'subscription ($id: ID!) { runEvents(runId: $id) { seq type } }', variables: { id: runId } })) {
        received.push((result.data as { runEvents: { seq: number; type: string } }).runEvents);
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const before = received.length;
    release();
    await done;
    expect(received.length).toBeGreaterThan(before);
    expect(received.map((e) => e.seq)).toEqual(received.map((_, i) => i + 1));
    expect(received.at(-1)!.type).toBe('usage');
  });

  it('delivers a domain event committed on one server to an events subscriber on the other', async () => {
    const client = b.wsClient();
    const seen = new Promise<{ type: string }>((resolve) => {
      client.subscribe(
        { query: 'subscription { events(types: ["Worker.hired"]) { type } }' },
        { next: (result) => resolve((result.data as { events: { type: string } }).events), error: () => {}, complete: () => {} },
      );
    });
    await new Promise((r) => setTimeout(r, 300));
    await a.data(`mutation { hireWorker(input: { name: "Remote", role: "Agent" }) { __typename } }`);
    expect(await seen).toEqual({ type: 'Worker.hired' });
  });
});
