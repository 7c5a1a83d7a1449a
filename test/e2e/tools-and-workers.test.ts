/**
 * The complete engine through GraphQL: a protocol with a client tool, an HTTP tool, a
 * built-in tool, a nested worker and structured output, run on an OpenAI-compatible
 * server; the client tool is answered with submitToolResult while a graphql-ws client
 * watches; a paused run survives a server restart.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/fake-clock.js';
import { startFakeOpenAI, type ChatCompletionRequest, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { createTestApp, createTestDatabase, type TestApp, type TestDatabase } from '../support/test-app.js';

const ASSISTANT = `input:
  ORDER_ID:
    type: string
variables:
  REPLY:
    type: string
  SUMMARY:
    type: Summary
types:
  Summary:
    title:
      type: string
      description: A short title
    urgent:
      type: boolean
tools:
  lookup-order:
    description: Fetch an order by id
    parameters:
      orderId: { type: string, description: Order id }
  confirm-with-customer:
    description: Ask the customer to confirm the order
    parameters:
      question: { type: string }
  current-time:
    description: The current time
workers:
  summarize:
    description: Summarizing the reply
    display: stream
steps:
  Start:
    block: start-thread
    thread: main
    model: openai/gpt-4o
    system: system
    tools: [lookup-order, confirm-with-customer, current-time]
    maxSteps: 4
  Ask:
    block: add-message
    thread: main
    role: user
    prompt: ask
    input: [ORDER_ID]
  Answer:
    block: next-message
    thread: main
    output: REPLY
  Summarize:
    block: run-worker
    worker: summarize
    input:
      TEXT: REPLY
    output: SUMMARY
output: SUMMARY
`;

const SUMMARIZE = `input:
  TEXT:
    type: string
variables:
  SUMMARY:
    type: Summary
types:
  Summary:
    title:
      type: string
      description: A short title
    urgent:
      type: boolean
steps:
  Start:
    block: start-thread
    thread: summary
    model: openai/gpt-4o-mini
    system: summary-system
  Ask:
    block: add-message
    thread: summary
    role: user
    prompt: summary-request
    input: [TEXT]
  Summarize:
    block: next-message
    thread: summary
    output: SUMMARY
    responseType: Summary
output: SUMMARY
`;

const WATCH = /* GraphQL */ `
  subscription ($runId: ID!) {
    runEvents(runId: $runId) {
      seq
      type
      workerId
      ... on ToolInputAvailableEvent { toolCallId toolName input }
      ... on ToolOutputAvailableEvent { toolCallId output }
      ... on ClientToolRequestEvent { toolCalls { toolCallId toolName args source thread } }
      ... on FinishEvent { finishReason }
      ... on WorkerStartEvent { workerSlug }
      ... on WorkerResultEvent { output error }
    }
  }
`;

const SUBMIT = /* GraphQL */ `
  mutation ($input: SubmitToolResultInput!) {
    submitToolResult(input: $input) {
      __typename
      ... on Run { status }
      ... on ValidationError { issues { path message } }
      ... on Error { message }
    }
  }
`;

type Event = { seq: number; type: string; workerId: string | null; [field: string]: any };

/** The model: tools first, then a reply naming what the tools said; JSON for the summary thread. */
function script(request: ChatCompletionRequest) {
  const system = JSON.stringify(request.messages.find((m) => m.role === 'system')?.content ?? '');
  if (system.includes('summar')) return JSON.stringify({ title: 'Order 42 confirmed', urgent: false });
  const toolMessages = request.messages.filter((m) => m.role === 'tool');
  if (toolMessages.length === 0) {
    return {
      toolCalls: [
        { name: 'lookup-order', arguments: { orderId: '42' } },
        { name: 'confirm-with-customer', arguments: { question: 'Ship order 42 today?' } },
      ],
    };
  }
  return `Order 42 is ${JSON.stringify(toolMessages.map((m) => m.content))}`;
}

describe('tools, client tools and nested workers over GraphQL', () => {
  let llm: FakeOpenAIServer;
  let orders: Server;
  let ordersUrl: string;
  const orderRequests: unknown[] = [];
  let database: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    llm = await startFakeOpenAI({ reply: script });
    orders = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        orderRequests.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ orderId: '42', status: 'packed' }));
      });
    });
    await new Promise<void>((resolve) => orders.listen(0, '127.0.0.1', resolve));
    ordersUrl = `http://127.0.0.1:${(orders.address() as AddressInfo).port}/orders`;
    database = await createTestDatabase();
    app = await createTestApp({ database, env: { OPENAI_BASE_URL: llm.url, OUTBOUND_ALLOW: '127.0.0.1' } });

    for (const [slug, source, prompts, settings] of [
      ['summarize', SUMMARIZE, [{ name: 'summary-system', content: 'You summarize replies.' }, { name: 'summary-request', content: '{{TEXT}}' }], {}],
      [
        'order-assistant',
        ASSISTANT,
        [{ name: 'system', content: 'You help with orders.' }, { name: 'ask', content: 'What about order {{ORDER_ID}}?' }],
        { httpTools: { 'lookup-order': { url: ordersUrl } } },
      ],
    ] as const) {
      const created = await app.data(`mutation ($input: CreateProtocolInput!) { createProtocol(input: $input) { __typename ... on Error { message } ... on ProtocolError { diagnostics { message line } } } }`, {
        input: { slug, source, prompts, settings },
      });
      expect(created.createProtocol).toEqual({ __typename: 'Protocol' });
    }
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    await llm?.close();
    await new Promise((resolve) => orders?.close(resolve));
  });

  it('runs server tools, pauses for the client tool, resumes on submitToolResult and finishes with the nested worker’s structured output', async () => {
    const runId = (
      await app.data(`mutation { executeWorker(input: { protocol: "order-assistant", input: { ORDER_ID: "42" } }) { ... on Run { id } } }`)
    ).executeWorker.id as string;

    const client = app.wsClient();
    const events: Event[] = [];
    let paused!: () => void;
    const pausedSeen = new Promise<void>((resolve) => (paused = resolve));
    const done = (async () => {
      for await (const result of client.iterate({ query: WATCH, variables: { runId } })) {
        const event = (result.data as { runEvents: Event }).runEvents;
        events.push(event);
        if (event.type === 'finish' && event.finishReason === 'client-tool-calls') paused();
      }
    })();
    await pausedSeen;

    const request = events.find((e) => e.type === 'client-tool-request')!;
    expect(request.toolCalls).toEqual([
      {
        toolCallId: expect.any(String),
        toolName: 'confirm-with-customer',
        args: { question: 'Ship order 42 today?' },
        source: 'llm',
        thread: 'main',
      },
    ]);
    const lookup = events.find((e) => e.type === 'tool-input-available' && e.toolName === 'lookup-order')!;
    expect(lookup.input).toEqual({ orderId: '42' });
    expect(events.find((e) => e.type === 'tool-output-available' && e.toolCallId === lookup.toolCallId)!.output).toEqual({
      orderId: '42',
      status: 'packed',
    });
    expect(orderRequests).toEqual([{ orderId: '42' }]);

    const waiting = (await app.data(`query ($id: ID!) { run(id: $id) { status pendingToolCalls { toolCallId toolName } } }`, { id: runId })).run;
    expect(waiting).toEqual({ status: 'WAITING_FOR_TOOL', pendingToolCalls: [{ toolCallId: request.toolCalls[0].toolCallId, toolName: 'confirm-with-customer' }] });

    const unknown = (await app.data(SUBMIT, { input: { runId, toolCallId: 'nope', output: true } })).submitToolResult;
    expect(unknown).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['toolCallId'] }] });

    const submitted = (
      await app.data(SUBMIT, { input: { runId, toolCallId: request.toolCalls[0].toolCallId, output: { confirmed: true } } })
    ).submitToolResult;
    expect(submitted.__typename).toBe('Run');
    await done;

    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.find((e) => e.type === 'tool-output-available' && e.toolCallId === request.toolCalls[0].toolCallId)!.output).toEqual({
      confirmed: true,
    });
    const childStart = events.find((e) => e.type === 'worker-start' && e.workerSlug === 'summarize')!;
    expect(childStart.workerId).toBeTruthy();
    expect(events.filter((e) => e.workerId === childStart.workerId).length).toBeGreaterThan(2);
    const result = events.findLast((e) => e.type === 'worker-result' && e.workerId !== childStart.workerId)!;
    expect(result.output).toEqual({ title: 'Order 42 confirmed', urgent: false });

    const { run } = await app.data(
      `query ($id: ID!) { run(id: $id) { status output pendingToolCalls { toolCallId } children { status output depth parent { id } protocol { slug } } } }`,
      { id: runId },
    );
    expect(run).toEqual({
      status: 'COMPLETED',
      output: { title: 'Order 42 confirmed', urgent: false },
      pendingToolCalls: [],
      children: [{ status: 'COMPLETED', output: { title: 'Order 42 confirmed', urgent: false }, depth: 1, parent: { id: runId }, protocol: { slug: 'summarize' } }],
    });

    const late = (await app.data(SUBMIT, { input: { runId, toolCallId: request.toolCalls[0].toolCallId, output: 1 } })).submitToolResult;
    expect(late).toMatchObject({ __typename: 'InvalidTransitionError' });
  });

  it('resumes a paused run answered after the server restarted', async () => {
    const runId = (
      await app.data(`mutation { executeWorker(input: { protocol: "order-assistant", input: { ORDER_ID: "42" } }) { ... on Run { id } } }`)
    ).executeWorker.id as string;
    const pending: Array<{ toolCallId: string }> = await eventually(async () => {
      const calls = (await app.data(`query ($id: ID!) { run(id: $id) { pendingToolCalls { toolCallId } } }`, { id: runId })).run.pendingToolCalls;
      return calls.length > 0 ? calls : undefined;
    });
    expect(pending).toHaveLength(1);

    await app.close();
    app = await createTestApp({ database, env: { OPENAI_BASE_URL: llm.url, OUTBOUND_ALLOW: '127.0.0.1' } });

    expect((await app.data(SUBMIT, { input: { runId, toolCallId: pending[0]!.toolCallId, output: { confirmed: false } } })).submitToolResult.__typename).toBe('Run');
    const events = (await app.collect<{ runEvents: Event }>(WATCH, { runId })).map((e) => e.runEvents);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)!.type).toBe('usage');
    const { run } = await app.data(`query ($id: ID!) { run(id: $id) { status } }`, { id: runId });
    expect(run.status).toBe('COMPLETED');
  });
});
