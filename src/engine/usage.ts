/**
 * Token accounting (issue 3, "Usage"): every model call adds its tokens to its thread
 * and to the run. A run counts its own model calls only; a nested worker's tokens are
 * its own run's (reported in its `worker-result.usage`), so summing runs never counts a
 * token twice.
 */
import type { TokenUsage } from './events.js';
import type { RunState, ThreadUsage } from './execution-types.js';

/** No tokens. */
export function zeroUsage(): TokenUsage {
  return { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
}

/** Tokens reported by the AI SDK for one call; absent counts are 0. */
export interface CallUsage {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  totalTokens: number | undefined;
}

/** Adds one call's tokens to thread `thread` and to the run. */
export function recordUsage(state: RunState, thread: string, usage: CallUsage): void {
  const input = usage.inputTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  const call: TokenUsage = { inputTokens: input, outputTokens: output, totalTokens: usage.totalTokens ?? input + output };
  state.usage = sum(state.usage, call);
  const threadState = state.threads[thread];
  if (threadState) threadState.usage = sum(threadState.usage ?? zeroUsage(), call);
}

/** Tokens per thread of the run, zero for a thread that made no call yet. */
export function threadUsage(state: RunState): ThreadUsage {
  return Object.fromEntries(Object.entries(state.threads).map(([name, thread]) => [name, thread.usage ?? zeroUsage()]));
}

function sum(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, totalTokens: a.totalTokens + b.totalTokens };
}
