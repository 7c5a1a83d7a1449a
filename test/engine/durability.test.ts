/**
 * Durable execution and limits (issue 3): an interrupted block retried once and visibly,
 * a second interruption failing the run, an agentic turn continued from its last step,
 * checkpoints the run does not wait for (after a block) stored before anything calls out,
 * run and step time limits, cancellation inside a tool call.
 */
import { MockLanguageModelV3 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { executeWorker, type RunState } from '../../src/engine/execute.js';
import { load, loadExample, RecordingHost, scriptedModel, textReply, toolCallReply } from './fixtures.js';

const SONNET = 'anthropic/claude-sonnet-4-5';
const INPUT = { CONVERSATION_SUMMARY: 'Solid-state batteries.' };

/** The title generator's checkpoint taken just before its next-message started. */
async function stateBeforeModelBlock(): Promise<RunState> {
  const protocol = await loadExample('title-generator');
  const host = new RecordingHost({ [SONNET]: scriptedModel([textReply(['first'])]) });
  await executeWorker(protocol, { input: INPUT, host, executionId: 'e', workerId: 'w' });
  return host.checkpoints.find((state) => state.attempt !== undefined)!;
}

describe('resuming after a crash', () => {
  it('retries an interrupted model block once, with a second block-start and new part ids', async () => {
    const protocol = await loadExample('title-generator');
    const interrupted = await stateBeforeModelBlock();
    expect(interrupted).toMatchObject({ nextStep: 2, attempt: { step: 2, count: 1 } });

    const host = new RecordingHost({ [SONNET]: scriptedModel([textReply(['Retried title'])]) });
    const outcome = await executeWorker(protocol, { input: INPUT, host, executionId: 'e', workerId: 'w', state: interrupted });

    expect(outcome).toMatchObject({ status: 'completed', output: 'Retried title' });
    expect(host.events.slice(0, 3)).toEqual([
      { type: 'start', executionId: 'e' },
      { type: 'block-start', blockId: 'e:2', blockName: 'Generate title', blockType: 'next-message', display: 'stream', outputToChat: true, thread: 'title-gen' },
      { type: 'text-start', id: 'e:2.2:text-1', thread: 'title-gen' },
    ]);
    expect(host.checkpoints[0]).toMatchObject({ nextStep: 2, attempt: { step: 2, count: 2 } });
    expect(host.checkpoints.at(-1)!.attempt).toBeUndefined();
  });

  it('fails the run when the same block is interrupted a second time', async () => {
    const protocol = await loadExample('title-generator');
    const twice = { ...(await stateBeforeModelBlock()), attempt: { step: 2, count: 2 } };
    const model = scriptedModel([textReply(['never'])]);
    const host = new RecordingHost({ [SONNET]: model });
    const outcome = await executeWorker(protocol, { input: INPUT, host, executionId: 'e', workerId: 'w', state: twice });
    expect(outcome).toMatchObject({
      status: 'failed',
      error: { errorType: 'execution_error', message: 'Step "Generate title" was interrupted 2 times (the server stopped while it ran); it is not tried again.' },
    });
    expect(host.types).toEqual(['start', 'worker-result', 'error']);
    expect(model.doStreamCalls).toHaveLength(0);
  });

  it('continues an agentic turn from its last checkpointed step instead of restarting it', async () => {
    const protocol = load(
      `
variables:
  OUT: { type: string }
tools:
  lookup: { description: Look up, parameters: { key: { type: string } } }
steps:
  Start: { block: start-thread, thread: main, model: test/model, system: sys, tools: [lookup], maxSteps: 3 }
  Ask: { block: add-message, role: user, prompt: sys }
  Answer: { block: next-message, output: OUT }
output: OUT
`,
      { sys: 'Look it up.' },
    );
    let lookups = 0;
    const handlers = { lookup: async () => ++lookups };
    const first = new RecordingHost({ 'test/model': scriptedModel([toolCallReply([{ id: 'c1', name: 'lookup', input: { key: 'a' } }])]) }, { handlers });
    // The first leg dies in the second model call: it never answers.
    first.onEvent = (event) => {
      if (event.type === 'tool-output-available') controller.abort(new Error('process killed'));
    };
    const controller = new AbortController();
    first.signal = controller.signal;
    await executeWorker(protocol, { input: {}, host: first, executionId: 'e', workerId: 'w' });
    const midTurn = first.checkpoints.findLast((state) => state.turn?.steps === 1)!;
    expect(midTurn.turn!.messages.map((message) => message.role)).toEqual(['assistant', 'tool']);

    const model = scriptedModel([textReply(['Answer from step 2'])]);
    const host = new RecordingHost({ 'test/model': model }, { handlers });
    const outcome = await executeWorker(protocol, { input: {}, host, executionId: 'e', workerId: 'w', state: midTurn });

    expect(outcome).toMatchObject({ status: 'completed', output: 'Answer from step 2' });
    expect(lookups).toBe(1);
    expect(model.doStreamCalls[0]!.prompt.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(host.types.slice(0, 3)).toEqual(['start', 'block-start', 'text-start']);
    expect(host.checkpoints.at(-1)!.threads.main!.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
  });
});

describe('checkpoints a block does not wait for', () => {
  it('goes on to the next block at once, but calls the model and ends only once every earlier state is stored', async () => {
    const protocol = await loadExample('title-generator');
    const order: string[] = [];
    const scripted = scriptedModel([textReply(['Title'])]);
    const model = new MockLanguageModelV3({
      modelId: scripted.modelId,
      doStream: (options) => {
        order.push('model called');
        return scripted.doStream(options);
      },
    });
    // A store that takes a few turns of the event loop for each state.
    class SlowStore extends RecordingHost {
      override async checkpoint(state: RunState): Promise<void> {
        const n = this.checkpoints.length + 1;
        order.push(`checkpoint ${n} handed over`);
        await super.checkpoint(state);
        for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
        order.push(`checkpoint ${n} stored`);
      }
    }
    const host = new SlowStore({ [SONNET]: model });

    const outcome = await executeWorker(protocol, { input: INPUT, host, executionId: 'e', workerId: 'w' });
    order.push('outcome');

    expect(outcome).toMatchObject({ status: 'completed', output: 'Title' });
    // After start-thread the add-message block ran before that state was stored…
    expect(order.indexOf('checkpoint 2 handed over')).toBeLessThan(order.indexOf('checkpoint 1 stored'));
    // …every state (the two blocks, the model block's start) was stored before the model was called…
    const called = order.indexOf('model called');
    expect(order.slice(0, called).filter((step) => step.endsWith('stored'))).toHaveLength(3);
    // …and the leg ended only after the last one.
    expect(order.at(-2)).toBe(`checkpoint ${host.checkpoints.length} stored`);
    expect(host.checkpoints.map((state) => state.nextStep)).toEqual([1, 2, 2, 3]);
  });

  it('lets the error of a checkpoint it did not wait for propagate', async () => {
    const protocol = await loadExample('title-generator');
    const host = new RecordingHost({ [SONNET]: scriptedModel([textReply(['x'])]) });
    let calls = 0;
    host.checkpoint = async () => {
      calls += 1;
      // The state after the first block, which the run does not wait for.
      if (calls === 1) throw new Error('lease lost');
    };
    await expect(executeWorker(protocol, { input: INPUT, host, executionId: 'e', workerId: 'w' })).rejects.toThrow('lease lost');
    expect(host.types).not.toContain('text-start');
    expect(host.types).not.toContain('error');
  });
});

describe('time limits', () => {
  it('aborts the model call and fails the run when limits.runTimeoutMs passes', async () => {
    const protocol = await loadExample('title-generator');
    const model = scriptedModel([textReply(['a', 'b', 'c', 'd', 'e', 'f'])], { chunkDelayInMs: 30 });
    const host = new RecordingHost({ [SONNET]: model });
    const outcome = await executeWorker(protocol, { input: INPUT, host, executionId: 'e', workerId: 'w', limits: { runTimeoutMs: 60 } });
    expect(outcome).toMatchObject({ status: 'failed', error: { errorType: 'execution_error', message: 'The run exceeded its time limit of 60 ms (limits.runTimeoutMs).' } });
    expect(model.doStreamCalls[0]!.abortSignal?.aborted).toBe(true);
  });

  it('counts the active time of earlier legs', async () => {
    const protocol = await loadExample('title-generator');
    const state = { ...(await stateBeforeModelBlock()), activeMs: 10_000 };
    const host = new RecordingHost({ [SONNET]: scriptedModel([textReply(['x'])]) });
    const outcome = await executeWorker(protocol, { input: INPUT, host, executionId: 'e', workerId: 'w', state, limits: { runTimeoutMs: 5_000 } });
    expect(outcome).toMatchObject({ status: 'failed', error: { message: 'The run exceeded its time limit of 5000 ms (limits.runTimeoutMs).' } });
  });

  it('fails a model call that exceeds limits.stepTimeoutMs as provider_timeout, and the backup model takes over', async () => {
    const source = `
variables:
  OUT: { type: string }
steps:
  Start: { block: start-thread, thread: main, model: test/slow, BACKUP system: sys }
  Ask: { block: add-message, role: user, prompt: sys }
  Answer: { block: next-message, output: OUT }
output: OUT
`;
    const slow = () => scriptedModel([textReply(['too', 'slow', 'to', 'finish'])], { chunkDelayInMs: 40 });
    const alone = new RecordingHost({ 'test/slow': slow() });
    const failed = await executeWorker(load(source.replace('BACKUP ', ''), { sys: 'x' }), { input: {}, host: alone, executionId: 'e', workerId: 'w', limits: { stepTimeoutMs: 50 } });
    expect(failed).toMatchObject({ status: 'failed', error: { errorType: 'provider_timeout', message: 'The model did not finish within 50 ms (limits.stepTimeoutMs).' } });
    expect(alone.events.at(-1)).toMatchObject({ type: 'error', source: 'provider', retryable: true, provider: { name: 'mock', model: 'mock-model' } });

    // Nothing streamed before the limit (the first chunk comes late): the backup answers.
    const lateStart = scriptedModel([textReply(['late'])], { chunkDelayInMs: 100 });
    const saved = new RecordingHost({ 'test/slow': lateStart, 'test/backup': scriptedModel([textReply(['from backup'])]) });
    const outcome = await executeWorker(load(source.replace('BACKUP ', 'backupModel: test/backup, '), { sys: 'x' }), {
      input: {},
      host: saved,
      executionId: 'e',
      workerId: 'w',
      limits: { stepTimeoutMs: 50 },
    });
    expect(outcome).toMatchObject({ status: 'completed', output: 'from backup' });
  });
});

describe('cancellation', () => {
  it('cancels inside a tool handler: the handler’s signal aborts and the run ends cancelled', async () => {
    const protocol = load(
      `
tools:
  slow: { description: Slow }
steps:
  Call: { block: tool-call, tool: slow }
`,
    );
    const controller = new AbortController();
    let handlerSignal: AbortSignal | undefined;
    const host = new RecordingHost(
      {},
      {
        handlers: {
          slow: (_args, { signal }) => {
            handlerSignal = signal;
            controller.abort(new Error('user cancelled'));
            return new Promise(() => {});
          },
        },
      },
    );
    host.signal = controller.signal;
    const outcome = await executeWorker(protocol, { input: {}, host, executionId: 'e', workerId: 'w' });
    expect(outcome.status).toBe('cancelled');
    expect(handlerSignal?.aborted).toBe(true);
    expect(host.types.slice(-3)).toEqual(['worker-result', 'finish', 'usage']);
  });
});
