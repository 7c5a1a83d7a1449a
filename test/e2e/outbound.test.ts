/**
 * Hostile input (issue 6, item 5) over GraphQL: protocols whose HTTP tool points at
 * 127.0.0.1, at a name that resolves to it, and at the cloud metadata address; a webhook
 * and an MCP server on 127.0.0.1; a billion-laughs protocol. Without the operator's
 * allow-list each is refused with a message that says why, and the local receivers see
 * nothing; with `OUTBOUND_ALLOW=127.0.0.1` the same tool is reached. Secrets stay out of
 * errors and logs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApp } from '../../src/app.js';
import { newBootstrapSecret } from '../../src/auth/api-keys.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { eventually } from '../support/fake-clock.js';
import { startMcpTestServer, type McpTestServer } from '../support/mcp-test-server.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** A worker that calls its HTTP tool `fetch-it` once, from a tool-call block. */
const CALLER = `variables:
  RESULT: { type: unknown }
tools:
  fetch-it:
    description: Fetches a document
steps:
  Call:
    block: tool-call
    tool: fetch-it
    output: RESULT
output: RESULT
`;

/** A worker whose thread uses the MCP server at \`url\`. */
const MCP_USER = (url: string) => `variables:
  REPLY: { type: string }
mcpServers:
  docs:
    description: Product documentation
    source: remote
    url: ${url}
steps:
  Start:
    block: start-thread
    thread: main
    model: openai/gpt-4o
    system: system
    mcpServers: [docs]
  Ask:
    block: add-message
    thread: main
    role: user
    prompt: ask
  Answer:
    block: next-message
    thread: main
    output: REPLY
output: REPLY
`;

const CREATE = `mutation ($input: CreateProtocolInput!) {
  createProtocol(input: $input) { __typename ... on ProtocolError { message diagnostics { message line column } } ... on Error { message } }
}`;

/** A local HTTP server that records every request and answers `{ "secret": "internal" }`. */
async function startInternalService(): Promise<{ server: Server; url: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"secret":"internal"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

/** Stores a protocol calling `url` as its HTTP tool, runs it to its end and returns the run. */
async function runTool(app: TestApp, slug: string, url: string): Promise<{ status: string; output: unknown; error: { errorType: string; message: string } | null }> {
  const created = await app.data(CREATE, { input: { slug, source: CALLER, prompts: [], settings: { httpTools: { 'fetch-it': { url } } } } });
  expect(created.createProtocol).toEqual({ __typename: 'Protocol' });
  return runToEnd(app, slug);
}

async function runToEnd(app: TestApp, slug: string) {
  const runId = (await app.data(`mutation ($p: String!) { executeWorker(input: { protocol: $p }) { ... on Run { id } } }`, { p: slug })).executeWorker.id as string;
  return eventually(async () => {
    const { run } = await app.data(`query ($id: ID!) { run(id: $id) { status output error { errorType message } } }`, { id: runId });
    return ['COMPLETED', 'FAILED'].includes(run.status) ? run : undefined;
  });
}

describe('outbound requests without an allow-list', () => {
  let app: TestApp;
  let internal: Awaited<ReturnType<typeof startInternalService>>;
  let mcp: McpTestServer;
  beforeAll(async () => {
    internal = await startInternalService();
    mcp = await startMcpTestServer();
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
    await mcp?.close();
    await new Promise((resolve) => internal?.server.close(resolve));
  });

  it('refuses an HTTP tool pointing at 127.0.0.1, at a name resolving to it, and at the metadata address', async () => {
    const port = new URL(internal.url).port;
    for (const [slug, url, address] of [
      ['loopback', `${internal.url}/admin`, '127.0.0.1'],
      ['named-loopback', `http://localhost:${port}/admin`, 'localhost \\((127\\.0\\.0\\.1|::1)\\)'],
      ['metadata', 'http://169.254.169.254/latest/meta-data/iam/security-credentials/', '169.254.169.254'],
      ['ipv6-loopback', `http://[::1]:${port}/admin`, '::1'],
    ] as const) {
      const run = await runTool(app, slug, url);
      expect(run).toEqual({
        status: 'FAILED',
        output: null,
        error: { errorType: 'tool_error', message: expect.stringMatching(new RegExp(`may not be called: Outbound request to ${address} refused: private, loopback, link-local and metadata addresses`)) },
      });
    }
    expect(internal.hits).toEqual([]);
  });

  it('records a refused attempt for a webhook on 127.0.0.1, which receives nothing', async () => {
    const { createWebhook } = await app.data(`mutation ($url: String!) { createWebhook(input: { url: $url, secret: "whsec_0123456789abcdef", eventTypes: ["Probe.*"] }) { ... on Webhook { id } } }`, {
      url: `${internal.url}/hook`,
    });
    await app.data(`mutation { publishEvent(input: { type: "Probe.sent", payload: {} }) { __typename } }`);
    const attempts = await eventually(async () => {
      const { node } = await app.data(`query ($id: ID!) { node(id: $id) { ... on Webhook { deliveries(first: 5) { edges { node { status attempts { statusCode error } } } } } } }`, {
        id: createWebhook.id,
      });
      const delivery = node.deliveries.edges[0]?.node;
      return delivery?.attempts.length > 0 ? delivery : undefined;
    });
    expect(attempts).toEqual({ status: 'PENDING', attempts: [{ statusCode: null, error: expect.stringMatching(/^Outbound request to 127\.0\.0\.1 refused/) }] });
    expect(internal.hits).toEqual([]);
  });

  it('refuses to connect to an MCP server on 127.0.0.1', async () => {
    const created = await app.data(CREATE, { input: { slug: 'local-mcp', source: MCP_USER(mcp.url), prompts: [{ name: 'system', content: 's' }, { name: 'ask', content: 'a' }] } });
    expect(created.createProtocol).toEqual({ __typename: 'Protocol' });
    const run = await runToEnd(app, 'local-mcp');
    expect(run.status).toBe('FAILED');
    expect(run.error.message).toMatch(/could not be reached: .*Outbound request to 127\.0\.0\.1 refused/);
    expect(mcp.sessions.opened).toBe(0);
  });

  it('refuses a billion-laughs protocol with a ProtocolError, and stores nothing', async () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let level = 1; level < 9; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    // nine levels of nine aliases each: 9^9 strings once expanded, as variables' defaults
    const variables = laughs.map((line, i) => `  V${i}:\n    type: unknown\n    default: ${line.replace(/^\w: /, '')}`).join('\n');
    const source = `variables:\n${variables}\nsteps:\n  Start: { block: start-thread, model: openai/gpt-4o, system: s }\n`;
    const before = (await app.data('{ protocols { totalCount } }')).protocols.totalCount;
    const started = Date.now();
    const created = await app.data(CREATE, { input: { slug: 'laughs', source, prompts: [{ name: 's', content: 's' }] } });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(created.createProtocol).toMatchObject({ __typename: 'ProtocolError', message: expect.stringMatching(/^Protocol is invalid: Excessive alias count/) });
    expect((await app.data('{ protocols { totalCount } }')).protocols.totalCount).toBe(before);
  });
});

describe('outbound requests with OUTBOUND_ALLOW=127.0.0.1', () => {
  let app: TestApp;
  let internal: Awaited<ReturnType<typeof startInternalService>>;
  beforeAll(async () => {
    internal = await startInternalService();
    app = await createTestApp({ env: { OUTBOUND_ALLOW: '127.0.0.1' } });
  });
  afterAll(async () => {
    await app?.close();
    await new Promise((resolve) => internal?.server.close(resolve));
  });

  it('reaches the allowed address, and still refuses the metadata address', async () => {
    expect(await runTool(app, 'allowed', `${internal.url}/lookup`)).toEqual({ status: 'COMPLETED', output: { secret: 'internal' }, error: null });
    expect(internal.hits).toEqual(['POST /lookup']);
    expect((await runTool(app, 'metadata', 'http://169.254.169.254/latest/')).error?.message).toMatch(/Outbound request to 169\.254\.169\.254 refused/);
  });
});

describe('secrets', () => {
  it('never reach the logs or an error, whatever a client sends', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const admin = newBootstrapSecret();
    const openaiKey = 'sk-test-should-never-be-logged';
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: 'memory://', ADMIN_API_KEY: admin, OPENAI_API_KEY: openaiKey, LOG_LEVEL: 'trace' });
    const logger = createLogger('trace', sink);
    const app = await createApp(config, { logger });
    const url = await app.start();
    try {
      const wrong = `wfk_abcdefgh_${'Z'.repeat(43)}`;
      for (const key of [admin, wrong, 'not-even-a-key']) {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ query: '{ workers { totalCount } nope }' }),
        });
        const text = await response.text();
        expect(text).not.toContain(key);
      }
      logger.info({ req: { headers: { authorization: `Bearer ${admin}` } }, config: { adminApiKey: admin, openaiApiKey: openaiKey } }, 'request');
    } finally {
      await app.stop();
    }
    const logged = lines.join('');
    expect(logged).toContain('[redacted]');
    expect(logged).not.toContain(admin);
    expect(logged).not.toContain(openaiKey);
  });
});
