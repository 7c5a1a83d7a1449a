/**
 * Remote MCP servers (docs/protocol.md sections 3, 6 and 7, `mcpServers`): the declaration and
 * its diagnostics, a thread offering a real MCP server's tools (src/tools/mcp.ts against
 * @modelcontextprotocol/sdk on 127.0.0.1), calls with their events and results, and the
 * connections' lifecycle per leg (fake connections) across pause, resume, failure and
 * cancellation.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import type { LanguageModelV3Prompt } from '@ai-sdk/provider';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OutboundPolicy } from '../../src/net/outbound.js';
import type { McpConnection, McpServerRequest, McpTool } from '../../src/engine/execute.js';
import { executeWorker, type ExecuteWorkerOptions } from '../../src/engine/execute.js';
import type { Protocol } from '../../src/engine/types.js';
import { connectMcpServer, toolResultValue } from '../../src/tools/mcp.js';
import { startMcpTestServer, unreachableUrl, type McpTestServer } from '../support/mcp-test-server.js';
import { diagnose, load, providerError, RecordingHost, scriptedModel, textReply, toolCallReply } from './fixtures.js';

const PROMPTS = { sys: 'You answer from the docs.', ask: 'How do refunds work?' };

/** A worker whose thread offers the `docs` server's tools and a client tool. */
function docsWorker(url: string): Protocol {
  return load(
    `variables:
  REPLY: { type: string }
tools:
  ask-user:
    description: Ask the user a question
    parameters:
      question: { type: string }
mcpServers:
  docs:
    description: Product documentation
    source: remote
    url: ${url}
    headers: { x-api-key: secret-key }
steps:
  Start:
    block: start-thread
    thread: main
    model: test/model
    system: sys
    tools: [ask-user]
    mcpServers: [docs]
    maxSteps: 4
  Ask: { block: add-message, role: user, prompt: ask }
  Answer: { block: next-message, output: REPLY }
output: REPLY
`,
    PROMPTS,
  );
}

function run(protocol: Protocol, host: RecordingHost, extra: Partial<ExecuteWorkerOptions> = {}) {
  return executeWorker(protocol, { input: {}, host, executionId: 'e', workerId: 'w', ...extra });
}

/** The tool results the model was given in `prompt`, by call id. */
function toolResults(prompt: LanguageModelV3Prompt): Record<string, unknown> {
  return Object.fromEntries(
    prompt.flatMap((message) => (message.role === 'tool' ? message.content.flatMap((part) => (part.type === 'tool-result' ? [[part.toolCallId, part.output]] : [])) : [])),
  );
}

describe('mcpServers: the declaration', () => {
  it('reads a remote server with its defaults', () => {
    expect(docsWorker('https://mcp.example.test/mcp').mcpServers).toEqual([
      { name: 'docs', description: 'Product documentation', source: 'remote', url: 'https://mcp.example.test/mcp', headers: { 'x-api-key': 'secret-key' }, transport: 'http' },
    ]);
  });

  it('reports bad declarations and undeclared names with line and column', () => {
    const source = `mcpServers:
  docs:
    source: remote
    url: ftp://files.example.test/mcp
  wiki:
    source: remote
    url: not a url
    headers: { "bad header": x, X-Token: [1] }
  local:
    source: stdio
  Bad_Name:
    source: remote
    url: https://user:pw@mcp.example.test
  octavus:
    source: device
    execution: device
  lazy:
    source: remote
    url: https://mcp.example.test
    transport: sse
    connection: lazy
    execution: sandbox
    timeout: 5
  nourl:
    source: consumer
    url: https://mcp.example.test
  nosource:
    url: https://mcp.example.test
steps:
  Start:
    block: start-thread
    model: test/model
    system: sys
    mcpServers: [docs, missing]
`;
    expect(diagnose(source, { sys: 'x' }).map((d) => [d.severity, d.message, d.line, d.column])).toEqual([
      ['error', '`url` must use http or https; got `ftp`.', 4, 10],
      ['error', '`url` must be an absolute http(s) URL; got `not a url`.', 7, 10],
      ['error', '`bad header` is not a valid HTTP header name.', 8, 16],
      ['error', 'Header `X-Token` must have a one-line string value.', 8, 42],
      ['error', '`source` must be one of `remote`, `device`, `consumer`; got `stdio`.', 10, 13],
      ['error', '`url` must not hold credentials; send them in `headers`.', 13, 10],
      ['error', '`execution` is only valid on `source: remote`.', 16, 16],
      ['warning', '`execution` has no effect: this server reaches remote MCP servers over HTTP and runs no STDIO servers.', 22, 16],
      ['warning', 'Unknown field `timeout` in MCP server `lazy`; expected one of `description`, `source`, `url`, `headers`, `transport`, `connection`, `display`, `title`, `execution`.', 23, 5],
      ['warning', 'Unknown field `url` in MCP server `nourl` (source: consumer); expected one of `description`, `source`, `display`, `title`.', 26, 5],
      ['error', 'MCP server `nosource` is missing required field `source`.', 27, 3],
      ['error', 'MCP server name `Bad_Name` must be lowercase-with-dashes (its tools are called `Bad_Name__<tool>`).', 11, 3],
      ['error', 'MCP server name `octavus` is reserved: its tools would start with `octavus_` (built-in tools).', 14, 3],
      ['error', 'Unknown MCP server `missing`; declare it under `mcpServers:`.', 34, 24],
      ['warning', '`connection: lazy` (the model activating integrations through tools) is not supported: this server connects when the thread starts, as with `eager`.', 21, 17],
    ]);
  });

  it('runs remote servers without a warning', () => {
    expect(diagnose(`mcpServers:\n  docs: { source: remote, url: https://mcp.example.test }\nsteps:\n  Start: { block: start-thread, model: test/model, system: sys, mcpServers: [docs] }\n`, { sys: 'x' })).toEqual([]);
  });
});

describe('mcpServers: a real MCP server', () => {
  let server: McpTestServer;
  // The test server listens on loopback, which the outbound policy refuses unless allowed.
  const outbound = new OutboundPolicy({ allow: ['127.0.0.1'], allowPublic: true });
  beforeAll(async () => {
    server = await startMcpTestServer();
  });
  afterAll(async () => {
    await server?.close();
    await outbound.close();
  });

  function hostFor(model: ReturnType<typeof scriptedModel>): RecordingHost {
    const host = new RecordingHost({ 'test/model': model });
    host.connectMcpServer = (request, signal) => connectMcpServer(request, signal, outbound);
    return host;
  }

  it('offers the server’s tools, runs the calls there, gives the results to the model and closes the session', async () => {
    const model = scriptedModel([
      toolCallReply([
        { id: 'c1', name: 'docs__search', input: { query: 'refunds' } },
        { id: 'c2', name: 'docs__add', input: { a: 2, b: 3 } },
      ]),
      textReply(['Refunds take 5 days.']),
    ]);
    const host = hostFor(model);
    const opened = server.sessions.opened;
    const closed = server.sessions.closed;

    const outcome = await run(docsWorker(server.url), host);

    expect(outcome).toMatchObject({ status: 'completed', output: 'Refunds take 5 days.' });
    const offered = model.doStreamCalls[0]!.tools ?? [];
    expect(offered.map((tool) => tool.name)).toEqual(['ask-user', 'docs__search', 'docs__add', 'docs__fail']);
    expect(offered[1]).toMatchObject({
      type: 'function',
      name: 'docs__search',
      description: 'Searches the product documentation.',
      inputSchema: { type: 'object', properties: { query: { type: 'string', description: 'What to look for' } }, required: ['query'] },
    });
    expect(host.events.filter((event) => event.type.startsWith('tool-'))).toEqual([
      { type: 'tool-input-start', toolCallId: 'c1', toolName: 'docs__search', display: 'description' },
      { type: 'tool-input-delta', toolCallId: 'c1', inputTextDelta: '{"query":"refunds"}' },
      { type: 'tool-input-end', toolCallId: 'c1' },
      { type: 'tool-input-available', toolCallId: 'c1', toolName: 'docs__search', input: { query: 'refunds' } },
      { type: 'tool-input-start', toolCallId: 'c2', toolName: 'docs__add', display: 'description' },
      { type: 'tool-input-delta', toolCallId: 'c2', inputTextDelta: '{"a":2,"b":3}' },
      { type: 'tool-input-end', toolCallId: 'c2' },
      { type: 'tool-input-available', toolCallId: 'c2', toolName: 'docs__add', input: { a: 2, b: 3 } },
      expect.objectContaining({ type: 'tool-output-available' }),
      expect.objectContaining({ type: 'tool-output-available' }),
    ]);
    expect(host.ofType('tool-output-available')).toEqual(
      expect.arrayContaining([
        { type: 'tool-output-available', toolCallId: 'c1', output: 'Found 2 pages about refunds' },
        { type: 'tool-output-available', toolCallId: 'c2', output: { sum: 5 } },
      ]),
    );
    expect(toolResults(model.doStreamCalls[1]!.prompt)).toEqual({
      c1: { type: 'json', value: 'Found 2 pages about refunds' },
      c2: { type: 'json', value: { sum: 5 } },
    });
    expect(server.calls.slice(-2)).toEqual(expect.arrayContaining([{ tool: 'search', args: { query: 'refunds' } }, { tool: 'add', args: { a: 2, b: 3 } }]));
    expect(server.headers.at(-1)).toMatchObject({ 'x-api-key': 'secret-key' });
    expect(server.sessions).toEqual({ opened: opened + 1, closed: closed + 1 });
  });

  it('gives the model the server’s error results and refuses invalid arguments before the server sees them', async () => {
    const model = scriptedModel([
      toolCallReply([
        { id: 'c1', name: 'docs__fail', input: {} },
        { id: 'c2', name: 'docs__search', input: { query: 7 } },
      ]),
      textReply(['The docs are down.']),
    ]);
    const host = hostFor(model);
    const calls = server.calls.length;

    const outcome = await run(docsWorker(server.url), host);

    expect(outcome).toMatchObject({ status: 'completed', output: 'The docs are down.' });
    // The calls run in parallel: their outputs come in the order they settle.
    expect(host.ofType('tool-output-error').sort((x, y) => x.toolCallId.localeCompare(y.toolCallId))).toEqual([
      { type: 'tool-output-error', toolCallId: 'c1', error: 'The index is offline' },
      { type: 'tool-output-error', toolCallId: 'c2', error: expect.stringContaining('Invalid arguments for tool "docs__search"') },
    ]);
    expect(server.calls.slice(calls)).toEqual([{ tool: 'fail', args: {} }]);
    expect(toolResults(model.doStreamCalls[1]!.prompt).c1).toEqual({ type: 'error-text', value: 'The index is offline' });
  });

  it('fails the start-thread, naming the server, when it cannot be reached', async () => {
    const url = await unreachableUrl();
    const model = scriptedModel([textReply(['never'])]);
    const host = hostFor(model);

    const outcome = await run(docsWorker(url), host);

    const message = `MCP server "docs" at ${new URL(url).origin} could not be reached: `;
    expect(outcome).toMatchObject({ status: 'failed', error: { errorType: 'execution_error', message: expect.stringContaining(message) } });
    expect(host.ofType('error')).toEqual([expect.objectContaining({ errorType: 'execution_error', source: 'platform', message: expect.stringContaining(message) })]);
    expect(host.ofType('block-start').map((event) => event.blockName)).toEqual(['Start']);
    expect(host.ofType('block-end')).toEqual([]);
    expect(model.doStreamCalls).toHaveLength(0);
  });
});

describe('mcpServers: tool results as JSON (src/tools/mcp.ts)', () => {
  it('takes structured content, else the text, else the parts; an error result throws its text', () => {
    const image = { type: 'image' as const, data: 'aGk=', mimeType: 'image/png' };
    expect(toolResultValue({ content: [{ type: 'text', text: '{"sum":5}' }], structuredContent: { sum: 5 } })).toEqual({ sum: 5 });
    expect(toolResultValue({ content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] })).toBe('one\ntwo');
    expect(toolResultValue({ content: [{ type: 'text', text: 'a chart' }, image] })).toEqual([{ type: 'text', text: 'a chart' }, image]);
    expect(toolResultValue({ toolResult: { legacy: true } })).toEqual({ legacy: true });
    expect(() => toolResultValue({ content: [{ type: 'text', text: 'Not found' }], isError: true })).toThrow('Not found');
    expect(() => toolResultValue({ content: [image], isError: true })).toThrow(`The tool failed: ${JSON.stringify([image])}`);
  });
});

/** A fake server: its tools, the connections made and closed, and what each call does. */
class FakeMcp {
  readonly requests: McpServerRequest[] = [];
  closed = 0;
  constructor(
    readonly tools: McpTool[],
    readonly call: (name: string, args: Record<string, unknown>, signal: AbortSignal) => Promise<unknown> = async (name, args) => ({ name, args }),
  ) {}

  readonly connect = async (request: McpServerRequest): Promise<McpConnection> => {
    this.requests.push(request);
    return {
      tools: this.tools,
      callTool: (name, args, context) => this.call(name, args, context.signal),
      close: async () => {
        this.closed += 1;
      },
    };
  };
}

/**
 * Full garbage collections (V8's gc, exposed at run time), a few turns of the event loop
 * apart: what only weak references hold is gone afterwards.
 */
async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const SEARCH: McpTool = { name: 'search', description: 'Searches.', inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } };

describe('mcpServers: connections per leg', () => {
  function fakeHost(model: ReturnType<typeof scriptedModel>, fake: FakeMcp): RecordingHost {
    const host = new RecordingHost({ 'test/model': model });
    host.connectMcpServer = fake.connect;
    return host;
  }

  it('closes at a pause, connects again when the resumed leg reaches the thread, and closes at the end', async () => {
    const model = scriptedModel([
      toolCallReply([
        { id: 'c1', name: 'docs__search', input: { query: 'refunds' } },
        { id: 'c2', name: 'ask-user', input: { question: 'Which order?' } },
      ]),
      textReply(['Order 7: refunded.']),
    ]);
    const fake = new FakeMcp([SEARCH]);
    const protocol = docsWorker('https://mcp.example.test/mcp');
    const first = fakeHost(model, fake);

    const paused = await run(protocol, first);

    expect(paused.status).toBe('paused');
    expect(fake.requests).toEqual([{ name: 'docs', url: 'https://mcp.example.test/mcp', headers: { 'x-api-key': 'secret-key' }, transport: 'http' }]);
    expect(fake.closed).toBe(1);
    const state = first.checkpoints.at(-1)!;
    expect(state.threads.main!.settings.mcpServers).toEqual(['docs']);
    expect(state.pending?.serverResults).toEqual([{ toolCallId: 'c1', toolName: 'docs__search', result: { name: 'search', args: { query: 'refunds' } } }]);

    const second = fakeHost(model, fake);
    const outcome = await run(protocol, second, { state, toolResults: [{ toolCallId: 'c2', toolName: 'ask-user', result: 'Order 7' }] });

    expect(outcome).toMatchObject({ status: 'completed', output: 'Order 7: refunded.' });
    expect(fake.requests).toHaveLength(2);
    expect(fake.closed).toBe(2);
    expect(model.doStreamCalls[1]!.tools?.map((tool) => tool.name)).toEqual(['ask-user', 'docs__search']);
  });

  it('closes when the run fails and when it is cancelled during a call', async () => {
    const failing = new FakeMcp([SEARCH]);
    const failed = await run(docsWorker('https://mcp.example.test/mcp'), fakeHost(scriptedModel([providerError(400)]), failing));
    expect(failed.status).toBe('failed');
    expect(failing.closed).toBe(1);

    const controller = new AbortController();
    const cancelling = new FakeMcp([SEARCH], (_name, _args, signal) => {
      controller.abort();
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    });
    const host = fakeHost(scriptedModel([toolCallReply([{ id: 'c1', name: 'docs__search', input: { query: 'x' } }])]), cancelling);
    host.signal = controller.signal;
    const cancelled = await run(docsWorker('https://mcp.example.test/mcp'), host);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelling.closed).toBe(1);
  });

  it('applies the declaration’s display to every tool of the server', async () => {
    const model = scriptedModel([toolCallReply([{ id: 'c1', name: 'docs__search', input: { query: 'x' } }]), textReply(['ok'])]);
    const host = fakeHost(model, new FakeMcp([SEARCH]));
    await run(withDisplay(), host);
    expect(host.ofType('tool-input-start')).toEqual([{ type: 'tool-input-start', toolCallId: 'c1', toolName: 'docs__search', display: 'title', title: 'Reading the docs' }]);
  });

  it('lets a nested worker use its own MCP servers, closed when the worker ends', async () => {
    const child = load(
      `input:
  TOPIC: { type: string }
variables:
  ANSWER: { type: string }
mcpServers:
  wiki: { source: remote, url: https://wiki.example.test/mcp }
steps:
  Start: { block: start-thread, thread: main, model: test/model, system: sys, mcpServers: [wiki], maxSteps: 2 }
  Ask: { block: add-message, role: user, prompt: ask, input: [TOPIC] }
  Answer: { block: next-message, output: ANSWER }
output: ANSWER
`,
      { sys: 'You look things up.', ask: '{{TOPIC}}' },
      [],
      { slug: 'lookup', name: 'Lookup', format: 'worker' },
    );
    const parent = load(
      `input:
  TOPIC: { type: string }
variables:
  RESULT: { type: string }
workers:
  lookup: { display: stream }
steps:
  Look: { block: run-worker, worker: lookup, input: [TOPIC], output: RESULT }
output: RESULT
`,
    );
    const model = scriptedModel([toolCallReply([{ id: 'c1', name: 'wiki__search', input: { query: 'x' } }]), textReply(['found'])]);
    const fake = new FakeMcp([SEARCH]);
    const host = new RecordingHost({ 'test/model': model }, { workers: { lookup: child } });
    host.connectMcpServer = fake.connect;

    const outcome = await run(parent, host, { input: { TOPIC: 'refunds' } });

    expect(outcome).toMatchObject({ status: 'completed', output: 'found' });
    expect(fake.requests.map((request) => request.name)).toEqual(['wiki']);
    expect(fake.closed).toBe(1);
    expect(host.ofType('tool-output-available')).toEqual([
      { type: 'tool-output-available', toolCallId: 'c1', output: { name: 'search', args: { query: 'x' } }, workerId: expect.any(String) },
    ]);
  });

  it('gives up on a server that does not answer within the step limit, and closes it if it answers later', async () => {
    const late = new FakeMcp([SEARCH]);
    let answer!: () => void;
    const host = fakeHost(scriptedModel([textReply(['x'])]), late);
    host.connectMcpServer = (request) =>
      new Promise<McpConnection>((resolve) => {
        answer = () => void late.connect(request).then(resolve);
      });

    const running = run(docsWorker('https://mcp.example.test/mcp'), host, { limits: { stepTimeoutMs: 30 } });
    // A busy machine collects garbage while the step waits: the step limit must survive it.
    await vi.waitFor(() => expect(answer).toBeDefined(), { timeout: 30_000 });
    await collectGarbage();
    const outcome = await running;

    expect(outcome).toMatchObject({
      status: 'failed',
      error: { errorType: 'execution_error', message: 'MCP server "docs" at https://mcp.example.test could not be reached: no answer within 30 ms (limits.stepTimeoutMs).' },
    });
    answer();
    await vi.waitFor(() => expect(late.closed).toBe(1), { timeout: 30_000 });
  });

  it('fails clearly for a tool name no model accepts, a host that cannot connect, and SDK-side servers', async () => {
    const odd = new FakeMcp([{ name: 'find.pages', inputSchema: { type: 'object' } }]);
    const oddOutcome = await run(docsWorker('https://mcp.example.test/mcp'), fakeHost(scriptedModel([textReply(['x'])]), odd));
    expect(oddOutcome).toMatchObject({
      status: 'failed',
      error: { errorType: 'execution_error', message: 'MCP server "docs" at https://mcp.example.test lists tool "find.pages", but "docs__find.pages" is not a name models accept (letters, digits, _ and -, at most 64 characters).' },
    });
    expect(odd.closed).toBe(1);

    const noHook = await run(docsWorker('https://mcp.example.test/mcp'), new RecordingHost({ 'test/model': scriptedModel([textReply(['x'])]) }));
    expect(noHook).toMatchObject({
      status: 'failed',
      error: { errorType: 'unsupported_error', message: 'Step "Start" cannot run here: MCP servers need a host that connects to them, which this host does not.' },
    });

    const device = load(`mcpServers:\n  browser: { source: device }\nsteps:\n  Start: { block: start-thread, model: test/model, system: sys, mcpServers: [browser] }\n`, { sys: 'x' });
    const deviceOutcome = await run(device, fakeHost(scriptedModel([textReply(['x'])]), new FakeMcp([])));
    expect(deviceOutcome).toMatchObject({
      status: 'failed',
      error: {
        errorType: 'unsupported_error',
        message: 'Step "Start" cannot run here: MCP servers (browser) get their tools from the caller\'s SDK (source device or consumer), which this server does not connect to.',
      },
    });
  });
});

/** The docs worker with `display: title` on the server. */
function withDisplay(): Protocol {
  return load(
    `mcpServers:
  docs:
    source: remote
    url: https://mcp.example.test/mcp
    display: title
    title: Reading the docs
steps:
  Start: { block: start-thread, thread: main, model: test/model, system: sys, mcpServers: [docs], maxSteps: 2 }
  Ask: { block: add-message, role: user, prompt: ask }
  Answer: { block: next-message }
`,
    PROMPTS,
  );
}
