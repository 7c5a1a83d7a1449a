/**
 * Several processes behind a load balancer, on one PostgreSQL database: a subscriber on
 * one server hears, live, of changes committed on another. Without REDIS_URL the bus runs
 * over PostgreSQL LISTEN/NOTIFY (two real server processes); with it, over Redis. Needs
 * DATABASE_URL (PGlite lives in one process); the Redis part also needs Redis on 127.0.0.1.
 *
 * A subscriber is known to be live once it received what was stored before it subscribed
 * (replayed from the store after it started listening); whatever arrives after that was
 * committed later on the other server and reached this one over the bus.
 */
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { eventually } from '../support/fake-clock.js';
import { startFakeOpenAI, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
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

const onPostgres = Boolean(process.env.DATABASE_URL);
const withRedis = onPostgres && (await redisAnswers());

/** POSTs `query` to `url` and returns its data; fails on any GraphQL error. */
async function data(url: string, query: string, variables?: Record<string, unknown>): Promise<Record<string, any>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data!;
}

const PUBLISH = 'mutation ($type: String!) { publishEvent(input: { type: $type, payload: {} }) { ... on DomainEvent { seq } } }';

describe.skipIf(!onPostgres)('two server processes on one PostgreSQL database, without Redis', () => {
  let database: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  let urlA: string;
  let urlB: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    // Both at once, as replicas start: they take turns applying the migrations to the fresh database.
    a = startServerProcess({ ...database.env, DATA_DIR: 'memory://' });
    b = startServerProcess({ ...database.env, DATA_DIR: 'memory://' });
    [urlA, urlB] = [(await a.listening).url, (await b.listening).url];
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    for (const server of [a, b]) {
      if (server && server.child.exitCode === null) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    }
    await database?.drop();
  });

  it('says at start-up that the bus is PostgreSQL LISTEN/NOTIFY', () => {
    expect(a.output()).toContain('bus: postgres (LISTEN/NOTIFY)');
    expect(b.output()).toContain('bus: postgres (LISTEN/NOTIFY)');
  });

  it('delivers an event committed on one process to an events subscriber on the other, live', async () => {
    const first = (await data(urlB, PUBLISH, { type: 'Lead.created' })).publishEvent.seq as number;
    const client = createClient({ url: urlA.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: true, retryAttempts: 0 });
    clients.push(client);
    const received: Array<{ seq: number; type: string }> = [];
    client.subscribe(
      { query: 'subscription ($after: Int!) { events(types: ["Lead.created"], after: $after) { seq type } }', variables: { after: first - 1 } },
      { next: (result) => received.push((result.data as { events: { seq: number; type: string } }).events), error: () => {}, complete: () => {} },
    );
    await eventually(async () => (received.length === 1 ? true : undefined), 20_000, 'the stored event');

    const second = (await data(urlB, PUBLISH, { type: 'Lead.created' })).publishEvent.seq as number;
    await eventually(async () => (received.length === 2 ? true : undefined), 20_000, 'the live event from the other process');
    expect(received).toEqual([
      { seq: first, type: 'Lead.created' },
      { seq: second, type: 'Lead.created' },
    ]);
  });
});

describe.skipIf(!withRedis)('two servers sharing PostgreSQL and a Redis bus', () => {
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
    await eventually(async () => (llm.requests.length > 0 ? true : undefined), 20_000, 'the model call');

    const received: Array<{ seq: number; type: string }> = [];
    const done = (async () => {
      for await (const result of b.wsClient().iterate({ query: 'subscription ($id: ID!) { runEvents(runId: $id) { seq type } }', variables: { id: runId } })) {
        received.push((result.data as { runEvents: { seq: number; type: string } }).runEvents);
      }
    })();
    // The events stored before the model call are replayed: the subscriber listens now.
    await eventually(async () => (received.length > 0 ? true : undefined), 20_000, 'the stored events');
    const before = received.length;
    release();
    await done;
    expect(received.length).toBeGreaterThan(before);
    expect(received.map((e) => e.seq)).toEqual(received.map((_, i) => i + 1));
    expect(received.at(-1)!.type).toBe('usage');
  });

  it('delivers a domain event committed on one server to an events subscriber on the other', async () => {
    const first = (await a.data(PUBLISH, { type: 'Order.placed' })).publishEvent.seq as number;
    const received: Array<{ seq: number }> = [];
    b.wsClient().subscribe(
      { query: 'subscription ($after: Int!) { events(types: ["Order.placed"], after: $after) { seq } }', variables: { after: first - 1 } },
      { next: (result) => received.push((result.data as { events: { seq: number } }).events), error: () => {}, complete: () => {} },
    );
    await eventually(async () => (received.length === 1 ? true : undefined), 20_000, 'the stored event');
    const second = (await a.data(PUBLISH, { type: 'Order.placed' })).publishEvent.seq as number;
    await eventually(async () => (received.length === 2 ? true : undefined), 20_000, 'the live event');
    expect(received).toEqual([{ seq: first }, { seq: second }]);
  });
});
