/**
 * Tools (docs/protocol.md sections 6, 7 and 12) with the AI SDK's mock model: server tools,
 * client tools with pause and resume, tool-call blocks, tool errors, invalid arguments,
 * the agentic loop, display, built-in tools, and the limits on tools.
 */
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../src/engine/events.js';
import { executeWorker, type ExecuteWorkerOptions, type ToolHandler } from '../../src/engine/execute.js';
import { ToolResultsError } from '../../src/engine/tool-results.js';
import { load, RecordingHost, scriptedModel, textReply, toolCallReply } from './fixtures.js';

const ZERO = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
const ONE_CALL = { inputTokens: 10, outputTokens: 4, totalTokens: 14 };
const times = (n: number) => ({ inputTokens: 10 * n, outputTokens: 4 * n, totalTokens: 14 * n });
/** The same tokens per model that answered, as priced. */
const byModel = (n: number) => ({ 'mock/mock-model': { inputTokens: 10 * n, outputTokens: 4 * n, cachedInputTokens: 0 } });

const ASSISTANT = `
variables:
  REPLY: { type: string }
tools:
  lookup-order:
    description: Fetch an order by id
    parameters:
      orderId: { type: string, description: Order id }
  confirm:
    description: Ask the customer to confirm
    display: title
    title: Asking the customer
    parameters:
      question: { type: string }
  audit:
    description: Internal audit log
    display: hidden
    parameters:
      note: { type: string }
steps:
  Start:
    block: start-thread
    thread: main
    model: test/model
    system: sys
    tools: [lookup-order, confirm, audit]
    maxSteps: MAX_STEPS
  Ask: { block: add-message, role: user, prompt: ask }
  Answer: { block: next-message, output: REPLY }
output: REPLY
`;

const assistant = (maxSteps = 3) => load(ASSISTANT.replace('MAX_STEPS', String(maxSteps)), { sys: 'You help with orders.', ask: 'Where is order 42?' });

/** The events from the next-message's block-start on. */
function fromAnswer(host: RecordingHost): StreamEvent[] {
  const start = host.events.findIndex((event) => event.type === 'block-start' && event.blockName === 'Answer');
  return host.events.slice(start);
}

function run(protocol: ReturnType<typeof load>, host: RecordingHost, extra: Partial<ExecuteWorkerOptions> = {}) {
  return executeWorker(protocol, { input: {}, host, executionId: 'e', workerId: 'w', ...extra });
}

describe('server tools', () => {
  it('runs a handler server-side and streams the exact tool events, then the model goes on', async () => {
    const model = scriptedModel([toolCallReply([{ id: 'c1', name: 'lookup-order', input: { orderId: '42' } }]), textReply(['Order 42 ', 'shipped.'])]);
    const calls: Array<{ args: unknown; context: Parameters<ToolHandler>[1] }> = [];
    const host = new RecordingHost(
      { 'test/model': model },
      {
        handlers: {
          'lookup-order': async (args, context) => {
            calls.push({ args, context });
            return { status: 'shipped' };
          },
        },
      },
    );

    const outcome = await run(assistant(), host);

    expect(outcome).toEqual({ status: 'completed', output: 'Order 42 shipped.', usage: times(2), threadUsage: { main: times(2) }, modelUsage: byModel(2) });
    expect(fromAnswer(host)).toEqual([
      { type: 'block-start', blockId: 'e:2', blockName: 'Answer', blockType: 'next-message', display: 'stream', outputToChat: true, thread: 'main' },
      { type: 'tool-input-start', toolCallId: 'c1', toolName: 'lookup-order', display: 'description' },
      { type: 'tool-input-delta', toolCallId: 'c1', inputTextDelta: '{"orderId":"42"}' },
      { type: 'tool-input-end', toolCallId: 'c1' },
      { type: 'tool-input-available', toolCallId: 'c1', toolName: 'lookup-order', input: { orderId: '42' } },
      { type: 'tool-output-available', toolCallId: 'c1', output: { status: 'shipped' } },
      { type: 'text-start', id: 'e:2:text-1', thread: 'main' },
      { type: 'text-delta', id: 'e:2:text-1', delta: 'Order 42 ', thread: 'main' },
      { type: 'text-delta', id: 'e:2:text-1', delta: 'shipped.', thread: 'main' },
      { type: 'text-end', id: 'e:2:text-1' },
      { type: 'block-end', blockId: 'e:2' },
      { type: 'worker-result', workerId: 'w', output: 'Order 42 shipped.', usage: times(2) },
      { type: 'finish', finishReason: 'stop', executionId: 'e' },
      { type: 'usage', tokens: times(2), cost: { currency: 'USD', bandwidthFee: 0, providerFee: 0, totalFee: 0, byok: true } },
    ]);
    expect(calls).toEqual([{ args: { orderId: '42' }, context: { toolCallId: 'c1', toolName: 'lookup-order', thread: 'main', signal: expect.any(AbortSignal) } }]);
    // The second step sees the call and its result; the history keeps the whole turn.
    const second = model.doStreamCalls[1]!.prompt;
    expect(second.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(second[3]).toMatchObject({ content: [{ type: 'tool-result', toolCallId: 'c1', toolName: 'lookup-order', output: { type: 'json', value: { status: 'shipped' } } }] });
    expect(host.checkpoints.at(-1)!.threads.main!.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    // A checkpoint after the tool step: a crash there resumes the turn, not the block.
    expect(host.checkpoints.some((state) => state.turn?.steps === 1 && state.turn.messages.length === 2)).toBe(true);
  });

  it('synthesises start, delta and end when the provider hands over a call whole', async () => {
    const model = scriptedModel([toolCallReply([{ id: 'c1', name: 'lookup-order', input: { orderId: '7' } }], { streamInput: false }), textReply(['ok'])]);
    const host = new RecordingHost({ 'test/model': model }, { handlers: { 'lookup-order': async () => 'found' } });
    await run(assistant(), host);
    expect(fromAnswer(host).slice(1, 6).map((event) => event.type)).toEqual([
      'tool-input-start',
      'tool-input-delta',
      'tool-input-end',
      'tool-input-available',
      'tool-output-available',
    ]);
  });

  it('gives a thrown error to the model as the tool’s error result, and the run goes on', async () => {
    const model = scriptedModel([toolCallReply([{ id: 'c1', name: 'lookup-order', input: { orderId: '42' } }]), textReply(['Sorry.'])]);
    const host = new RecordingHost(
      { 'test/model': model },
      {
        handlers: {
          'lookup-order': async () => {
            throw new Error('Order service is down');
          },
        },
      },
    );
    const outcome = await run(assistant(), host);
    expect(outcome).toMatchObject({ status: 'completed', output: 'Sorry.' });
    expect(host.ofType('tool-output-error')).toEqual([{ type: 'tool-output-error', toolCallId: 'c1', error: 'Order service is down' }]);
    expect(model.doStreamCalls[1]!.prompt[3]).toMatchObject({ content: [{ type: 'tool-result', output: { type: 'error-text', value: 'Order service is down' } }] });
  });

  it('validates arguments against the parameters before any handler runs', async () => {
    const model = scriptedModel([toolCallReply([{ id: 'c1', name: 'lookup-order', input: { orderId: 42, extra: true } }]), textReply(['Retrying.'])]);
    let called = false;
    const host = new RecordingHost(
      { 'test/model': model },
      {
        handlers: {
          'lookup-order': async () => {
            called = true;
          },
        },
      },
    );
    const outcome = await run(assistant(), host);
    expect(outcome.status).toBe('completed');
    expect(called).toBe(false);
    const [error] = host.ofType('tool-output-error');
    expect(error!.error).toMatch(/^Invalid arguments for tool "lookup-order":\n/);
    expect(error!.error).toContain('expected string, received number');
    expect(error!.error).toContain('Unrecognized key: "extra"');
  });

  it('answers a call of an unknown tool or with unparsable JSON with an error result', async () => {
    const model = scriptedModel([
      toolCallReply([
        { id: 'c1', name: 'launch-rockets', input: {} },
        { id: 'c2', name: 'lookup-order', input: '{"orderId": ' },
      ]),
      textReply(['Done.']),
    ]);
    const host = new RecordingHost({ 'test/model': model }, { handlers: { 'lookup-order': async () => 'never' } });
    await run(assistant(), host);
    const errors = host.ofType('tool-output-error');
    expect(errors.map((event) => event.toolCallId)).toEqual(['c1', 'c2']);
    expect(errors[0]!.error).toBe('Unknown tool "launch-rockets". Available tools: lookup-order, confirm, audit.');
    expect(errors[1]!.error).toMatch(/^Invalid arguments for tool "lookup-order": /);
  });

  it('gives a handler that exceeds limits.stepTimeoutMs an error result', async () => {
    const model = scriptedModel([toolCallReply([{ id: 'c1', name: 'lookup-order', input: { orderId: '42' } }]), textReply(['Timed out.'])]);
    let aborted = false;
    const host = new RecordingHost(
      { 'test/model': model },
      {
        handlers: {
          'lookup-order': (_args, { signal }) =>
            new Promise((resolve) => {
              signal.addEventListener('abort', () => {
                aborted = true;
                resolve('too late');
              });
            }),
        },
      },
    );
    const outcome = await run(assistant(), host, { limits: { stepTimeoutMs: 50 } });
    expect(outcome).toMatchObject({ status: 'completed', output: 'Timed out.' });
    expect(aborted).toBe(true);
    expect(host.ofType('tool-output-error')[0]!.error).toBe('Tool "lookup-order" did not answer within 50 ms (limits.stepTimeoutMs).');
  });
});

describe('client tools: pause and resume (section 12)', () => {
  it('runs the server call of a step, pauses for the client call, and resumes where it stopped', async () => {
    const model = scriptedModel([
      toolCallReply([
        { id: 'c1', name: 'lookup-order', input: { orderId: '42' } },
        { id: 'c2', name: 'confirm', input: { question: 'Ship today?' } },
      ]),
      textReply(['Shipping today.']),
    ]);
    const host = new RecordingHost({ 'test/model': model }, { handlers: { 'lookup-order': async () => ({ status: 'packed' }) } });

    const paused = await run(assistant(), host);

    const pending = [{ toolCallId: 'c2', toolName: 'confirm', args: { question: 'Ship today?' }, source: 'llm', thread: 'main' }];
    expect(paused).toEqual({ status: 'paused', pendingToolCalls: pending, usage: ONE_CALL, threadUsage: { main: ONE_CALL }, modelUsage: byModel(1) });
    expect(host.events.slice(-4)).toEqual([
      { type: 'tool-input-available', toolCallId: 'c2', toolName: 'confirm', input: { question: 'Ship today?' } },
      { type: 'tool-output-available', toolCallId: 'c1', output: { status: 'packed' } },
      { type: 'client-tool-request', executionId: 'e', toolCalls: pending, serverToolResults: [{ toolCallId: 'c1', toolName: 'lookup-order', result: { status: 'packed' } }] },
      { type: 'finish', finishReason: 'client-tool-calls', executionId: 'e' },
    ]);
    expect(host.ofType('block-end').map((event) => event.blockId)).toEqual(['e:0', 'e:1']);
    const state = host.checkpoints.at(-1)!;
    expect(state).toMatchObject({ nextStep: 2, pending: { blockIndex: 2, calls: pending }, turn: { blockIndex: 2, steps: 1 } });

    const resumed = new RecordingHost({ 'test/model': model });
    const outcome = await run(assistant(), resumed, { state, toolResults: [{ toolCallId: 'c2', result: 'yes' }] });

    expect(outcome).toEqual({ status: 'completed', output: 'Shipping today.', usage: times(2), threadUsage: { main: times(2) }, modelUsage: byModel(2) });
    expect(resumed.events).toEqual([
      { type: 'start', executionId: 'e' },
      { type: 'tool-output-available', toolCallId: 'c2', output: 'yes' },
      { type: 'text-start', id: 'e:2:text-1', thread: 'main' },
      { type: 'text-delta', id: 'e:2:text-1', delta: 'Shipping today.', thread: 'main' },
      { type: 'text-end', id: 'e:2:text-1' },
      { type: 'block-end', blockId: 'e:2' },
      { type: 'worker-result', workerId: 'w', output: 'Shipping today.', usage: times(2) },
      { type: 'finish', finishReason: 'stop', executionId: 'e' },
      { type: 'usage', tokens: times(2), cost: { currency: 'USD', bandwidthFee: 0, providerFee: 0, totalFee: 0, byok: true } },
    ]);
    // The model sees both results, in the order it made the calls.
    expect(model.doStreamCalls[1]!.prompt[3]).toMatchObject({
      role: 'tool',
      content: [
        { toolCallId: 'c1', output: { type: 'json', value: { status: 'packed' } } },
        { toolCallId: 'c2', output: { type: 'json', value: 'yes' } },
      ],
    });
    // The first checkpoint of the resumed leg has taken the results in.
    expect(resumed.checkpoints[0]).toMatchObject({ nextStep: 2, attempt: { step: 2, count: 1 } });
    expect(resumed.checkpoints[0]!.pending).toBeUndefined();
  });

  it('waits for every call of the step, and refuses results that do not answer the batch', async () => {
    const model = scriptedModel([
      toolCallReply([
        { id: 'c1', name: 'confirm', input: { question: 'A?' } },
        { id: 'c2', name: 'confirm', input: { question: 'B?' } },
      ]),
      textReply(['Both answered.']),
    ]);
    const host = new RecordingHost({ 'test/model': model });
    const paused = await run(assistant(), host);
    expect(paused).toMatchObject({ status: 'paused', pendingToolCalls: [{ toolCallId: 'c1' }, { toolCallId: 'c2' }] });
    const state = host.checkpoints.at(-1)!;

    const attempt = (toolResults: ExecuteWorkerOptions['toolResults']) => run(assistant(), new RecordingHost({ 'test/model': model }), { state, ...(toolResults ? { toolResults } : {}) });
    await expect(attempt([{ toolCallId: 'c1', result: 'a' }])).rejects.toMatchObject({ name: 'ToolResultsError', problem: 'missing', toolCallIds: ['c2'] });
    await expect(attempt([{ toolCallId: 'c1', result: 'a' }, { toolCallId: 'c9', result: 'x' }])).rejects.toMatchObject({ problem: 'unknown', toolCallIds: ['c9'] });
    await expect(attempt([{ toolCallId: 'c1', result: 'a' }, { toolCallId: 'c1', result: 'b' }])).rejects.toMatchObject({ problem: 'duplicate' });
    await expect(attempt(undefined)).rejects.toBeInstanceOf(ToolResultsError);

    const resumed = new RecordingHost({ 'test/model': model });
    const outcome = await run(assistant(), resumed, {
      state,
      toolResults: [
        { toolCallId: 'c2', result: 'b' },
        { toolCallId: 'c1', error: 'The customer did not answer' },
      ],
    });
    expect(outcome).toMatchObject({ status: 'completed', output: 'Both answered.' });
    expect(resumed.events.slice(1, 3)).toEqual([
      { type: 'tool-output-error', toolCallId: 'c1', error: 'The customer did not answer' },
      { type: 'tool-output-available', toolCallId: 'c2', output: 'b' },
    ]);
  });

  it('refuses tool results for a run that is not paused', async () => {
    const model = scriptedModel([textReply(['hi'])]);
    await expect(run(assistant(), new RecordingHost({ 'test/model': model }), { toolResults: [{ toolCallId: 'x', result: 1 }] })).rejects.toMatchObject({
      problem: 'not-paused',
    });
  });

  it('turns a call without a handler into the documented error result with rejectClientToolCalls', async () => {
    const model = scriptedModel([toolCallReply([{ id: 'c1', name: 'confirm', input: { question: 'Ok?' } }]), textReply(['No confirmation possible.'])]);
    const host = new RecordingHost({ 'test/model': model });
    const outcome = await run(assistant(), host, { rejectClientToolCalls: true });
    expect(outcome).toMatchObject({ status: 'completed' });
    expect(host.ofType('tool-output-error')).toEqual([
      { type: 'tool-output-error', toolCallId: 'c1', error: 'Tool "confirm" is not available. No handler is registered for this tool.' },
    ]);
    expect(host.types).not.toContain('client-tool-request');
  });
});

describe('the agentic loop (maxSteps)', () => {
  it('loops while the model calls tools, up to maxSteps; the last step’s calls still run', async () => {
    const call = (n: number) => toolCallReply([{ id: `c${n}`, name: 'lookup-order', input: { orderId: String(n) } }], { text: `step ${n}` });
    const model = scriptedModel([call(1), call(2), call(3), textReply(['never'])]);
    let handled = 0;
    const host = new RecordingHost({ 'test/model': model }, { handlers: { 'lookup-order': async () => ++handled } });
    const outcome = await run(assistant(3), host);
    expect(outcome).toMatchObject({ status: 'completed', output: 'step 3', usage: times(3) });
    expect(model.doStreamCalls).toHaveLength(3);
    expect(handled).toBe(3);
    expect(host.ofType('text-start').map((event) => event.id)).toEqual(['e:2:text-1', 'e:2:text-2', 'e:2:text-3']);
    expect(host.checkpoints.at(-1)!.toolSteps).toBe(3);
  });

  it('with maxSteps 1, runs the calls of the only step and ends the turn', async () => {
    const model = scriptedModel([toolCallReply([{ id: 'c1', name: 'lookup-order', input: { orderId: '1' } }], { text: 'Looking.' })]);
    const host = new RecordingHost({ 'test/model': model }, { handlers: { 'lookup-order': async () => 'found' } });
    const outcome = await run(assistant(1), host);
    expect(outcome).toMatchObject({ status: 'completed', output: 'Looking.' });
    expect(model.doStreamCalls).toHaveLength(1);
    expect(host.checkpoints.at(-1)!.threads.main!.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool']);
  });

  it('fails the run when it uses up limits.maxToolSteps', async () => {
    const call = (n: number) => toolCallReply([{ id: `c${n}`, name: 'lookup-order', input: { orderId: String(n) } }]);
    const model = scriptedModel([call(1), call(2), call(3)]);
    const host = new RecordingHost({ 'test/model': model }, { handlers: { 'lookup-order': async () => 'x' } });
    const outcome = await run(assistant(5), host, { limits: { maxToolSteps: 2 } });
    expect(outcome).toMatchObject({ status: 'failed', error: { errorType: 'execution_error', message: 'The run reached its limit of 2 tool steps (limits.maxToolSteps).' } });
  });
});

describe('tool display', () => {
  it('puts display and title on tool-input-start and hides the events of a hidden tool', async () => {
    const model = scriptedModel([
      toolCallReply([
        { id: 'c1', name: 'audit', input: { note: 'checked' } },
        { id: 'c2', name: 'confirm', input: { question: 'Ok?' } },
      ]),
    ]);
    const host = new RecordingHost({ 'test/model': model }, { handlers: { audit: async () => 'logged' } });
    await run(assistant(), host);
    expect(host.ofType('tool-input-start')).toEqual([
      { type: 'tool-input-start', toolCallId: 'c1', toolName: 'audit', display: 'hidden' },
      { type: 'tool-input-start', toolCallId: 'c2', toolName: 'confirm', display: 'title', title: 'Asking the customer' },
    ]);
    const visibleIds = host.visible.flatMap((event) => ('toolCallId' in event ? [event.toolCallId] : []));
    expect(visibleIds).not.toContain('c1');
    expect(visibleIds).toContain('c2');
    // Hidden blocks are flagged too; the client-tool-request never is.
    expect(host.visible.map((event) => event.type)).toEqual(
      expect.arrayContaining(['start', 'worker-start', 'block-start', 'client-tool-request', 'finish']),
    );
    expect(host.visible.filter((event) => event.type === 'block-start').map((event) => event.type === 'block-start' && event.blockName)).toEqual(['Answer']);
  });
});

describe('the tool-call block', () => {
  const source = `
input:
  ORDER: { type: string }
variables:
  RESULT: { type: unknown }
  MISSING: { type: string }
tools:
  lookup-order:
    description: Fetch an order by id
    parameters:
      orderId: { type: string }
      verbose: { type: boolean, optional: true }
      note: { type: string, optional: true }
steps:
  Look up:
    block: tool-call
    tool: lookup-order
    thread: orders
    input:
      orderId: ORDER
      verbose: true
      note: MISSING
    output: RESULT
output: RESULT
`;

  it('calls the tool with literal and variable arguments and stores the result', async () => {
    const seen: unknown[] = [];
    const host = new RecordingHost(
      {},
      {
        handlers: {
          'lookup-order': async (args) => {
            seen.push(args);
            return { id: args.orderId, status: 'open' };
          },
        },
      },
    );
    const outcome = await run(load(source), host, { input: { ORDER: 'A-7' } });
    expect(outcome).toMatchObject({ status: 'completed', output: { id: 'A-7', status: 'open' }, usage: ZERO });
    // An unset variable leaves its argument out.
    expect(seen).toEqual([{ orderId: 'A-7', verbose: true }]);
    expect(host.events.slice(2, -3)).toEqual([
      { type: 'block-start', blockId: 'e:0', blockName: 'Look up', blockType: 'tool-call', display: 'description', thread: 'orders' },
      { type: 'tool-input-start', toolCallId: 'e:0:call-1', toolName: 'lookup-order', display: 'description' },
      { type: 'tool-input-delta', toolCallId: 'e:0:call-1', inputTextDelta: '{"orderId":"A-7","verbose":true}' },
      { type: 'tool-input-end', toolCallId: 'e:0:call-1' },
      { type: 'tool-input-available', toolCallId: 'e:0:call-1', toolName: 'lookup-order', input: { orderId: 'A-7', verbose: true } },
      { type: 'tool-output-available', toolCallId: 'e:0:call-1', output: { id: 'A-7', status: 'open' } },
      { type: 'block-end', blockId: 'e:0' },
    ]);
  });

  it('pauses for a client tool with a block-source call and resumes after the block', async () => {
    const host = new RecordingHost({});
    const paused = await run(load(source), host, { input: { ORDER: 'A-7' } });
    const call = { toolCallId: 'e:0:call-1', toolName: 'lookup-order', args: { orderId: 'A-7', verbose: true }, source: 'block', blockIndex: 0, outputVariable: 'RESULT', thread: 'orders' };
    expect(paused).toMatchObject({ status: 'paused', pendingToolCalls: [call] });
    expect(host.events.at(-2)).toEqual({ type: 'client-tool-request', executionId: 'e', toolCalls: [call] });

    const resumed = new RecordingHost({});
    const outcome = await run(load(source), resumed, { input: { ORDER: 'A-7' }, state: host.checkpoints.at(-1)!, toolResults: [{ toolCallId: 'e:0:call-1', result: { status: 'closed' } }] });
    expect(outcome).toMatchObject({ status: 'completed', output: { status: 'closed' } });
    expect(resumed.types).toEqual(['start', 'tool-output-available', 'block-end', 'worker-result', 'finish', 'usage']);
    // No checkpoint after the answer holds the answered batch (a host would take it for a new pause).
    expect(resumed.checkpoints.filter((state) => state.pending)).toEqual([]);
  });

  it('fails the step with tool_error when the call fails: no model can see the error', async () => {
    const host = new RecordingHost(
      {},
      {
        handlers: {
          'lookup-order': async () => {
            throw new Error('No such order');
          },
        },
      },
    );
    const outcome = await run(load(source), host, { input: { ORDER: 'A-7' } });
    expect(outcome).toMatchObject({ status: 'failed', error: { errorType: 'tool_error', message: 'Step "Look up": tool "lookup-order" failed: No such order' } });
    expect(host.types.slice(-4)).toEqual(['tool-input-available', 'tool-output-error', 'worker-result', 'error']);
    expect(host.events.at(-1)).toMatchObject({ source: 'tool', tool: { name: 'lookup-order', callId: 'e:0:call-1' } });
  });
});

describe('built-in tools', () => {
  it('offers references as octavus_reference_list / octavus_reference_read and a todo list', async () => {
    const protocol = load(
      `
variables:
  OUT: { type: string }
steps:
  Start:
    block: start-thread
    thread: main
    model: test/model
    system: sys
    references: [refund-policy]
    todoList: true
    maxSteps: 3
  Ask: { block: add-message, role: user, prompt: sys }
  Answer: { block: next-message, output: OUT }
output: OUT
`,
      { sys: 'Help.' },
      [{ name: 'refund-policy', description: 'When refunds apply', content: 'Refunds within 30 days.' }],
    );
    const model = scriptedModel([
      toolCallReply([
        { id: 'c1', name: 'octavus_reference_list', input: {} },
        { id: 'c2', name: 'octavus_reference_read', input: { name: 'refund-policy' } },
      ]),
      toolCallReply([{ id: 'c3', name: 'octavus_todo_write', input: { todos: [{ id: '1', content: 'Refund', status: 'in_progress' }] } }]),
      textReply(['Refund started.']),
    ]);
    const host = new RecordingHost({ 'test/model': model });
    const outcome = await run(protocol, host);
    expect(outcome).toMatchObject({ status: 'completed', output: 'Refund started.' });
    expect(model.doStreamCalls[0]!.tools!.map((tool) => tool.name)).toEqual(['octavus_reference_list', 'octavus_reference_read', 'octavus_todo_write']);
    expect(host.ofType('tool-output-available').map((event) => event.output)).toEqual([
      [{ name: 'refund-policy', description: 'When refunds apply' }],
      { name: 'refund-policy', content: 'Refunds within 30 days.' },
      { todos: 1 },
    ]);
    expect(host.ofType('todo-update')).toEqual([{ type: 'todo-update', todos: [{ id: '1', content: 'Refund', status: 'in_progress' }] }]);
    expect(host.checkpoints.at(-1)!.threads.main!.todos).toEqual([{ id: '1', content: 'Refund', status: 'in_progress' }]);
  });

  it('offers octavus_generate_image with imageModel: the picture reaches the client, a description the model', async () => {
    const protocol = load(
      `
variables:
  OUT: { type: string }
steps:
  Start: { block: start-thread, thread: main, model: test/model, system: sys, imageModel: offline/image, maxSteps: 2 }
  Ask: { block: add-message, role: user, prompt: sys }
  Answer: { block: next-message, output: OUT }
output: OUT
`,
      { sys: 'Draw a cat.' },
    );
    const model = scriptedModel([toolCallReply([{ id: 'c1', name: 'octavus_generate_image', input: { prompt: 'A cat', aspectRatio: '4:3' } }]), textReply(['Here it is.'])]);
    const host = new RecordingHost({ 'test/model': model });
    const outcome = await run(protocol, host);
    expect(outcome).toMatchObject({ status: 'completed', output: 'Here it is.' });
    const [file] = host.ofType('file-available');
    expect(file).toMatchObject({ id: 'c1:image', mediaType: 'image/png', toolCallId: 'c1', url: expect.stringMatching(/^data:image\/png;base64,/) });
    expect(host.ofType('tool-output-available')[0]!.output).toEqual({ id: 'c1:image', mediaType: 'image/png', filename: 'c1-image.png', size: file!.size, shownToUser: true });
    expect(host.types.indexOf('file-available')).toBeLessThan(host.types.indexOf('tool-output-available'));
  });

  it('runs octavus_web_search with the host’s handler', async () => {
    const protocol = load(
      `
variables:
  OUT: { type: string }
steps:
  Start: { block: start-thread, thread: main, model: test/model, system: sys, webSearch: true, maxSteps: 2 }
  Ask: { block: add-message, role: user, prompt: sys }
  Answer: { block: next-message, output: OUT }
output: OUT
`,
      { sys: 'Search.' },
    );
    const model = scriptedModel([toolCallReply([{ id: 'c1', name: 'octavus_web_search', input: { query: 'tides' } }]), textReply(['Found.'])]);
    const host = new RecordingHost({ 'test/model': model }, { handlers: { octavus_web_search: async ({ query }) => [{ title: `About ${String(query)}` }] } });
    await expect(run(protocol, host)).resolves.toMatchObject({ status: 'completed', output: 'Found.' });
    expect(host.ofType('tool-output-available')[0]!.output).toEqual([{ title: 'About tides' }]);
  });

  it('fails the start-thread with unsupported_error for webSearch without a handler', async () => {
    const protocol = load(`steps:\n  Start: { block: start-thread, thread: main, model: test/model, system: sys, webSearch: true }\n`, { sys: 'x' });
    const outcome = await run(protocol, new RecordingHost({ 'test/model': scriptedModel([textReply(['x'])]) }));
    expect(outcome).toMatchObject({ status: 'failed', error: { errorType: 'unsupported_error', message: expect.stringContaining('octavus_web_search') } });
  });
});
