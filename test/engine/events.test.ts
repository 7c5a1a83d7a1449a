/** The event vocabulary (docs/protocol.md section 13). */
import { describe, expect, it } from 'vitest';
import { endsStream, isTerminalEvent, STREAM_EVENT_TYPE_NAMES, type StreamEvent } from '../../src/engine/events.js';

describe('stream events', () => {
  it('names every event type of section 13 once', () => {
    expect(STREAM_EVENT_TYPE_NAMES).toHaveLength(29);
    expect(new Set(STREAM_EVENT_TYPE_NAMES).size).toBe(29);
    expect(STREAM_EVENT_TYPE_NAMES.slice(0, 3)).toEqual(['start', 'finish', 'error']);
    expect(STREAM_EVENT_TYPE_NAMES).toContain('worker-input-ready');
  });

  it('tells which events end a stream', () => {
    const finish = (finishReason: 'stop' | 'tool-calls' | 'client-tool-calls'): StreamEvent => ({ type: 'finish', finishReason });
    const error: StreamEvent = { type: 'error', errorType: 'execution_error', message: 'x', retryable: false, source: 'platform' };
    const usage: StreamEvent = {
      type: 'usage',
      tokens: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      cost: { currency: 'USD', bandwidthFee: 0, providerFee: 0, totalFee: 0, byok: true },
    };
    expect([finish('stop'), error, usage, { type: 'start' } as StreamEvent].map(isTerminalEvent)).toEqual([true, true, false, false]);
    // A completed run ends with finish{stop} → usage: the stream ends at usage.
    expect([finish('stop'), usage, error, finish('tool-calls'), finish('client-tool-calls')].map(endsStream)).toEqual([false, true, true, true, true]);
  });
});
