/**
 * The engine over the OpenAI wire protocol (issue 3, "How it is checked"): the model
 * registry pointed at the fake Chat Completions server, tool calls, client tools,
 * structured output, provider errors per type, retries, and usage.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createModelRegistry } from '../../src/models/registry.js';
import { executeWorker, type ResolvedImageModel, type ResolvedModel } from '../../src/engine/execute.js';
import { startFakeOpenAI, type ChatCompletionRequest, type FakeOpenAIServer, type FakeReply } from '../support/fake-openai-server.js';
import { load, RecordingHost } from './fixtures.js';

let server: FakeOpenAIServer;
let reply: (request: ChatCompletionRequest) => FakeReply = () => 'unscripted';

beforeAll(async () => {
  server = await startFakeOpenAI({ reply: (request) => reply(request) });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

/** A recording host whose models come from the registry, at the fake server. */
class WireHost extends RecordingHost {
  readonly registry = createModelRegistry({ openaiBaseUrl: server.url });

  override resolveModel(id: string): ResolvedModel {
    return this.registry.resolve(id);
  }

  override resolveImageModel(id: string): ResolvedImageModel {
    return this.registry.resolveImage(id);
  }
}

const ASSISTANT = load(
  `
types:
  Summary:
    title: { type: string }
    urgent: { type: boolean }
variables:
  REPLY: { type: string }
  SUMMARY: { type: Summary }
tools:
  lookup-order:
    description: Fetch an order by id
    parameters:
      orderId: { type: string }
  confirm:
    description: Ask the customer
    parameters:
      question: { type: string }
steps:
  Start: { block: start-thread, thread: main, model: openai/gpt-4o, system: sys, tools: [lookup-order, confirm], maxSteps: 3 }
  Ask: { block: add-message, role: user, prompt: ask }
  Answer: { block: next-message, output: REPLY }
  Start summary: { block: start-thread, thread: summary, model: openai/gpt-4o-mini, system: sys }
  Ask summary: { block: add-message, thread: summary, role: user, prompt: summarize, input: [REPLY] }
  Summarize: { block: next-message, thread: summary, output: SUMMARY, responseType: Summary }
output: SUMMARY
`,
  { sys: 'You help with orders.', ask: 'Where is order 42?', summarize: 'Summarize: {{REPLY}}' },
);

describe('over the wire', () => {
  it('runs a server tool and a client tool, pauses, resumes, and returns structured output', async () => {
    reply = (request) => {
      if (request.model === 'gpt-4o-mini') return JSON.stringify({ title: 'Order 42 ships today', urgent: false });
      const results = request.messages.filter((message) => message.role === 'tool');
      if (results.length === 0) {
        return {
          toolCalls: [
            { name: 'lookup-order', arguments: { orderId: '42' } },
            { name: 'confirm', arguments: { question: 'Ship today?' } },
          ],
        };
      }
      return `Order 42: ${results.map((message) => message.content).join(' / ')}`;
    };
    const host = new WireHost({}, { handlers: { 'lookup-order': async ({ orderId }) => ({ orderId, status: 'packed' }) } });
    const paused = await executeWorker(ASSISTANT, { input: {}, host, executionId: 'e', workerId: 'w' });

    expect(paused).toMatchObject({ status: 'paused', pendingToolCalls: [{ toolCallId: 'call_fake_1_1', toolName: 'confirm', args: { question: 'Ship today?' }, source: 'llm', thread: 'main' }] });
    expect(server.requests[0]!.body.tools!.map((tool) => tool.function)).toEqual([
      { name: 'lookup-order', description: 'Fetch an order by id', parameters: { type: 'object', properties: { orderId: { type: 'string' } }, required: ['orderId'], additionalProperties: false } },
      { name: 'confirm', description: 'Ask the customer', parameters: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'], additionalProperties: false } },
    ]);
    expect(host.ofType('tool-output-available')).toEqual([{ type: 'tool-output-available', toolCallId: 'call_fake_1_0', output: { orderId: '42', status: 'packed' } }]);

    const resumed = new WireHost({});
    const outcome = await executeWorker(ASSISTANT, {
      input: {},
      host: resumed,
      executionId: 'e',
      workerId: 'w',
      state: host.checkpoints.at(-1)!,
      toolResults: [{ toolCallId: 'call_fake_1_1', result: 'yes' }],
    });

    expect(outcome).toMatchObject({ status: 'completed', output: { title: 'Order 42 ships today', urgent: false } });
    const second = server.requests[1]!.body;
    expect(second.messages.filter((message) => message.role === 'tool')).toEqual([
      { role: 'tool', tool_call_id: 'call_fake_1_0', content: '{"orderId":"42","status":"packed"}' },
      { role: 'tool', tool_call_id: 'call_fake_1_1', content: '"yes"' },
    ]);
    const summary = server.requests[2]!.body;
    expect(summary.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'Summary', schema: { type: 'object', required: ['title', 'urgent'] } } });
    expect(resumed.ofType('text-start').at(-1)).toMatchObject({ responseType: 'Summary', thread: 'summary' });
    if (outcome.status !== 'completed') throw new Error('expected completion');
    expect(Object.keys(outcome.threadUsage)).toEqual(['main', 'summary']);
    expect(outcome.threadUsage.summary!.inputTokens).toBeGreaterThan(0);
    expect(outcome.usage.totalTokens).toBe(outcome.threadUsage.main!.totalTokens + outcome.threadUsage.summary!.totalTokens);
  });

  it.each([
    [429, { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, 'rate_limit_error', true],
    [503, { error: { message: 'Overloaded', type: 'server_error', code: null } }, 'provider_overloaded', true],
    [500, { error: { message: 'Internal error', type: 'server_error', code: null } }, 'provider_error', true],
    [504, { error: { message: 'Gateway timeout', type: 'server_error', code: null } }, 'provider_timeout', true],
    [401, { error: { message: 'Bad key', type: 'invalid_request_error', code: 'invalid_api_key' } }, 'authentication_error', false],
    [429, { error: { message: 'Quota used up', type: 'insufficient_quota', code: 'insufficient_quota' } }, 'quota_exceeded_error', false],
  ] as const)('maps HTTP %i to %s with code OPENAI_<status>', async (status, body, errorType, retryable) => {
    reply = () => ({ status, body });
    const host = new WireHost({});
    const outcome = await executeWorker(ASSISTANT, { input: {}, host, executionId: 'e', workerId: 'w' });
    expect(outcome).toMatchObject({ status: 'failed', error: { errorType, message: body.error.message } });
    expect(host.events.at(-1)).toMatchObject({
      type: 'error',
      errorType,
      retryable,
      source: 'provider',
      code: `OPENAI_${status}`,
      provider: { name: 'openai', model: 'gpt-4o', statusCode: status, errorType: body.error.type },
    });
  });

  it('retries a retryable provider error with backoff (host.maxRetries) and then succeeds', async () => {
    let calls = 0;
    reply = (request) => {
      calls += 1;
      if (calls === 1) return { status: 500, body: { error: { message: 'flaky', type: 'server_error' } } };
      return request.model === 'gpt-4o-mini' ? '{"title":"t","urgent":true}' : 'Fine.';
    };
    const host = new WireHost({});
    host.maxRetries = 1;
    const outcome = await executeWorker(ASSISTANT, { input: {}, host, executionId: 'e', workerId: 'w' });
    expect(outcome).toMatchObject({ status: 'completed', output: { title: 't', urgent: true } });
    expect(server.requests).toHaveLength(3);
  }, 15_000);
});
