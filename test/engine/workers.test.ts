/**
 * Workers calling workers (docs/protocol.md section 11): run-worker with each display mode,
 * workers offered to a model as tools, tool mapping, nested client tools, failures and
 * the depth limit.
 */
import { describe, expect, it } from 'vitest';
import type { DisplayMode, StreamEvent } from '../../src/engine/events.js';
import { executeWorker } from '../../src/engine/execute.js';
import { load, RecordingHost, scriptedModel, textReply, toolCallReply } from './fixtures.js';

const SUMMARIZE = load(
  `
input:
  TEXT: { type: string, description: The text to summarize }
variables:
  SUMMARY: { type: string }
tools:
  search:
    description: Search
    parameters:
      query: { type: string }
steps:
  Start: { block: start-thread, thread: main, model: test/model, system: sys, tools: [search], maxSteps: 2 }
  Ask: { block: add-message, role: user, prompt: ask, input: [TEXT] }
  Answer: { block: next-message, output: SUMMARY }
output: SUMMARY
`,
  { sys: 'You summarize.', ask: 'Summarize: {{TEXT}}' },
  [],
  { slug: 'summarize', name: 'Summarize', description: 'Summarizes a text', format: 'worker' },
);

const parent = (display: DisplayMode) =>
  load(`
variables:
  NOTES: { type: string, default: Long notes }
  SUMMARY: { type: string }
tools:
  web-search:
    description: Search the web
    parameters:
      query: { type: string }
workers:
  summarize:
    description: Summarizing notes
    display: ${display}
    title: Summary
    tools: { search: web-search }
steps:
  Summarize:
    block: run-worker
    worker: summarize
    input: { TEXT: NOTES }
    output: SUMMARY
output: SUMMARY
`);

function runParent(display: DisplayMode, replies = [textReply(['Short.'])], handlers = {}) {
  const host = new RecordingHost({ 'test/model': scriptedModel(replies) }, { handlers, workers: { summarize: SUMMARIZE } });
  return { host, outcome: executeWorker(parent(display), { input: {}, host, executionId: 'e', workerId: 'w' }) };
}

/** The events the parent's stream got between its run-worker block-start and block-end. */
function forwarded(host: RecordingHost): StreamEvent[] {
  const start = host.events.findIndex((event) => event.type === 'block-start');
  const end = host.events.findIndex((event) => event.type === 'block-end' && event.workerId === undefined);
  return host.events.slice(start + 1, end);
}

describe('run-worker', () => {
  it('runs the child with the mapped input as a run of its own and stores its output (display stream)', async () => {
    const { host, outcome } = runParent('stream');
    await expect(outcome).resolves.toMatchObject({ status: 'completed', output: 'Short.', usage: { totalTokens: 0 } });

    const [child] = host.children;
    const workerId = child!.request.workerId;
    expect(child!.request).toEqual({ slug: 'summarize', workerId: expect.stringMatching(/^[0-9a-f-]{36}$/), input: { TEXT: 'Long notes' }, display: 'stream', description: 'Summarizing notes', depth: 1 });
    expect(child!.outcome).toMatchObject({ status: 'completed', output: 'Short.', usage: { inputTokens: 10, outputTokens: 4, totalTokens: 14 } });
    // The child's own stream is complete: its own start, worker-start and end.
    expect(child!.host.types[0]).toBe('start');
    expect(child!.host.types.slice(-3)).toEqual(['worker-result', 'finish', 'usage']);
    expect(child!.host.events[0]).toEqual({ type: 'start', executionId: 'child-1' });

    const events = forwarded(host);
    expect(events[0]).toEqual({
      type: 'worker-start',
      workerId,
      workerSlug: 'summarize',
      description: 'Summarizing notes',
      input: { TEXT: 'Long notes' },
      models: [{ requested: 'test/model', provider: 'mock', modelId: 'mock-model', offline: false }],
    });
    expect(events.map((event) => event.type)).toEqual([
      'worker-start',
      'block-start',
      'block-end',
      'block-start',
      'block-end',
      'block-start',
      'text-start',
      'text-delta',
      'text-end',
      'block-end',
      'worker-result',
    ]);
    expect(events.every((event) => 'workerId' in event && event.workerId === workerId)).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'worker-result', workerId, output: 'Short.', usage: { inputTokens: 10, outputTokens: 4, totalTokens: 14 } });
    // The child's hidden blocks stay hidden in the parent's stream.
    const hidden = host.events.map((event, index) => [event, host.metas[index]!.hidden] as const).filter(([, isHidden]) => isHidden);
    expect(hidden.map(([event]) => (event.type === 'block-start' ? event.blockName : event.type))).toEqual(['Start', 'block-end', 'Ask', 'block-end']);
  });

  it.each([
    ['description', { description: 'Summarizing notes' }],
    ['title', { description: 'Summary' }],
    ['name', {}],
  ] as const)('forwards only worker-start (no input) and worker-result with display %s', async (display, described) => {
    const { host, outcome } = runParent(display);
    await expect(outcome).resolves.toMatchObject({ status: 'completed', output: 'Short.' });
    const workerId = host.children[0]!.request.workerId;
    expect(forwarded(host)).toEqual([
      { type: 'worker-start', workerId, workerSlug: 'summarize', ...described, models: [{ requested: 'test/model', provider: 'mock', modelId: 'mock-model', offline: false }] },
      { type: 'worker-result', workerId, output: 'Short.', usage: { inputTokens: 10, outputTokens: 4, totalTokens: 14 } },
    ]);
  });

  it('forwards nothing with display hidden', async () => {
    const { host, outcome } = runParent('hidden');
    await expect(outcome).resolves.toMatchObject({ status: 'completed', output: 'Short.' });
    expect(forwarded(host)).toEqual([]);
    expect(host.children[0]!.host.events.length).toBeGreaterThan(5);
  });

  it('runs the parent’s handler when the child calls a mapped tool', async () => {
    const queries: unknown[] = [];
    const { host, outcome } = runParent('stream', [toolCallReply([{ id: 'k1', name: 'search', input: { query: 'notes' } }]), textReply(['Found it.'])], {
      'web-search': async (args: Record<string, unknown>) => {
        queries.push(args);
        return ['result'];
      },
    });
    await expect(outcome).resolves.toMatchObject({ status: 'completed', output: 'Found it.' });
    expect(queries).toEqual([{ query: 'notes' }]);
    const workerId = host.children[0]!.request.workerId;
    expect(host.ofType('tool-output-available')).toEqual([{ type: 'tool-output-available', toolCallId: 'k1', output: ['result'], workerId }]);
  });

  it('gives a nested client tool an error result instead of pausing', async () => {
    const { host, outcome } = runParent('stream', [toolCallReply([{ id: 'k1', name: 'search', input: { query: 'notes' } }]), textReply(['No search.'])]);
    await expect(outcome).resolves.toMatchObject({ status: 'completed', output: 'No search.' });
    expect(host.ofType('tool-output-error')).toEqual([
      { type: 'tool-output-error', toolCallId: 'k1', error: 'Tool "search" is not available. No handler is registered for this tool.', workerId: host.children[0]!.request.workerId },
    ]);
    expect(host.types).not.toContain('client-tool-request');
  });

  it('fails the run-worker step with the child’s error type when the child fails', async () => {
    const host = new RecordingHost({}, { workers: { summarize: SUMMARIZE } });
    const outcome = await executeWorker(parent('description'), { input: {}, host, executionId: 'e', workerId: 'w' });
    expect(outcome).toMatchObject({ status: 'failed', error: { errorType: 'not_found_error', message: 'Worker "summarize" failed: Cannot resolve model "test/model"' } });
    expect(host.children[0]!.outcome).toMatchObject({ status: 'failed' });
    const workerId = host.children[0]!.request.workerId;
    expect(host.events.filter((event) => 'workerId' in event && event.workerId === workerId).map((event) => event.type)).toEqual(['worker-start', 'worker-result']);
  });

  it('bounds the nesting depth with limits.maxDepth', async () => {
    const recursive = load(`
workers:
  recurse: { display: name }
steps:
  Again: { block: run-worker, worker: recurse }
`);
    const host = new RecordingHost({}, { workers: { recurse: recursive } });
    const outcome = await executeWorker(recursive, { input: {}, host, executionId: 'e', workerId: 'w', limits: { maxDepth: 2 } });
    expect(outcome).toMatchObject({
      status: 'failed',
      error: {
        errorType: 'execution_error',
        message: 'Worker "recurse" failed: Worker "recurse" failed: Worker "recurse" would run at nesting depth 3, beyond the limit of 2 (limits.maxDepth).',
      },
    });
    expect(host.children[0]!.request.depth).toBe(1);
    expect(host.children[0]!.host.children[0]!.request.depth).toBe(2);
    expect(host.children[0]!.host.children[0]!.host.children).toHaveLength(0);
  });

  it('fails with unsupported_error when the host cannot start workers', async () => {
    const host = new RecordingHost({});
    const plain = { resolveModel: host.resolveModel.bind(host), emit: host.emit.bind(host), checkpoint: host.checkpoint.bind(host) };
    const outcome = await executeWorker(parent('stream'), { input: {}, host: plain, executionId: 'e', workerId: 'w' });
    expect(outcome).toMatchObject({ status: 'failed', error: { errorType: 'unsupported_error' } });
  });
});

describe('workers as tools', () => {
  const assistant = (display: DisplayMode) =>
    load(
      `
variables:
  REPLY: { type: string }
workers:
  summarize:
    description: Summarizing notes
    display: ${display}
steps:
  Start: { block: start-thread, thread: main, model: test/parent, system: sys, workers: [summarize], maxSteps: 2 }
  Ask: { block: add-message, role: user, prompt: sys }
  Answer: { block: next-message, output: REPLY }
output: REPLY
`,
      { sys: 'Summarize the notes with your worker.' },
    );

  it('offers the worker with its inputs as parameters, streams worker-input-*, and gives its output to the model', async () => {
    const parentModel = scriptedModel([toolCallReply([{ id: 'w1', name: 'summarize', input: { TEXT: 'abc' } }]), textReply(['The summary is: Short.'])]);
    const host = new RecordingHost({ 'test/parent': parentModel, 'test/model': scriptedModel([textReply(['Short.'])]) }, { workers: { summarize: SUMMARIZE } });

    const outcome = await executeWorker(assistant('stream'), { input: {}, host, executionId: 'e', workerId: 'w' });

    expect(outcome).toMatchObject({ status: 'completed', output: 'The summary is: Short.' });
    expect(parentModel.doStreamCalls[0]!.tools).toEqual([
      {
        type: 'function',
        name: 'summarize',
        description: 'Summarizing notes',
        inputSchema: { type: 'object', properties: { TEXT: { type: 'string', description: 'The text to summarize' } }, required: ['TEXT'], additionalProperties: false },
      },
    ]);
    const child = host.children[0]!;
    expect(child.request).toMatchObject({ slug: 'summarize', input: { TEXT: 'abc' }, toolCallId: 'w1', depth: 1 });
    const workerId = child.request.workerId;
    const answer = host.events.slice(host.events.findIndex((event) => event.type === 'block-start' && event.blockName === 'Answer') + 1);
    expect(answer.slice(0, 4)).toEqual([
      { type: 'worker-input-start', workerId, workerSlug: 'summarize', description: 'Summarizing notes' },
      { type: 'worker-input-delta', workerId, delta: '{"TEXT":"abc"}' },
      { type: 'worker-input-ready', workerId, input: { TEXT: 'abc' } },
      expect.objectContaining({ type: 'worker-start', workerId, input: { TEXT: 'abc' } }),
    ]);
    expect(host.types).not.toContain('tool-input-start');
    expect(host.ofType('worker-result').filter((event) => event.workerId === workerId)).toHaveLength(1);
    expect(parentModel.doStreamCalls[1]!.prompt[3]).toMatchObject({ role: 'tool', content: [{ toolCallId: 'w1', toolName: 'summarize', output: { type: 'json', value: 'Short.' } }] });
  });

  it('gives a worker that fails to the model as an error result, and a non-stream display no input events', async () => {
    const parentModel = scriptedModel([toolCallReply([{ id: 'w1', name: 'summarize', input: { TEXT: 'abc' } }]), textReply(['It failed.'])]);
    const host = new RecordingHost({ 'test/parent': parentModel }, { workers: { summarize: SUMMARIZE } });
    const outcome = await executeWorker(assistant('description'), { input: {}, host, executionId: 'e', workerId: 'w' });
    expect(outcome).toMatchObject({ status: 'completed', output: 'It failed.' });
    expect(host.types.filter((type) => type.startsWith('worker-input'))).toEqual([]);
    expect(parentModel.doStreamCalls[1]!.prompt[3]).toMatchObject({
      content: [{ output: { type: 'error-text', value: 'Worker "summarize" failed: Cannot resolve model "test/model"' } }],
    });
  });

  it('rejects invalid worker arguments before starting the child', async () => {
    const parentModel = scriptedModel([toolCallReply([{ id: 'w1', name: 'summarize', input: { WRONG: 1 } }]), textReply(['Oops.'])]);
    const host = new RecordingHost({ 'test/parent': parentModel }, { workers: { summarize: SUMMARIZE } });
    await executeWorker(assistant('stream'), { input: {}, host, executionId: 'e', workerId: 'w' });
    expect(host.children).toHaveLength(0);
    expect(parentModel.doStreamCalls[1]!.prompt[3]).toMatchObject({ content: [{ output: { type: 'error-text', value: expect.stringContaining('Invalid arguments for tool "summarize"') } }] });
  });
});
