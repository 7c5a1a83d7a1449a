import { APICallError, generateText, streamText, tool } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createModelRegistry } from '../../src/models/registry.js';
import { lastUserText, startFakeOpenAI, type FakeOpenAIOptions, type FakeOpenAIServer } from '../support/fake-openai-server.js';

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function modelFor(options: FakeOpenAIOptions, id = 'openai/gpt-4o') {
  server = await startFakeOpenAI(options);
  return createModelRegistry({ openaiBaseUrl: server.url }).resolve(id).model;
}

describe('the OpenAI Chat Completions wire path (fake server)', () => {
  it('keeps concurrent threads apart, with scripted replies and usage', async () => {
    const model = await modelFor({ reply: (request) => `Thread ${lastUserText(request)} answered.`, chunkDelayMs: 2 });

    const threads = ['alpha', 'beta', 'gamma'].map(async (thread) => {
      const result = streamText({ model, prompt: thread, maxRetries: 0 });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      return { text, usage: await result.usage, finishReason: await result.finishReason };
    });

    const results = await Promise.all(threads);
    expect(results.map((r) => r.text)).toEqual(['Thread alpha answered.', 'Thread beta answered.', 'Thread gamma answered.']);
    for (const { usage, finishReason } of results) {
      expect(finishReason).toBe('stop');
      expect(usage.inputTokens).toBeGreaterThan(0);
      expect(usage.outputTokens).toBeGreaterThan(0);
    }
  });

  it('answers non-streaming calls with a chat.completion body', async () => {
    const model = await modelFor({ reply: () => 'Queue depth is 4.' });
    const result = await generateText({ model, prompt: 'Queue depth?', maxRetries: 0 });
    expect(result.text).toBe('Queue depth is 4.');
    expect(server?.requests[0]?.body.stream).toBeUndefined();
  });

  it.each([
    [429, 'rate_limit_exceeded'],
    [500, 'server_error'],
  ])('surfaces a scripted %i as an APICallError', async (status, code) => {
    const model = await modelFor({ reply: () => ({ status, body: { error: { message: `scripted ${code}`, type: code, code } } }) });
    const errors: unknown[] = [];
    const result = streamText({ model, prompt: 'hi', maxRetries: 0, onError: ({ error }) => void errors.push(error) });
    await result.consumeStream();

    expect(errors).toHaveLength(1);
    const [error] = errors;
    expect(APICallError.isInstance(error) && error.statusCode).toBe(status);
    expect(APICallError.isInstance(error) && error.message).toBe(`scripted ${code}`);
  });

  it('streams scripted tool calls', async () => {
    const model = await modelFor({ reply: () => ({ toolCalls: [{ name: 'readRoster', arguments: { shift: 'NIGHT' } }] }) });
    const result = streamText({
      model,
      prompt: 'Who is on tonight?',
      maxRetries: 0,
      tools: { readRoster: tool({ inputSchema: z.object({ shift: z.enum(['MORNING', 'NIGHT']) }) }) },
    });

    expect(await result.finishReason).toBe('tool-calls');
    expect(await result.toolCalls).toMatchObject([{ toolName: 'readRoster', input: { shift: 'NIGHT' } }]);
    expect(server?.requests[0]?.body.tools?.[0]?.function.name).toBe('readRoster');
  });

  it('answers 404 to paths it does not serve, such as the Responses API', async () => {
    await modelFor({});
    const response = await fetch(`${server?.url}/responses`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
  });
});
