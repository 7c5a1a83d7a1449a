/**
 * Access control as an attacker would probe it: no key, a malformed, revoked or expired
 * key, a viewer calling mutations, a socket without credentials, a socket and a
 * server-sent events subscription whose key is revoked while they listen, an anonymous request with a large or hostile body. Verified
 * keys are cached (API_KEY_CACHE_SECONDS, an hour here), so every refusal after a
 * revocation below comes from the revocation message on the bus, not from the cache
 * running out.
 */
import { request as httpRequest } from 'node:http';

import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { createApp } from '../../src/app.js';
import { newBootstrapSecret } from '../../src/auth/api-keys.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { eventually } from '../support/fake-clock.js';
import { createTestApp, createTestDatabase, type TestApp } from '../support/test-app.js';

const ADMIN = newBootstrapSecret();

async function post(app: TestApp, key: string | undefined, query: string, variables?: Record<string, unknown>) {
  const response = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: Record<string, any>; errors?: Array<{ message: string; extensions?: { code?: string } }> } };
}

const CREATE_KEY = /* GraphQL */ `
  mutation ($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      __typename
      ... on CreatedApiKey { secret apiKey { id role prefix } }
      ... on Error { message }
    }
  }
`;

const HIRE = `mutation { hireWorker(input: { name: "Eve", role: "Intruder" }) { __typename ... on Error { message } } }`;

describe('access control', () => {
  let app: TestApp;
  let viewer: { secret: string; id: string };
  let operator: { secret: string; id: string };

  beforeAll(async () => {
    app = await createTestApp({ env: { ADMIN_API_KEY: ADMIN, API_KEY_CACHE_SECONDS: '3600' } });
    const make = async (role: string, expiresAt?: string) => {
      const { body } = await post(app, ADMIN, CREATE_KEY, { input: { name: `${role} key`, role, ...(expiresAt ? { expiresAt } : {}) } });
      return { secret: body.data!.createApiKey.secret as string, id: body.data!.createApiKey.apiKey.id as string };
    };
    viewer = await make('VIEWER');
    operator = await make('OPERATOR');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers requests without a key, or with a bad one, with 401 UNAUTHENTICATED and no data', async () => {
    for (const key of [undefined, 'wfk_nope', `wfk_aaaaaaaa_${'x'.repeat(43)}`]) {
      const { status, body } = await post(app, key, '{ workers { totalCount } }');
      expect(status).toBe(401);
      expect(body.data).toBeUndefined();
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect((await post(app, viewer.secret, '{ workers { totalCount } }')).body.data).toEqual({ workers: { totalCount: 0 } });
  });

  it('lets viewers read but not change, operators run work but not manage policy', async () => {
    const asViewer = await post(app, viewer.secret, HIRE);
    expect(asViewer.body.data!.hireWorker).toEqual({ __typename: 'ForbiddenError', message: 'The viewer role may not use Mutation.hireWorker' });

    expect((await post(app, operator.secret, HIRE)).body.data!.hireWorker.__typename).toBe('Worker');
    const policy = await post(app, operator.secret, `mutation { createFleet(input: { name: "x", workerTemplate: { role: "r" } }) { __typename } }`);
    expect(policy.body.data!.createFleet.__typename).toBe('ForbiddenError');
    const keys = await post(app, operator.secret, '{ apiKeys { totalCount } }');
    expect(keys.body.errors?.[0]?.message).toMatch(/operator role may not use Query.apiKeys/);

    // nothing was changed by the refused calls
    const workers = await post(app, ADMIN, '{ workers { edges { node { name } } } fleets { totalCount } }');
    expect(workers.body.data).toEqual({ workers: { edges: [{ node: { name: 'Eve' } }] }, fleets: { totalCount: 0 } });
  });

  it('refuses a revoked key and an expired one', async () => {
    const { body } = await post(app, ADMIN, CREATE_KEY, { input: { name: 'short-lived', role: 'VIEWER', expiresAt: new Date(Date.now() + 1_000).toISOString() } });
    const shortLived = body.data!.createApiKey.secret as string;
    expect((await post(app, shortLived, '{ workers { totalCount } }')).status).toBe(200);
    // The key is cached now; its expiry time is honoured from the cached row.
    const expired = await eventually(async () => {
      const answer = await post(app, shortLived, '{ workers { totalCount } }');
      return answer.status === 401 ? answer : undefined;
    }, 10_000, 'the key to expire');
    expect(expired.body.errors?.[0]?.message).toBe('The API key has expired');

    const { body: made } = await post(app, ADMIN, CREATE_KEY, { input: { name: 'to revoke', role: 'OPERATOR' } });
    const doomed = made.data!.createApiKey;
    expect((await post(app, doomed.secret, '{ workers { totalCount } }')).status).toBe(200);
    const revoked = await post(app, ADMIN, `mutation ($id: ID!) { revokeApiKey(input: { apiKeyId: $id }) { __typename ... on ApiKey { revokedAt } } }`, { id: doomed.apiKey.id });
    expect(revoked.body.data!.revokeApiKey.__typename).toBe('ApiKey');
    const refused = await post(app, doomed.secret, '{ workers { totalCount } }');
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.message).toBe('The API key was revoked');
  });

  it('records every mutation in the audit log, readable by admins', async () => {
    const { body } = await post(app, ADMIN, '{ auditLog(first: 50) { edges { node { actor operation fields outcome } } } }');
    const entries = body.data!.auditLog.edges.map((e: { node: unknown }) => e.node);
    expect(entries).toContainEqual({ actor: expect.stringContaining('VIEWER key'), operation: 'anonymous', fields: ['hireWorker'], outcome: 'ForbiddenError' });
    expect(entries).toContainEqual({ actor: expect.stringContaining('OPERATOR key'), operation: 'anonymous', fields: ['hireWorker'], outcome: 'success' });
    expect(entries).toContainEqual({ actor: expect.stringContaining('OPERATOR key'), operation: 'anonymous', fields: ['createFleet'], outcome: 'ForbiddenError' });
  });

  it('closes a socket without credentials, and a socket whose key is revoked while it listens', async () => {
    const wsUrl = app.url.replace(/^http/, 'ws');
    const anonymous = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    const refused = await new Promise<{ code: number }>((resolve) => {
      anonymous.subscribe({ query: 'subscription { events { seq } }' }, { next: () => {}, error: (e) => resolve(e as { code: number }), complete: () => {} });
    });
    expect(refused.code).toBe(4403);
    await anonymous.dispose();

    const { body } = await post(app, ADMIN, CREATE_KEY, { input: { name: 'listener', role: 'VIEWER' } });
    const listener = body.data!.createApiKey;
    let connected!: () => void;
    const acknowledged = new Promise<void>((resolve) => (connected = resolve));
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${listener.secret}` },
      on: { connected: () => connected() },
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      client.subscribe({ query: 'subscription { events { seq } }' }, { next: () => {}, error: (e) => resolve(e as { code: number; reason: string }), complete: () => {} });
    });
    await acknowledged;
    await post(app, ADMIN, `mutation ($id: ID!) { revokeApiKey(input: { apiKeyId: $id }) { __typename } }`, { id: listener.apiKey.id });
    // Closed by the revocation itself: the periodic re-check runs once an hour here.
    expect(await closed).toMatchObject({ code: 4403, reason: 'Forbidden: the API key was revoked or expired' });
    await client.dispose();
  });

  it('ends a server-sent events subscription whose key is revoked while it listens', async () => {
    const { body } = await post(app, ADMIN, CREATE_KEY, { input: { name: 'sse listener', role: 'VIEWER' } });
    const listener = body.data!.createApiKey;
    const response = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${listener.secret}` },
      body: JSON.stringify({ query: 'subscription { events(types: ["Sse.checked"]) { type } }' }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    let text = '';
    const ended = (async () => {
      for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) text += chunk;
    })();

    // The subscription is live once an event published now reaches it.
    await eventually(async () => {
      await post(app, ADMIN, `mutation { publishEvent(input: { type: "Sse.checked", payload: {} }) { __typename } }`);
      return text.includes('Sse.checked') ? true : undefined;
    }, 20_000, 'the subscription to be live');

    await post(app, ADMIN, `mutation ($id: ID!) { revokeApiKey(input: { apiKeyId: $id }) { __typename } }`, { id: listener.apiKey.id });
    // The response ends by itself: the periodic re-check runs once an hour here.
    await ended;
    const results = text
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line.length > 'data: '.length)
      .map((line) => JSON.parse(line.slice(6)) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> });
    expect(results.at(-1)!.errors).toEqual([
      expect.objectContaining({ message: 'Forbidden: the API key was revoked or expired', extensions: expect.objectContaining({ code: 'FORBIDDEN' }) }),
    ]);
    expect(text).toMatch(/event: complete/);
  });

  it('records when a key was last used', async () => {
    const { body } = await post(app, ADMIN, '{ apiKeys(first: 50) { edges { node { name lastUsedAt } } } }');
    const viewerKey = body.data!.apiKeys.edges.find((edge: { node: { name: string } }) => edge.node.name === 'VIEWER key');
    expect(new Date(viewerKey.node.lastUsedAt).getTime()).toBeGreaterThan(0);
  });

  it('refuses a request without a valid key before reading its body', async () => {
    // Headers announce 2 MiB; the answer comes after the first chunk, the rest is never sent.
    const early = await new Promise<{ status: number; body: string; closed: boolean }>((resolve, reject) => {
      const req = httpRequest(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024 - 1) } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => req.socket?.once('close', () => resolve({ status: res.statusCode!, body: text, closed: true })));
      });
      req.on('error', (error) => (error.message.includes('socket hang up') || (error as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(error)));
      req.write('{"query":"{ workers { totalCount } }","variables":{"padding":"');
    });
    expect(early.status).toBe(401);
    expect(JSON.parse(early.body).errors[0]).toEqual({ message: 'An API key is required: send `Authorization: Bearer <key>`', extensions: { code: 'UNAUTHENTICATED' } });

    // 2 MiB of nested brackets is not parsed (that would answer 400), but refused for its missing key.
    const brackets = '['.repeat(2 * 1024 * 1024 - 1);
    for (const key of [undefined, `wfk_aaaaaaaa_${'x'.repeat(43)}`]) {
      const hostile = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body: brackets });
      expect(hostile.status).toBe(401);
      expect(((await hostile.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('revocation across processes', () => {
  it.runIf(process.env.DATABASE_URL)('reaches every process at once over the bus, although each cached the key', async () => {
    const database = await createTestDatabase();
    const env = { ...database.env, ADMIN_API_KEY: ADMIN, API_KEY_CACHE_SECONDS: '3600', REDIS_URL: 'redis://127.0.0.1:6379' };
    const first = await createTestApp({ env, database });
    const second = await createTestApp({ env, database });
    try {
      const { body } = await post(first, ADMIN, CREATE_KEY, { input: { name: 'shared', role: 'VIEWER' } });
      const shared = body.data!.createApiKey;
      expect((await post(second, shared.secret, '{ workers { totalCount } }')).status).toBe(200);
      await post(first, ADMIN, `mutation ($id: ID!) { revokeApiKey(input: { apiKeyId: $id }) { __typename } }`, { id: shared.apiKey.id });
      const refused = await eventually(async () => {
        const answer = await post(second, shared.secret, '{ workers { totalCount } }');
        return answer.status === 401 ? answer : undefined;
      }, 10_000, 'the other process to refuse the revoked key');
      expect(refused.body.errors?.[0]?.message).toBe('The API key was revoked');
    } finally {
      await first.close();
      await second.close();
      await database.drop();
    }
  });
});

describe('worker keys', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ env: { ADMIN_API_KEY: ADMIN } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('see their own worker’s runs only, and nothing else', async () => {
    const hire = async (name: string) =>
      (await post(app, ADMIN, `mutation ($name: String!) { hireWorker(input: { name: $name, role: "Agent" }) { ... on Worker { id } } }`, { name })).body
        .data!.hireWorker.id as string;
    const me = await hire('Me');
    const other = await hire('Other');
    await post(app, ADMIN, `mutation ($source: String!) { createProtocol(input: { slug: "noop", source: $source, prompts: [{ name: "s", content: "s" }, { name: "a", content: "a" }] }) { __typename } }`, {
      source: 'steps:\n  Start:\n    block: start-thread\n    thread: main\n    model: openai/gpt-4o\n    system: s\n  Ask:\n    block: add-message\n    role: user\n    prompt: a\n  Answer:\n    block: next-message\n',
    });
    const execute = async (workerId: string) =>
      (await post(app, ADMIN, `mutation ($w: ID!) { executeWorker(input: { protocol: "noop", workerId: $w }) { ... on Run { id } } }`, { w: workerId })).body.data!
        .executeWorker.id as string;
    const mine = await execute(me);
    const theirs = await execute(other);
    const key = (await post(app, ADMIN, CREATE_KEY, { input: { name: 'me as myself', role: 'WORKER', workerId: me } })).body.data!.createApiKey.secret as string;

    const runs = await post(app, key, '{ runs { totalCount edges { node { id } } } }');
    expect(runs.body.data!.runs).toEqual({ totalCount: 1, edges: [{ node: { id: mine } }] });
    const other1 = await post(app, key, 'query ($id: ID!) { run(id: $id) { id } node(id: $id) { id } }', { id: theirs });
    expect(other1.body.data).toEqual({ run: null, node: null });
    expect((await post(app, key, 'query ($id: ID!) { node(id: $id) { id } }', { id: mine })).body.data!.node).toEqual({ id: mine });

    const workers = await post(app, key, '{ workers { totalCount } }');
    expect(workers.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // tasks: its own, which it may start and complete; another worker's are invisible
    for (const id of [me, other]) {
      await post(app, ADMIN, `mutation ($id: ID!) { onboardWorker(input: { workerId: $id }) { __typename } }`, { id });
      await post(app, ADMIN, `mutation ($id: ID!) { activateWorker(input: { workerId: $id }) { __typename } }`, { id });
    }
    const assign = async (workerId: string) =>
      (await post(app, ADMIN, `mutation ($w: ID!) { assignTask(input: { workerId: $w, action: "call" }) { ... on Task { id } ... on Error { message } } }`, { w: workerId })).body
        .data!.assignTask.id as string;
    const myTask = await assign(me);
    const theirTask = await assign(other);
    expect((await post(app, key, '{ tasks { edges { node { id } } } }')).body.data!.tasks.edges).toEqual([{ node: { id: myTask } }]);
    const move = (taskId: string, op: string) =>
      post(app, key, `mutation ($t: ID!) { ${op}(input: { taskId: $t }) { __typename ... on Task { status } } }`, { t: taskId });
    expect((await move(theirTask, 'startTask')).body.data!.startTask.__typename).toBe('NotFoundError');
    expect((await move(myTask, 'startTask')).body.data!.startTask).toEqual({ __typename: 'Task', status: 'RUNNING' });
    expect((await move(myTask, 'completeTask')).body.data!.completeTask).toEqual({ __typename: 'Task', status: 'COMPLETED' });
    expect((await post(app, key, HIRE)).body.data!.hireWorker.__typename).toBe('ForbiddenError');
  });
});

describe('start-up on the network', () => {
  // Starts a database of its own (PGlite, migrations): a hook's time, not a test's.
  it('refuses to listen beyond loopback without any API key', { timeout: 90_000 }, async () => {
    const app = await createApp(loadConfig({ HOST: '0.0.0.0', PORT: '0', DATA_DIR: 'memory://' }), { logger: createLogger('silent') });
    await expect(app.start()).rejects.toThrow(/Refusing to listen on 0.0.0.0 without any API key/);
    await app.stop();
  });
});
