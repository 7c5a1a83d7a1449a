/**
 * Remote MCP servers through GraphQL: a protocol whose thread uses a real MCP server
 * (@modelcontextprotocol/sdk on 127.0.0.1) runs on an OpenAI-compatible server; the
 * model is offered the server's tools, its call runs on the MCP server, the result
 * reaches the model and the event stream, and the session is closed when the run ends.
 * A server that cannot be reached fails the run with an error naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFakeOpenAI, type ChatCompletionRequest, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { startMcpTestServer, unreachableUrl, type McpTestServer } from '../support/mcp-test-server.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const protocolSource = (url: string) => `variables:
  REPLY:
    type: string
mcpServers:
  docs:
    description: Product documentation
    source: remote
    url: ${url}
    headers:
      x-api-key: secret-key
steps:
  Start:
    block: start-thread
    thread: main
    model: openai/gpt-4o
    system: system
    mcpServers: [docs]
    maxSteps: 3
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

const WATCH = /* GraphQL */ `
  subscription ($runId: ID!) {
    runEvents(runId: $runId) {
      seq
      type
      ... on ToolInputAvailableEvent { toolCallId toolName input }
      ... on ToolOutputAvailableEvent { toolCallId output }
      ... on ErrorEvent { errorType message }
      ... on FinishEvent { finishReason }
    }
  }
`;

type Event = { seq: number; type: string; [field: string]: any };

/** The model: search the docs first, then answer with what the tool said. */
function script(request: ChatCompletionRequest) {
  const results = request.messages.filter((m) => m.role === 'tool');
  if (results.length === 0) return { toolCalls: [{ name: 'docs__search', arguments: { query: 'refunds' } }] };
  return `The docs say: ${String(results[0]!.content)}`;
}

describe('remote MCP servers over GraphQL', () => {
  let llm: FakeOpenAIServer;
  let mcp: McpTestServer;
  let app: TestApp;

  beforeAll(async () => {
    llm = await startFakeOpenAI({ reply: script });
    mcp = await startMcpTestServer();
    app = await createTestApp({ env: { OPENAI_BASE_URL: llm.url, OUTBOUND_ALLOW: '127.0.0.1' } });
    const prompts = [
      { name: 'system', content: 'You answer from the product documentation.' },
      { name: 'ask', content: 'How do refunds work?' },
    ];
    for (const [slug, url] of [
      ['docs-assistant', mcp.url],
      ['offline-docs', await unreachableUrl()],
    ] as const) {
      const created = await app.data(`mutation ($input: CreateProtocolInput!) { createProtocol(input: $input) { __typename ... on ProtocolError { diagnostics { message line } } } }`, {
        input: { slug, source: protocolSource(url), prompts },
      });
      expect(created.createProtocol).toEqual({ __typename: 'Protocol' });
    }
  });

  afterAll(async () => {
    await app?.close();
    await mcp?.close();
    await llm?.close();
  });

  async function runToEnd(protocol: string): Promise<{ runId: string; events: Event[] }> {
    const runId = (await app.data(`mutation ($protocol: String!) { executeWorker(input: { protocol: $protocol }) { ... on Run { id } } }`, { protocol })).executeWorker
      .id as string;
    const events = (await app.collect<{ runEvents: Event }>(WATCH, { runId })).map((e) => e.runEvents);
    return { runId, events };
  }

  it('offers the server’s tools to the model, runs the call on the server and closes the session', async () => {
    const { runId, events } = await runToEnd('docs-assistant');

    const [first, second] = llm.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body);
    expect(first!.tools?.map((tool) => tool.function.name)).toEqual(['docs__search', 'docs__add', 'docs__fail']);
    expect(first!.tools?.[0]?.function).toMatchObject({
      name: 'docs__search',
      description: 'Searches the product documentation.',
      parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
    });
    const input = events.find((e) => e.type === 'tool-input-available')!;
    expect(input).toMatchObject({ toolName: 'docs__search', input: { query: 'refunds' } });
    expect(events.find((e) => e.type === 'tool-output-available')).toMatchObject({ toolCallId: input.toolCallId, output: 'Found 2 pages about refunds' });
    expect(second!.messages.find((m) => m.role === 'tool')).toMatchObject({ tool_call_id: input.toolCallId, content: '"Found 2 pages about refunds"' });
    expect(mcp.calls).toEqual([{ tool: 'search', args: { query: 'refunds' } }]);
    expect(mcp.headers.every((headers) => headers['x-api-key'] === 'secret-key')).toBe(true);
    expect(mcp.sessions).toEqual({ opened: 1, closed: 1 });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));

    const { run } = await app.data(`query ($id: ID!) { run(id: $id) { status output } }`, { id: runId });
    expect(run).toEqual({ status: 'COMPLETED', output: 'The docs say: "Found 2 pages about refunds"' });
  });

  it('fails the run with an error naming a server that cannot be reached', async () => {
    const { runId, events } = await runToEnd('offline-docs');

    const error = events.find((e) => e.type === 'error')!;
    expect(error).toMatchObject({ errorType: 'execution_error', message: expect.stringMatching(/^MCP server "docs" at http:\/\/127\.0\.0\.1:\d+ could not be reached: /) });
    const { run } = await app.data(`query ($id: ID!) { run(id: $id) { status error { errorType message } } }`, { id: runId });
    expect(run).toEqual({ status: 'FAILED', error: { errorType: 'execution_error', message: error.message } });
  });
});
