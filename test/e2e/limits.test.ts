/**
 * Limits as an attacker would probe them (issue 6, item 4), over real HTTP and
 * graphql-ws: a depth-50 query, a 10 000-alias query, too many directives, a costly
 * nested page, a 10 MB body (declared and chunked), a flood of requests per client
 * address, per key and per socket, a socket that never sends connection_init, too many
 * subscriptions on one socket and on one key, a body or headers that never finish,
 * introspection and GraphiQL switched off, persisted operations only. Each gets a clear error, nothing is changed, and the
 * server keeps answering other clients.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { newBootstrapSecret } from '../../src/auth/api-keys.js';
import { RATE_LIMITED_CLOSE_CODE } from '../../src/limits/rate-limit.js';
import { eventually } from '../support/fake-clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

/** POSTs `body` (an operation, or raw text) and returns status, headers and the parsed JSON. */
async function post(url: string, body: string | Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

const WORKER_COUNT = '{ workers { totalCount } }';
const HIRE = 'hireWorker(input: { name: "Mallory", role: "Intruder" }) { __typename }';

/** A run's global ID that names no run. */
const NO_RUN = Buffer.from('Run:00000000-0000-4000-8000-000000000000').toString('base64');

/** `run(id) { parent { parent { … { id } } } }`, `depth` levels deep. */
function deepQuery(depth: number): string {
  return `{ run(id: "${NO_RUN}") { ${'parent { '.repeat(depth - 2)}id${' }'.repeat(depth - 2)} } }`;
}

/** A graphql-ws client with a key (or none: open local access); `lazy: false` keeps one socket for every operation. */
function wsClient(app: TestApp, key?: string, lazy = true): Client {
  return createClient({
    url: app.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy,
    ...(key ? { connectionParams: { authorization: `Bearer ${key}` } } : {}),
  });
}

describe('operation shape (graphql-armor, default limits)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('refuses a depth-50 query before running it', async () => {
    const { status, body } = await post(app.url, { query: deepQuery(50) });
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    // reported as validation errors (its cost is over the limit too)
    expect(body.errors).toContainEqual(
      expect.objectContaining({ message: 'Syntax Error: Query depth limit of 10 exceeded, found 50.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
    );
    // a query at the limit runs
    expect((await post(app.url, { query: deepQuery(10) })).body).toEqual({ data: { run: null } });
  });

  it('refuses a 10 000-alias query while parsing it, and 16 aliases when validating', async () => {
    const flood = `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: workers { totalCount }`).join(' ')} }`;
    const tokens = await post(app.url, { query: flood });
    expect(tokens.status).toBe(400);
    expect(tokens.body.errors).toEqual([expect.objectContaining({ message: 'Syntax Error: Token limit of 2000 exceeded.' })]);

    const aliases = await post(app.url, { query: `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: workers { totalCount }`).join(' ')} }` });
    expect(aliases.body.errors).toEqual([expect.objectContaining({ message: 'Syntax Error: Aliases limit of 15 exceeded, found 16.' })]);
  });

  it('refuses a mutation flood by aliases, and nothing is changed', async () => {
    const { body } = await post(app.url, { query: `mutation { ${Array.from({ length: 16 }, (_, i) => `w${i}: ${HIRE}`).join(' ')} }` });
    expect(body.errors?.[0]?.message).toMatch(/Aliases limit of 15 exceeded/);
    expect((await post(app.url, { query: WORKER_COUNT })).body.data).toEqual({ workers: { totalCount: 0 } });
  });

  it('refuses too many directives and a costly nested page', async () => {
    const directives = await post(app.url, { query: `{ workers { totalCount ${'@include(if: true) '.repeat(51)} } }` });
    expect(directives.body.errors?.[0]?.message).toBe('Syntax Error: Directives limit of 50 exceeded, found 51.');

    const nested = await post(app.url, { query: '{ fleets(first: 100) { edges { node { workers(first: 100) { edges { node { id name } } } } } } }' });
    expect(nested.body.errors?.[0]?.message).toMatch(/^Syntax Error: Query Cost limit of 50000 exceeded, found \d+/);
  });

  it('refuses a too deep or too costly document each time it is sent, whatever its variables', async () => {
    // yoga caches a document's parse and validation: the limits must answer from that cache alike
    const OTHER_RUN = Buffer.from('Run:00000000-0000-4000-8000-000000000001').toString('base64');
    const deep = `query ($id: ID!) { run(id: $id) { ${'parent { '.repeat(48)}id${' }'.repeat(48)} } }`;
    for (const id of [NO_RUN, OTHER_RUN, NO_RUN]) {
      const { status, body } = await post(app.url, { query: deep, variables: { id } });
      expect(status).toBe(400);
      expect(body.errors).toContainEqual(expect.objectContaining({ message: 'Syntax Error: Query depth limit of 10 exceeded, found 50.' }));
    }
    const costly = 'query ($after: String) { fleets(first: 100, after: $after) { edges { node { workers(first: 100) { edges { node { id name } } } } } } }';
    for (const after of [null, 'b2Zmc2V0OjA=', null]) {
      const { status, body } = await post(app.url, { query: costly, variables: { after } });
      expect(status).toBe(400);
      expect(body.errors?.[0]?.message).toMatch(/^Syntax Error: Query Cost limit of 50000 exceeded, found \d+/);
    }
  });

  it('costs a page given by a variable as the same page written out, and refuses it alike', async () => {
    const paged = 'query ($n: Int, $m: Int) { fleets(first: $n) { edges { node { workers(first: $m) { edges { node { id name } } } } } } }';
    const refused = await post(app.url, { query: paged, variables: { n: 100, m: 100 } });
    expect(refused.body.errors?.[0]?.message).toMatch(/^Syntax Error: Query Cost limit of 50000 exceeded, found \d+/);
    expect(refused.body.data ?? null).toBeNull();
    // The same document with small pages, or none given, is within the limit and runs.
    for (const variables of [{ n: 5, m: 5 }, {}]) {
      const { body } = await post(app.url, { query: paged, variables });
      expect(body).toEqual({ data: { fleets: { edges: expect.any(Array) } } });
    }
  });

  it('refuses a 10 MB body with 413 before reading it, a chunked one as soon as it passes the limit, and nothing is changed', async () => {
    const padding = 'x'.repeat(10 * 1024 * 1024);
    const declared = await post(app.url, JSON.stringify({ query: `mutation { ${HIRE} }`, variables: { padding } }));
    expect(declared.status).toBe(413);
    expect(declared.body.errors?.[0]).toMatchObject({ message: 'The request body is larger than 2097152 bytes (MAX_BODY_BYTES)', extensions: { code: 'PAYLOAD_TOO_LARGE' } });

    // Without Content-Length (chunked), the body is read up to the limit only.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.write(`{"query":"mutation { ${HIRE.replaceAll('"', '\\"')} }","variables":{"padding":"`);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(1024 * 1024));
      req.end('"}}');
    });
    expect(chunked.status).toBe(413);
    expect(chunked.body).toContain('PAYLOAD_TOO_LARGE');

    expect((await post(app.url, { query: WORKER_COUNT })).body.data).toEqual({ workers: { totalCount: 0 } });
  });

  it('answers limit errors over graphql-ws for that operation, and the socket goes on', async () => {
    const client = wsClient(app);
    const refused = await new Promise<unknown>((resolve) => {
      client.subscribe({ query: deepQuery(50) }, { next: resolve, error: resolve, complete: () => {} });
    });
    expect(refused).toContainEqual(expect.objectContaining({ message: 'Syntax Error: Query depth limit of 10 exceeded, found 50.' }));
    const syntax = await new Promise<unknown>((resolve) => {
      client.subscribe({ query: '{ workers {' }, { next: resolve, error: resolve, complete: () => {} });
    });
    expect(syntax).toEqual([expect.objectContaining({ message: expect.stringMatching(/^Syntax Error/) })]);
    const answered = await new Promise<unknown>((resolve, reject) => {
      client.subscribe({ query: WORKER_COUNT }, { next: resolve, error: reject, complete: () => {} });
    });
    expect(answered).toEqual({ data: { workers: { totalCount: 0 } } });
    await client.dispose();
  });

  it('refuses a websocket message larger than the body limit by closing that socket', async () => {
    const socket = new WebSocket(app.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(3 * 1024 * 1024) } }));
    const [code] = await new Promise<[number]>((resolve) => socket.once('close', (closeCode: number) => resolve([closeCode])));
    expect(code).toBe(1009);
    expect((await post(app.url, { query: WORKER_COUNT })).status).toBe(200);
  });
});

describe('rate limits', () => {
  let app: TestApp;
  const admin = newBootstrapSecret();
  let viewer: string;
  let other: string;
  beforeAll(async () => {
    app = await createTestApp({ env: { ADMIN_API_KEY: admin, RATE_LIMIT_PER_CLIENT: '40', RATE_LIMIT_PER_KEY: '10', RATE_LIMIT_PER_SOCKET: '5' } });
    const create = async (name: string) =>
      (await post(app.url, { query: `mutation { createApiKey(input: { name: "${name}", role: VIEWER }) { ... on CreatedApiKey { secret } } }` }, { authorization: `Bearer ${admin}` })).body
        .data!.createApiKey.secret as string;
    viewer = await create('flooder');
    other = await create('bystander');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers 429 with Retry-After to a key that floods, and keeps answering other keys', async () => {
    const statuses: number[] = [];
    let limited: Answer | undefined;
    for (let i = 0; i < 15 && !limited; i++) {
      const answer = await post(app.url, { query: WORKER_COUNT }, { authorization: `Bearer ${viewer}` });
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    // createApiKey used the admin key; this key had 10 requests of its window left.
    expect(statuses).toEqual([...Array<number>(10).fill(200), 429]);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited!.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^Too many requests for this API key: retry after \d+ s$/), extensions: { code: 'RATE_LIMITED' } });
    expect(limited!.body.data).toBeUndefined();

    expect((await post(app.url, { query: WORKER_COUNT }, { authorization: `Bearer ${other}` })).status).toBe(200);
  });

  it('closes a graphql-ws socket that floods with 4429, and keeps answering other sockets', async () => {
    const client = wsClient(app, other, false);
    const query = (c: Client) =>
      new Promise<unknown>((resolve) => c.subscribe({ query: '{ __typename }' }, { next: () => {}, error: resolve, complete: () => resolve('complete') }));
    const outcomes: unknown[] = [];
    for (let i = 0; i < 6; i++) outcomes.push(await query(client));
    expect(outcomes.slice(0, 5)).toEqual(Array(5).fill('complete'));
    expect(outcomes[5]).toMatchObject({ code: RATE_LIMITED_CLOSE_CODE, reason: expect.stringMatching(/^Too many requests for this connection: retry after \d+ s$/) });
    await client.dispose();

    const fresh = wsClient(app, admin);
    expect(await query(fresh)).toBe('complete');
    await fresh.dispose();
  });

  it('answers 429 to a client address that floods, before reading its request, and keeps answering other addresses', async () => {
    // Without a key: the address is counted before the key is looked at.
    const statuses = new Set<number>();
    let limited: Answer | undefined;
    for (let i = 0; i < 60 && !limited; i++) {
      const answer = await post(app.url, { query: `mutation { ${HIRE} }` });
      statuses.add(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect([...statuses]).toEqual([401, 429]);
    expect(limited?.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^Too many requests for this client address/), extensions: { code: 'RATE_LIMITED' } });
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);

    // A websocket upgrade from this address is refused the same way.
    const upgrade = new WebSocket(app.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const refusal = await new Promise<number>((resolve) => upgrade.once('unexpected-response', (_req, res) => resolve(res.statusCode!)));
    expect(refusal).toBe(429);

    // Another loopback address is another client; health checks are never limited.
    const fromElsewhere = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(app.url, { method: 'POST', localAddress: '127.0.0.2', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ query: WORKER_COUNT }));
    });
    expect(fromElsewhere.status).toBe(200);
    expect(JSON.parse(fromElsewhere.body)).toEqual({ data: { workers: { totalCount: 0 } } });
    expect((await fetch(app.url.replace('/graphql', '/healthz'))).status).toBe(200);
  });
});

describe('websocket connections and subscriptions', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ env: { WS_CONNECTION_INIT_TIMEOUT_MS: '300', MAX_SUBSCRIPTIONS_PER_CONNECTION: '2', MAX_SUBSCRIPTIONS_PER_KEY: '3' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('closes a socket that never sends connection_init with 4408 after the timeout', async () => {
    const socket = new WebSocket(app.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const [code, reason] = await new Promise<[number, string]>((resolve) => socket.once('close', (c: number, r: Buffer) => resolve([c, r.toString()])));
    expect([code, reason]).toEqual([4408, 'Connection initialisation timeout']);
    expect((await post(app.url, { query: WORKER_COUNT })).status).toBe(200);
  });

  it('refuses a subscription beyond the limit per socket and per key; the others go on, and a freed place can be taken', async () => {
    const subscription = { query: 'subscription { events(types: ["Limit.test"]) { type payload } }' };
    const received = new Map<string, unknown[]>();
    const handles = new Map<string, () => void>();
    /** Subscribes; resolves with the refusal, or 'complete' when the subscription ends. */
    const open = (client: Client, name: string) => {
      received.set(name, []);
      return new Promise<unknown>((resolve) => {
        const unsubscribe = client.subscribe(subscription, {
          next: (result) => {
            if (result.errors) resolve(result.errors);
            else received.get(name)!.push(result.data);
          },
          error: resolve,
          complete: () => resolve('complete'),
        });
        handles.set(name, unsubscribe);
      });
    };
    const publish = (n: number) => app.data(`mutation { publishEvent(input: { type: "Limit.test", payload: { n: ${n} } }) { __typename } }`);
    const heard = (name: string, n: number) => received.get(name)!.some((data) => (data as { events: { payload: { n: number } } }).events.payload.n === n);

    const a = wsClient(app);
    void open(a, 'a1');
    void open(a, 'a2');
    await eventually(async () => {
      await publish(1);
      return heard('a1', 1) && heard('a2', 1) ? true : undefined;
    });
    expect(await open(a, 'a3')).toEqual([
      expect.objectContaining({ message: 'This connection already has 2 subscriptions open (MAX_SUBSCRIPTIONS_PER_CONNECTION)', extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } }),
    ]);

    const b = wsClient(app);
    void open(b, 'b1');
    await eventually(async () => {
      await publish(2);
      return heard('b1', 2) ? true : undefined;
    });
    expect(await open(b, 'b2')).toEqual([expect.objectContaining({ message: 'This API key already has 3 subscriptions open (MAX_SUBSCRIPTIONS_PER_KEY)' })]);

    // the refused ones changed nothing for the others
    await publish(3);
    await eventually(async () => (heard('a1', 3) && heard('a2', 3) && heard('b1', 3) ? true : undefined));

    // completing one frees its place (once the server has seen the completion)
    handles.get('a1')!();
    await eventually(async () => {
      const outcome = await Promise.race([open(a, 'a4'), new Promise((resolve) => setTimeout(() => resolve('open'), 300))]);
      return outcome === 'open' ? true : undefined;
    });
    await eventually(async () => {
      await publish(4);
      return heard('a4', 4) ? true : undefined;
    });
    await a.dispose();
    await b.dispose();
  });
});

describe('request timeout', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ env: { REQUEST_TIMEOUT_MS: '200' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Opens a raw connection, sends `text` and never finishes; resolves with what the server answered before it closed the socket. */
  function sendAndStall(text: string): Promise<string> {
    const { port } = new URL(app.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('error', reject);
      socket.on('close', () => resolve(answer));
    });
  }

  it('answers 408 to a body that never finishes, and closes its socket', async () => {
    const answer = await sendAndStall(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":"{ workers { totalCount } }","padding":"`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
    expect((await post(app.url, { query: WORKER_COUNT })).body.data).toEqual({ workers: { totalCount: 0 } });
  });

  it('closes a socket whose headers never finish', async () => {
    const answer = await sendAndStall('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
  });
});

describe('production switches', () => {
  let app: TestApp;
  let dir: string;
  const PERSISTED_ID = 'c0ffee';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'persisted-'));
    const file = join(dir, 'operations.json');
    await writeFile(file, JSON.stringify({ [PERSISTED_ID]: WORKER_COUNT }));
    app = await createTestApp({ env: { GRAPHQL_INTROSPECTION: 'false', GRAPHIQL: 'false', PERSISTED_OPERATIONS_FILE: file } });
  });
  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const persisted = { extensions: { persistedQuery: { version: 1, sha256Hash: PERSISTED_ID } } };

  it('runs persisted operations only, over HTTP and graphql-ws', async () => {
    expect((await post(app.url, persisted)).body).toEqual({ data: { workers: { totalCount: 0 } } });
    const arbitrary = await post(app.url, { query: `mutation { ${HIRE} }` });
    expect(arbitrary.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/persisted operations only/), extensions: { code: 'PERSISTED_QUERY_ONLY' } });
    const unknown = await post(app.url, { extensions: { persistedQuery: { version: 1, sha256Hash: 'nope' } } });
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const client = wsClient(app);
    const viaWs = (payload: { query: string; extensions?: Record<string, unknown> }) =>
      new Promise<unknown>((resolve) => client.subscribe(payload, { next: resolve, error: resolve, complete: () => {} }));
    expect(await viaWs({ query: '', ...persisted })).toEqual({ data: { workers: { totalCount: 0 } } });
    expect(await viaWs({ query: `mutation { ${HIRE} }` })).toEqual([expect.objectContaining({ extensions: { code: 'PERSISTED_QUERY_ONLY' } })]);
    await client.dispose();
    expect((await post(app.url, persisted)).body).toEqual({ data: { workers: { totalCount: 0 } } });
  });

  it('serves no GraphiQL when switched off', async () => {
    const page = await fetch(app.url, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type') ?? '').not.toContain('text/html');
  });
});

describe('introspection off', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ env: { NODE_ENV: 'production' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('is the production default, and field suggestions are masked with it', async () => {
    const { body } = await post(app.url, { query: '{ __schema { types { name } } }' });
    expect(body.errors?.[0]?.message).toMatch(/^GraphQL introspection has been disabled/);
    const typo = await post(app.url, { query: '{ worker { totalCount } }' });
    expect(typo.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
    expect((await fetch(app.url, { headers: { accept: 'text/html' } })).headers.get('content-type') ?? '').not.toContain('text/html');
  });
});

describe('client addresses behind a proxy', () => {
  let trusting: TestApp;
  let direct: TestApp;
  beforeAll(async () => {
    [trusting, direct] = await Promise.all([
      createTestApp({ env: { RATE_LIMIT_PER_CLIENT: '3', RATE_LIMIT_WINDOW_SECONDS: '3600', TRUST_PROXY: 'loopback' } }),
      createTestApp({ env: { RATE_LIMIT_PER_CLIENT: '3', RATE_LIMIT_WINDOW_SECONDS: '3600' } }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([trusting?.close(), direct?.close()]);
  });

  const flood = async (url: string, forwardedFor: string): Promise<number[]> => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(url, { query: WORKER_COUNT }, { 'x-forwarded-for': forwardedFor })).status);
    return statuses;
  };

  it('counts each forwarded client apart when the proxy is trusted (TRUST_PROXY)', async () => {
    expect(await flood(trusting.url, '203.0.113.5')).toEqual([200, 200, 200, 429]);
    // Another client behind the same proxy has its own window.
    expect((await post(trusting.url, { query: WORKER_COUNT }, { 'x-forwarded-for': '203.0.113.6' })).status).toBe(200);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    expect(await flood(direct.url, '203.0.113.5')).toEqual([200, 200, 200, 429]);
    // A forged header does not buy a fresh window: the peer is the client.
    expect((await post(direct.url, { query: WORKER_COUNT }, { 'x-forwarded-for': '203.0.113.6' })).status).toBe(429);
  });
});
