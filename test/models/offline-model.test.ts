import type { LanguageModelV3CallOptions, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { generateText, streamText, tool } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { approximateTokens, OfflineLanguageModel } from '../../src/models/offline-model.js';

const model = new OfflineLanguageModel();

function callOptions(userText: string, extra: Partial<LanguageModelV3CallOptions> = {}): LanguageModelV3CallOptions {
  return {
    prompt: [
      { role: 'system', content: 'You are a shift supervisor.' },
      { role: 'user', content: [{ type: 'text', text: userText }] },
    ],
    ...extra,
  };
}

async function streamParts(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamPart[]> {
  const { stream } = await model.doStream(options);
  const parts: LanguageModelV3StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

describe('OfflineLanguageModel', () => {
  it('is a v3 language model named offline', () => {
    expect(model).toMatchObject({ specificationVersion: 'v3', provider: 'offline', modelId: 'offline' });
  });

  it('says it is the offline model and quotes the last user message', async () => {
    const { content, finishReason } = await model.doGenerate(callOptions('How deep is the queue on the night shift?'));
    expect(finishReason).toEqual({ unified: 'stop', raw: 'stop' });
    expect(content).toHaveLength(1);
    const text = content[0]?.type === 'text' ? content[0].text : '';
    expect(text).toMatch(/^This is the offline model/);
    expect(text).toContain('"How deep is the queue on the night shift?"');
    expect(text).toContain('OPENAI_API_KEY');
  });

  it('answers the same input with the same output, and different input differently', async () => {
    const first = await streamParts(callOptions('Hand off the fleet to the morning shift.'));
    const again = await streamParts(callOptions('Hand off the fleet to the morning shift.'));
    const other = await streamParts(callOptions('Raise the quota.'));
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    expect(await model.doGenerate(callOptions('Raise the quota.'))).toEqual(await model.doGenerate(callOptions('Raise the quota.')));
  });

  it('streams stream-start, text-start, several text-deltas, text-end and finish', async () => {
    const options = callOptions('Summarise the KPI report for the cooldown period, please.');
    const parts = await streamParts(options);
    const types = parts.map((part) => part.type);
    expect(types[0]).toBe('stream-start');
    expect(types[1]).toBe('text-start');
    expect(types.slice(-2)).toEqual(['text-end', 'finish']);
    expect(types.slice(2, -2).every((type) => type === 'text-delta')).toBe(true);
    expect(types.length - 4).toBeGreaterThanOrEqual(3);

    const streamed = parts.flatMap((part) => (part.type === 'text-delta' ? [part.delta] : [])).join('');
    const { content, usage } = await model.doGenerate(options);
    expect(content).toEqual([{ type: 'text', text: streamed }]);
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage });
  });

  it('counts usage in approximate tokens of four characters', async () => {
    const { content, usage } = await model.doGenerate(callOptions('abcd'));
    const text = content[0]?.type === 'text' ? content[0].text : '';
    expect(usage.outputTokens).toEqual({ total: approximateTokens(text), text: approximateTokens(text), reasoning: undefined });
    // system + '\n' + user text, and '[[],null]' for "no tools, no schema"
    const input = approximateTokens('You are a shift supervisor.\nabcd[[],null]');
    expect(usage.inputTokens).toEqual({ total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined });
    expect(approximateTokens('')).toBe(0);
    expect(approximateTokens('12345')).toBe(2);
  });

  it('stops at maxOutputTokens with finish reason length', async () => {
    const { content, finishReason, usage } = await model.doGenerate(callOptions('hello', { maxOutputTokens: 5 }));
    expect(content).toEqual([{ type: 'text', text: expect.stringMatching(/^.{20}$/) }]);
    expect(finishReason.unified).toBe('length');
    expect(usage.outputTokens.total).toBe(5);
  });

  it('mentions tool results that arrive after its tool call', async () => {
    const { content } = await model.doGenerate({
      prompt: [
        { role: 'user', content: [{ type: 'text', text: 'Check the roster.' }] },
        { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'readRoster', input: {} }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', toolName: 'readRoster', output: { type: 'json', value: [] } }] },
      ],
    });
    expect(content[0]?.type === 'text' && content[0].text).toContain('Results arrived from readRoster.');
  });

  it('works with streamText and generateText from the AI SDK', async () => {
    const streamed = streamText({ model, prompt: 'Ping' });
    const chunks: string[] = [];
    for await (const delta of streamed.textStream) chunks.push(delta);
    expect(chunks.length).toBeGreaterThan(1);

    const generated = await generateText({ model, prompt: 'Ping' });
    expect(generated.text).toBe(chunks.join(''));
    expect(generated.usage.outputTokens).toBe(approximateTokens(generated.text));
    expect(generated.response.modelId).toBe('offline');
  });

  it('calls a forced tool with the minimal input its schema allows', async () => {
    const tools = {
      assignTask: tool({
        description: 'Assigns a task to a worker',
        inputSchema: z.object({ workerId: z.uuid(), priority: z.enum(['HIGH', 'LOW']), note: z.string().optional() }),
      }),
    };
    const result = await generateText({ model, prompt: 'Assign it', tools, toolChoice: 'required' });
    expect(result.finishReason).toBe('tool-calls');
    expect(result.toolCalls).toMatchObject([
      { toolName: 'assignTask', input: { workerId: '00000000-0000-4000-8000-000000000000', priority: 'HIGH' } },
    ]);

    const parts = await streamParts({ ...callOptions('x'), tools: [{ type: 'function', name: 'ping', inputSchema: { type: 'object' } }], toolChoice: { type: 'tool', toolName: 'ping' } });
    expect(parts.map((part) => part.type)).toEqual([
      'stream-start',
      'tool-input-start',
      'tool-input-delta',
      'tool-input-end',
      'tool-call',
      'finish',
    ]);
  });

  it('answers with text when tools are offered but not forced', async () => {
    const result = await generateText({
      model,
      prompt: 'Hello',
      tools: { ping: tool({ inputSchema: z.object({}) }) },
    });
    expect(result.toolCalls).toEqual([]);
    expect(result.text).toContain('offline model');
  });
});
