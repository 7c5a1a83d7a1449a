/**
 * Execution (docs/protocol.md sections 7–10, 13, 14) with the AI SDK's mock model: the exact
 * event stream, outputs, thread histories, resume, cancellation and provider errors.
 */
import { describe, expect, it } from 'vitest';
import { executeWorker } from '../../src/engine/execute.js';
import { load, loadExample, providerError, RecordingHost, scriptedModel, textReply } from './fixtures.js';

const SONNET = 'anthropic/claude-sonnet-4-5';
const USAGE = { type: 'usage', tokens: { inputTokens: 10, outputTokens: 4, totalTokens: 14 }, cost: { currency: 'USD', bandwidthFee: 0, providerFee: 0, totalFee: 0, byok: true } };

describe('executeWorker: the title generator', () => {
  it('emits the exact event stream of section 13 and returns the output', async () => {
    const protocol = await loadExample('title-generator');
    const model = scriptedModel([textReply(['Battery ', 'breakthroughs'])]);
    const host = new RecordingHost({ [SONNET]: model });

    const outcome = await executeWorker(protocol, {
      input: { CONVERSATION_SUMMARY: 'We discussed solid-state batteries.' },
      host,
      executionId: 'exec-1',
      workerId: 'worker-1',
    });

    expect(outcome).toEqual({
      status: 'completed',
      output: 'Battery breakthroughs',
      usage: USAGE.tokens,
      threadUsage: { 'title-gen': USAGE.tokens },
      modelUsage: { 'mock/mock-model': { inputTokens: 10, outputTokens: 4, cachedInputTokens: 0 } },
    });
    expect(host.events).toEqual([
      { type: 'start', executionId: 'exec-1' },
      {
        type: 'worker-start',
        workerId: 'worker-1',
        workerSlug: 'title-generator',
        description: 'Generates a short, specific title for a conversation from its summary',
        models: [{ requested: SONNET, provider: 'mock', modelId: 'mock-model', offline: false }],
      },
      { type: 'block-start', blockId: 'exec-1:0', blockName: 'Start title thread', blockType: 'start-thread', display: 'hidden', thread: 'title-gen' },
      { type: 'block-end', blockId: 'exec-1:0' },
      { type: 'block-start', blockId: 'exec-1:1', blockName: 'Add title request', blockType: 'add-message', display: 'hidden', thread: 'title-gen' },
      { type: 'block-end', blockId: 'exec-1:1' },
      {
        type: 'block-start',
        blockId: 'exec-1:2',
        blockName: 'Generate title',
        blockType: 'next-message',
        display: 'stream',
        outputToChat: true,
        thread: 'title-gen',
      },
      { type: 'text-start', id: 'exec-1:2:text-1', thread: 'title-gen' },
      { type: 'text-delta', id: 'exec-1:2:text-1', delta: 'Battery ', thread: 'title-gen' },
      { type: 'text-delta', id: 'exec-1:2:text-1', delta: 'breakthroughs', thread: 'title-gen' },
      { type: 'text-end', id: 'exec-1:2:text-1' },
      { type: 'block-end', blockId: 'exec-1:2' },
      { type: 'worker-result', workerId: 'worker-1', output: 'Battery breakthroughs', usage: USAGE.tokens },
      { type: 'finish', finishReason: 'stop', executionId: 'exec-1' },
      USAGE,
    ]);
  });

  it('sends the rendered system prompt and the thread history to the model', async () => {
    const protocol = await loadExample('title-generator');
    const model = scriptedModel([textReply(['A title'])]);
    await executeWorker(protocol, {
      input: { CONVERSATION_SUMMARY: 'Refund for a duplicate invoice.' },
      host: new RecordingHost({ [SONNET]: model }),
      executionId: 'e',
      workerId: 'w',
    });
    const [call] = model.doStreamCalls;
    const [system, user] = call!.prompt;
    expect(system).toMatchObject({ role: 'system', content: expect.stringContaining('You write titles for conversations.') });
    expect(user).toMatchObject({ role: 'user', content: [{ type: 'text', text: expect.stringContaining('<summary>\nRefund for a duplicate invoice.\n</summary>') }] });
    expect(call!.prompt).toHaveLength(2);
  });

  it('checkpoints after every block, and before a model block starts, with the whole serialisable state', async () => {
    const protocol = await loadExample('title-generator');
    const host = new RecordingHost({ [SONNET]: scriptedModel([textReply(['T'])]) });
    await executeWorker(protocol, { input: { CONVERSATION_SUMMARY: 's' }, host, executionId: 'e', workerId: 'w' });
    expect(host.checkpoints.map((state) => state.nextStep)).toEqual([1, 2, 2, 3]);
    // The checkpoint before next-message counts its attempt; the one after it clears it.
    expect(host.checkpoints.map((state) => state.attempt)).toEqual([undefined, undefined, { step: 2, count: 1 }, undefined]);
    const last = host.checkpoints.at(-1)!;
    expect(last.variables).toEqual({ TITLE: 'T' });
    expect(last.threads['title-gen']).toMatchObject({ model: SONNET, settings: { maxSteps: 1, tools: [] } });
    expect(last.threads['title-gen']!.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    expect(last.usage).toEqual(USAGE.tokens);
    expect(last.threads['title-gen']!.usage).toEqual(USAGE.tokens);
  });
});

describe('executeWorker: threads', () => {
  it('keeps a separate history per thread and feeds one thread’s output to the next (research assistant)', async () => {
    const protocol = await loadExample('research-assistant');
    const model = scriptedModel([textReply(['Fact 1 [source]']), textReply(['## Summary\n', 'Promising.'])]);
    const host = new RecordingHost({ [SONNET]: model });

    const outcome = await executeWorker(protocol, { input: { TOPIC: 'tidal power' }, host, executionId: 'e', workerId: 'w' });

    expect(outcome).toMatchObject({ status: 'completed', output: '## Summary\nPromising.' });
    const [research, analysis] = model.doStreamCalls;
    // DEPTH was omitted: its default "medium" is used by the conditionals and the placeholder.
    expect(research!.prompt[0]!.content).toContain('Topic: tidal power');
    expect(research!.prompt[0]!.content).toContain('Depth: medium. Cover the current state');
    // The analysis thread sees only its own history: its system prompt and its request.
    expect(analysis!.prompt).toHaveLength(2);
    expect(JSON.stringify(analysis!.prompt[1])).toContain('Fact 1 [source]');
    expect(analysis!.prompt[0]!.content).toContain('You are an analyst.');

    const state = host.checkpoints.at(-1)!;
    expect(Object.keys(state.threads)).toEqual(['research', 'analysis']);
    expect(state.threads.research!.messages).toHaveLength(2);
    expect(state.threads.analysis!.messages).toHaveLength(2);
    expect(state.variables).toEqual({ RESEARCH_DATA: 'Fact 1 [source]', ANALYSIS: '## Summary\nPromising.' });
    // The research thread offers its tool to the model, with the schema of its parameters.
    expect(state.threads.research!.settings).toEqual({ maxSteps: 5, tools: ['web-search'] });
    expect(research!.tools).toEqual([
      {
        type: 'function',
        name: 'web-search',
        description: 'Search the web',
        inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'], additionalProperties: false },
      },
    ]);
    expect(analysis!.tools).toBeUndefined();

    const textStarts = host.ofType('text-start');
    expect(textStarts.map((event) => event.thread)).toEqual(['research', 'analysis']);
  });

  it('serializes a thread as markdown and uses the else branch for an omitted optional input (support chat)', async () => {
    const protocol = await loadExample('support-chat');
    const model = scriptedModel([textReply(['Hi! Please sign in.']), textReply(['The customer asked for help.'])]);
    const host = new RecordingHost({ [SONNET]: model });

    const outcome = await executeWorker(protocol, { input: { USER_MESSAGE: 'My invoice is wrong' }, host, executionId: 'e', workerId: 'w' });

    expect(outcome).toMatchObject({ status: 'completed', output: 'The customer asked for help.' });
    const system = String(model.doStreamCalls[0]!.prompt[0]!.content);
    expect(system).toContain('The customer is not signed in');
    expect(system).not.toContain('NONE');
    expect(host.checkpoints.at(-1)!.variables.CHAT_TRANSCRIPT).toBe('## user\n\nMy invoice is wrong\n\n## assistant\n\nHi! Please sign in.');
    expect(JSON.stringify(model.doStreamCalls[1]!.prompt[1])).toContain('## user\\n\\nMy invoice is wrong');
    expect(host.ofType('block-start').find((event) => event.blockType === 'serialize-thread')).toMatchObject({ display: 'name', thread: 'chat' });
  });

  it('does not add an independent reply to the history and marks it outputToChat: false', async () => {
    const protocol = load(
      `
variables:
  A: { type: string }
  B: { type: string }
steps:
  Start:
    block: start-thread
    thread: main
    model: test/model
    system: sys
  Ask:
    block: add-message
    role: user
    prompt: ask
  Aside:
    block: next-message
    independent: true
    output: A
  Answer:
    block: next-message
    output: B
output: B
`,
      { sys: 'You help.', ask: 'Question?' },
    );
    const model = scriptedModel([textReply(['aside']), textReply(['answer'])]);
    const host = new RecordingHost({ 'test/model': model });
    await executeWorker(protocol, { input: {}, host, executionId: 'e', workerId: 'w' });
    expect(host.ofType('block-start').filter((event) => event.blockType === 'next-message').map((event) => event.outputToChat)).toEqual([false, true]);
    // The second call sees the user message only, not the independent reply.
    expect(model.doStreamCalls[1]!.prompt.map((message) => message.role)).toEqual(['system', 'user']);
    expect(host.checkpoints.at(-1)!.variables).toEqual({ A: 'aside', B: 'answer' });
  });
});

describe('executeWorker: resume and cancellation', () => {
  it('resumes from a checkpoint without re-running finished blocks', async () => {
    const protocol = await loadExample('title-generator');
    const first = new RecordingHost({ [SONNET]: scriptedModel([textReply(['unused'])]) });
    await executeWorker(protocol, { input: { CONVERSATION_SUMMARY: 'Summary' }, host: first, executionId: 'e', workerId: 'w' });
    const afterAddMessage = first.checkpoints[1]!;
    expect(afterAddMessage.nextStep).toBe(2);

    const model = scriptedModel([textReply(['Resumed title'])]);
    const host = new RecordingHost({ [SONNET]: model });
    const outcome = await executeWorker(protocol, {
      input: { CONVERSATION_SUMMARY: 'Summary' },
      host,
      executionId: 'e',
      workerId: 'w',
      state: afterAddMessage,
    });

    expect(outcome).toMatchObject({ status: 'completed', output: 'Resumed title' });
    expect(host.ofType('block-start').map((event) => event.blockName)).toEqual(['Generate title']);
    // A resumed leg starts with `start` alone: the worker started in the first leg.
    expect(host.types.slice(0, 2)).toEqual(['start', 'block-start']);
    expect(model.doStreamCalls).toHaveLength(1);
    expect(model.doStreamCalls[0]!.prompt.map((message) => message.role)).toEqual(['system', 'user']);
    // The resumed state is not mutated by the run.
    expect(afterAddMessage.nextStep).toBe(2);
  });

  it('cancels inside a model call: worker-result{cancelled} → finish{stop} → usage, no block-end', async () => {
    const protocol = await loadExample('title-generator');
    const controller = new AbortController();
    const host = new RecordingHost({ [SONNET]: scriptedModel([textReply(['a', 'b', 'c', 'd'])], { chunkDelayInMs: 20 }) });
    host.signal = controller.signal;
    host.onEvent = (event) => {
      if (event.type === 'text-delta') controller.abort(new Error('user cancelled'));
    };

    const outcome = await executeWorker(protocol, { input: { CONVERSATION_SUMMARY: 's' }, host, executionId: 'e', workerId: 'w' });

    expect(outcome.status).toBe('cancelled');
    expect(host.types.slice(-3)).toEqual(['worker-result', 'finish', 'usage']);
    expect(host.events.at(-3)).toEqual({ type: 'worker-result', workerId: 'w', cancelled: true, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } });
    expect(host.events.at(-2)).toEqual({ type: 'finish', finishReason: 'stop', executionId: 'e' });
    expect(host.ofType('block-end')).toHaveLength(2);
    expect(host.checkpoints.map((state) => state.nextStep)).toEqual([1, 2, 2]);
  });

  it('cancels before the first block when the signal is already aborted', async () => {
    const protocol = await loadExample('title-generator');
    const host = new RecordingHost({ [SONNET]: scriptedModel([textReply(['x'])]) });
    host.signal = AbortSignal.abort();
    const outcome = await executeWorker(protocol, { input: { CONVERSATION_SUMMARY: 's' }, host, executionId: 'e', workerId: 'w' });
    expect(outcome.status).toBe('cancelled');
    expect(host.types).toEqual(['start', 'worker-start', 'worker-result', 'finish', 'usage']);
  });

  it('lets a host error (e.g. a lost lease in checkpoint) propagate instead of failing the run', async () => {
    const protocol = await loadExample('title-generator');
    const host = new RecordingHost({ [SONNET]: scriptedModel([textReply(['x'])]) });
    host.checkpoint = async () => {
      throw new Error('lease lost');
    };
    await expect(executeWorker(protocol, { input: { CONVERSATION_SUMMARY: 's' }, host, executionId: 'e', workerId: 'w' })).rejects.toThrow('lease lost');
    expect(host.types).not.toContain('error');
  });
});

describe('executeWorker: errors', () => {
  it('maps a provider 429 to rate_limit_error with retryAfter, then fails the run', async () => {
    const protocol = await loadExample('title-generator');
    const host = new RecordingHost({ [SONNET]: scriptedModel([providerError(429, { retryAfter: '7', data: { error: { type: 'requests', code: 'rate_limit_exceeded' } } })]) });

    const outcome = await executeWorker(protocol, { input: { CONVERSATION_SUMMARY: 's' }, host, executionId: 'e', workerId: 'w' });

    expect(outcome).toEqual({
      status: 'failed',
      error: { errorType: 'rate_limit_error', message: 'Provider answered 429' },
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      threadUsage: { 'title-gen': { inputTokens: 0, outputTokens: 0, totalTokens: 0 } },
      modelUsage: {},
    });
    expect(host.types.slice(-3)).toEqual(['block-start', 'worker-result', 'error']);
    expect(host.events.at(-2)).toEqual({ type: 'worker-result', workerId: 'w', error: 'Provider answered 429', usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } });
    expect(host.events.at(-1)).toEqual({
      type: 'error',
      errorType: 'rate_limit_error',
      message: 'Provider answered 429',
      retryable: true,
      source: 'provider',
      retryAfter: 7,
      code: 'MOCK_429',
      provider: {
        name: 'mock',
        model: 'mock-model',
        statusCode: 429,
        errorType: 'requests',
        requestId: 'req-1',
        details: { error: { type: 'requests', code: 'rate_limit_exceeded' } },
      },
    });
  });

  it.each([
    [401, 'authentication_error', false],
    [402, 'quota_exceeded_error', false],
    [403, 'permission_error', false],
    [400, 'validation_error', false],
    [500, 'provider_error', true],
    [503, 'provider_overloaded', true],
    [504, 'provider_timeout', true],
  ])('maps provider status %i to %s', async (status, errorType, retryable) => {
    const protocol = await loadExample('title-generator');
    const host = new RecordingHost({ [SONNET]: scriptedModel([providerError(status)]) });
    await executeWorker(protocol, { input: { CONVERSATION_SUMMARY: 's' }, host, executionId: 'e', workerId: 'w' });
    expect(host.events.at(-1)).toMatchObject({ type: 'error', errorType, retryable, source: 'provider', code: `MOCK_${status}` });
  });

  it('retries once on the backupModel after a transient error, and reports the first error if both fail', async () => {
    const source = `
variables:
  OUT: { type: string }
steps:
  Start:
    block: start-thread
    thread: main
    model: test/primary
    backupModel: test/backup
    system: sys
  Ask:
    block: add-message
    role: user
    prompt: sys
  Answer:
    block: next-message
    output: OUT
output: OUT
`;
    const protocol = load(source, { sys: 'Hello' });
    const saved = new RecordingHost({ 'test/primary': scriptedModel([providerError(503)]), 'test/backup': scriptedModel([textReply(['from backup'])]) });
    await expect(executeWorker(protocol, { input: {}, host: saved, executionId: 'e', workerId: 'w' })).resolves.toMatchObject({ output: 'from backup' });
    expect(saved.ofType('worker-start')[0]!.models.map((model) => model.requested)).toEqual(['test/primary', 'test/backup']);

    const lost = new RecordingHost({ 'test/primary': scriptedModel([providerError(503)]), 'test/backup': scriptedModel([providerError(500)]) });
    const outcome = await executeWorker(protocol, { input: {}, host: lost, executionId: 'e', workerId: 'w' });
    expect(outcome).toMatchObject({ status: 'failed', error: { errorType: 'provider_overloaded' } });

    const notTransient = new RecordingHost({ 'test/primary': scriptedModel([providerError(401)]), 'test/backup': scriptedModel([textReply(['never'])]) });
    await expect(executeWorker(protocol, { input: {}, host: notTransient, executionId: 'e', workerId: 'w' })).resolves.toMatchObject({
      status: 'failed',
      error: { errorType: 'authentication_error' },
    });
  });

  it('rejects bad input with validation_error before any step', async () => {
    const protocol = load(
      `
input:
  TONE: { type: string, enum: [formal, casual] }
  COUNT: { type: integer, optional: true }
steps:
  Start: { block: start-thread, thread: main, model: test/model, system: sys }
`,
      { sys: 'x' },
    );
    const run = async (input: Record<string, unknown>) => {
      const host = new RecordingHost({ 'test/model': scriptedModel([textReply(['x'])]) });
      const outcome = await executeWorker(protocol, { input, host, executionId: 'e', workerId: 'w' });
      return { outcome, host };
    };

    const missing = await run({});
    expect(missing.host.types).toEqual(['start', 'worker-start', 'worker-result', 'error']);
    expect(missing.host.events.at(-1)).toMatchObject({ errorType: 'validation_error', source: 'platform', retryable: false, message: 'Missing required input "TONE".' });

    const outsideEnum = await run({ TONE: 'rude' });
    expect(outsideEnum.outcome).toMatchObject({ status: 'failed', error: { errorType: 'validation_error', message: 'Input "TONE" must be one of "formal", "casual"; got "rude".' } });

    const wrongType = await run({ TONE: 'formal', COUNT: 'many', EXTRA: 1 });
    expect(wrongType.outcome).toMatchObject({ error: { message: 'Unknown input "EXTRA"; declared: TONE, COUNT (a key is a declared name or that name in camelCase or snake_case, e.g. "lead" for LEAD). Input "COUNT" must be an integer.' } });

    const coerced = await run({ TONE: 'formal', COUNT: '3' });
    expect(coerced.outcome.status).toBe('completed');
  });

  it('section 4: keys meet declared inputs by name or its camelCase/snake_case form; WORKER and TASK are context', async () => {
    const protocol = load(
      `input:
  LEAD: { type: unknown }
  LEAD_ID: { type: string, optional: true }
steps:
  Start: { block: start-thread, thread: main, system: sys, input: [LEAD, LEAD_ID] }
  Ask: { block: add-message, thread: main, role: user, prompt: ask }
  Answer: { block: next-message, thread: main }
`,
      { sys: 'You are {{WORKER.name}}, {{WORKER.persona.background}}. Lead {{LEAD_ID}}: {{LEAD}}', ask: 'Do {{TASK.action}}.' },
    );
    const run = async (input: Record<string, unknown>) => {
      const model = scriptedModel([textReply(['done'])]);
      const host = new RecordingHost({ 'openai/gpt-4o-mini': model });
      const outcome = await executeWorker(protocol, { input, host, executionId: 'e', workerId: 'w' });
      return { outcome, model };
    };
    const WORKER = { name: 'Sarah', persona: { background: 'former recruiter' }, model: 'openai/gpt-4o-mini' };
    const mapped = await run({ lead: 'Acme', leadId: 7, WORKER, TASK: { action: 'qualify' } });
    expect(mapped.outcome.status).toBe('completed');
    const [call] = mapped.model.doStreamCalls;
    expect(call!.prompt[0]).toMatchObject({ role: 'system', content: 'You are Sarah, former recruiter. Lead 7: Acme' });
    expect(call!.prompt[1]).toMatchObject({ role: 'user', content: [{ type: 'text', text: 'Do qualify.' }] });

    const bad = await run({ lead: 'Acme', lead_id: '1', leadId: '2', company: 'x', WORKER });
    expect(bad.outcome).toMatchObject({
      status: 'failed',
      error: {
        errorType: 'validation_error',
        message:
          'Inputs "lead_id" and "leadId" both stand for "LEAD_ID"; give one. Unknown input "company"; declared: LEAD, LEAD_ID (a key is a declared name or that name in camelCase or snake_case, e.g. "lead" for LEAD).',
      },
    });

    const noModel = await run({ lead: 'Acme' });
    expect(noModel.outcome).toMatchObject({ status: 'failed', error: { errorType: 'validation_error' } });
    expect(noModel.outcome.status === 'failed' && noModel.outcome.error.message).toContain('names no model and the run\'s worker has none');
  });

  it('fails with not_found_error when the host cannot resolve a model, after worker-start', async () => {
    const protocol = await loadExample('title-generator');
    const host = new RecordingHost({});
    const outcome = await executeWorker(protocol, { input: { CONVERSATION_SUMMARY: 's' }, host, executionId: 'e', workerId: 'w' });
    expect(outcome).toMatchObject({ status: 'failed', error: { errorType: 'not_found_error' } });
    expect(host.events[1]).toMatchObject({ type: 'worker-start', models: [] });
    expect(host.types).toEqual(['start', 'worker-start', 'worker-result', 'error']);
  });

  it('refuses up front to run blocks this server cannot execute', async () => {
    const protocol = load(`
variables:
  TEXT: { type: string, default: hello }
  AUDIO: { type: string }
steps:
  Call:
    block: generate-speech
    text: TEXT
    speechModel: openai/tts-1
    output: AUDIO
`);
    const host = new RecordingHost({});
    const outcome = await executeWorker(protocol, { input: {}, host, executionId: 'e', workerId: 'w' });
    expect(outcome).toMatchObject({ status: 'failed', error: { errorType: 'unsupported_error' } });
    expect(host.ofType('block-start')).toHaveLength(0);
    expect(host.events.at(-1)).toMatchObject({ type: 'error', message: expect.stringContaining('"Call" (generate-speech)') });
  });
});

describe('executeWorker: settings and structured output', () => {
  const dynamicSource = `
input:
  MODEL: { type: string }
  TEMP: { type: number, optional: true }
  STEPS: { type: integer, optional: true }
variables:
  OUT: { type: string }
steps:
  Start:
    block: start-thread
    thread: main
    model: MODEL
    temperature: TEMP
    maxSteps: STEPS
    maxOutputTokens: 200
    system: sys
  Ask: { block: add-message, role: user, prompt: sys }
  Answer: { block: next-message, output: OUT }
output: OUT
`;

  it('resolves model, temperature and maxSteps from inputs (section 9)', async () => {
    const protocol = load(dynamicSource, { sys: 'Hi' });
    const model = scriptedModel([textReply(['ok'])]);
    const host = new RecordingHost({ 'test/chosen': model });
    await executeWorker(protocol, { input: { MODEL: 'test/chosen', TEMP: 0.3, STEPS: '2' }, host, executionId: 'e', workerId: 'w' });
    expect(host.ofType('worker-start')[0]!.models).toEqual([{ requested: 'test/chosen', provider: 'mock', modelId: 'mock-model', offline: false }]);
    expect(model.doStreamCalls[0]).toMatchObject({ temperature: 0.3, maxOutputTokens: 200 });
    expect(host.checkpoints.at(-1)!.threads.main!.settings).toMatchObject({ temperature: 0.3, maxSteps: 2 });
  });

  it('leaves a setting unset when its reference is not provided, and rejects an invalid one', async () => {
    const protocol = load(dynamicSource, { sys: 'Hi' });
    const model = scriptedModel([textReply(['ok'])]);
    const unset = new RecordingHost({ 'test/chosen': model });
    await executeWorker(protocol, { input: { MODEL: 'test/chosen' }, host: unset, executionId: 'e', workerId: 'w' });
    expect(model.doStreamCalls[0]!.temperature).toBeUndefined();

    const invalid = new RecordingHost({ 'test/chosen': scriptedModel([textReply(['ok'])]) });
    const outcome = await executeWorker(protocol, { input: { MODEL: 'test/chosen', TEMP: 5 }, host: invalid, executionId: 'e', workerId: 'w' });
    expect(outcome).toMatchObject({ status: 'failed', error: { errorType: 'validation_error', message: '`TEMP` (used as `temperature`) must be a number from 0 to 2 or "off"; got 5.' } });
  });

  it('streams reasoning and parses a responseType reply into an object', async () => {
    const protocol = load(
      `
types:
  Verdict:
    label: { type: string, enum: [good, bad] }
    score: { type: number }
variables:
  RESULT: { type: Verdict }
steps:
  Start: { block: start-thread, thread: main, model: test/model, system: sys }
  Ask: { block: add-message, role: user, prompt: sys }
  Judge: { block: next-message, output: RESULT, responseType: Verdict }
output: RESULT
`,
      { sys: 'Judge this.' },
    );
    const model = scriptedModel([textReply(['{"label":"good",', '"score":0.9}'], { reasoning: ['Thinking'] })]);
    const host = new RecordingHost({ 'test/model': model });
    const outcome = await executeWorker(protocol, { input: {}, host, executionId: 'e', workerId: 'w' });

    expect(outcome).toMatchObject({ status: 'completed', output: { label: 'good', score: 0.9 } });
    expect(host.types.slice(6, 14)).toEqual([
      'block-start',
      'reasoning-start',
      'reasoning-delta',
      'reasoning-end',
      'text-start',
      'text-delta',
      'text-delta',
      'text-end',
    ]);
    expect(host.ofType('reasoning-delta')[0]).toEqual({ type: 'reasoning-delta', id: 'e:2:reasoning-1', delta: 'Thinking' });
    expect(host.ofType('text-start')[0]).toEqual({ type: 'text-start', id: 'e:2:text-2', responseType: 'Verdict', thread: 'main' });
    expect(model.doStreamCalls[0]!.responseFormat).toMatchObject({
      type: 'json',
      name: 'Verdict',
      schema: {
        type: 'object',
        properties: { label: { type: 'string', enum: ['good', 'bad'] }, score: { type: 'number' } },
        required: ['label', 'score'],
        additionalProperties: false,
      },
    });
  });

  describe('a response schema from a value (section 5)', () => {
    const source = `
variables:
  RESULT: { type: unknown }
steps:
  Start: { block: start-thread, thread: main, model: test/model, system: sys }
  Ask: { block: add-message, role: user, prompt: sys }
  Judge: { block: next-message, output: RESULT, responseSchema: TASK.responseSchema }
output: RESULT
`;
    const schema = { type: 'object', properties: { score: { type: 'integer' } }, required: ['score'], additionalProperties: false };
    const run = (responseSchema: unknown, reply: string[]) => {
      const model = scriptedModel([textReply(reply)]);
      const host = new RecordingHost({ 'test/model': model });
      const outcome = executeWorker(load(source, { sys: 'Score this.' }), {
        input: { TASK: { id: 't', action: 'score', input: null, priority: 'NORMAL', dueDate: null, project: null, responseSchema } },
        host,
        executionId: 'e',
        workerId: 'w',
      });
      return { outcome, model, host };
    };

    it('asks for JSON matching the schema the value holds and returns the object', async () => {
      const { outcome, model, host } = run(schema, ['{"score":', '42}']);
      expect(await outcome).toMatchObject({ status: 'completed', output: { score: 42 } });
      expect(model.doStreamCalls[0]!.responseFormat).toMatchObject({ type: 'json', name: 'Response', schema });
      expect(host.ofType('text-start')[0]).toMatchObject({ responseType: 'Response' });
    });

    it('answers text when the value holds nothing', async () => {
      const { outcome, model } = run(null, ['plain', ' text']);
      expect(await outcome).toMatchObject({ status: 'completed', output: 'plain text' });
      expect(model.doStreamCalls[0]!.responseFormat).toBeUndefined();
    });

    it('fails on a reply that does not match, and on a value that is not an object schema', async () => {
      expect(await run(schema, ['{"score":"high"}']).outcome).toMatchObject({
        status: 'failed',
        error: { errorType: 'execution_error', message: expect.stringContaining("the model's reply does not match type `Response`") },
      });
      expect(await run({ type: 'string' }, ['x']).outcome).toMatchObject({
        status: 'failed',
        error: {
          errorType: 'validation_error',
          message: '`TASK.responseSchema` (used as `responseSchema`) must be a JSON Schema of an object (`"type": "object"`); got {"type":"string"}.',
        },
      });
    });
  });

  it('gives null for an output variable that no step set and has no default', async () => {
    const protocol = load(
      `
variables:
  NEVER: { type: string }
  SEEDED: { type: string, default: seed }
steps:
  Start: { block: start-thread, thread: main, model: test/model, system: sys }
output: NEVER
`,
      { sys: 'x' },
    );
    const host = new RecordingHost({ 'test/model': scriptedModel([textReply(['x'])]) });
    await expect(executeWorker(protocol, { input: {}, host, executionId: 'e', workerId: 'w' })).resolves.toMatchObject({ output: null });
    expect(host.ofType('worker-result')[0]).toEqual({ type: 'worker-result', workerId: 'w', output: null, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } });
    expect(host.checkpoints[0]!.variables).toEqual({ SEEDED: 'seed' });
  });

  it('omits worker-result.output when the protocol has no output', async () => {
    const protocol = load(`steps:\n  Start: { block: start-thread, thread: main, model: test/model, system: sys }\n`, { sys: 'x' });
    const host = new RecordingHost({ 'test/model': scriptedModel([textReply(['x'])]) });
    const outcome = await executeWorker(protocol, { input: {}, host, executionId: 'e', workerId: 'w' });
    const zero = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
    expect(outcome).toEqual({ status: 'completed', usage: zero, threadUsage: { main: zero }, modelUsage: {} });
    expect(host.ofType('worker-result')[0]).toEqual({ type: 'worker-result', workerId: 'w', usage: zero });
  });
});
