/**
 * Token accounting (issue 3, "Usage"): every model call adds its tokens to its thread
 * and to the run. A run counts its own model calls only; a nested worker's tokens are
 * its own run's (reported in its `worker-result.usage`), so summing runs never counts a
 * token twice.
 */
import type { TokenUsage } from './events.js';
import type { ModelTokens, RunState, RunTotals, ThreadUsage } from './execution-types.js';

/** No tokens. */
export function zeroUsage(): TokenUsage {
  return { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
}

/** Tokens reported by the AI SDK for one call; absent counts are 0. */
export interface CallUsage {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  totalTokens: number | undefined;
  inputTokenDetails?: { cacheReadTokens: number | undefined };
}

/**
 * Adds one call's tokens to thread `thread`, to the run, and to the model that answered
 * (`model`: `provider/modelId` as resolved, the key prices are looked up by).
 */
export function recordUsage(state: RunState, thread: string, model: string, usage: CallUsage): void {
  const input = usage.inputTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  const call: TokenUsage = { inputTokens: input, outputTokens: output, totalTokens: usage.totalTokens ?? input + output };
  state.usage = sum(state.usage, call);
  const threadState = state.threads[thread];
  if (threadState) threadState.usage = sum(threadState.usage ?? zeroUsage(), call);
  const models = (state.models ??= {});
  const before: ModelTokens = models[model] ?? { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  models[model] = {
    inputTokens: before.inputTokens + input,
    outputTokens: before.outputTokens + output,
    cachedInputTokens: before.cachedInputTokens + (usage.inputTokenDetails?.cacheReadTokens ?? 0),
  };
}

/** The run's token counts so far: in total, per thread and per model. */
export function totalsOf(state: RunState): RunTotals {
  return { usage: state.usage, threadUsage: threadUsage(state), modelUsage: state.models ?? {} };
}

/** Tokens per thread of the run, zero for a thread that made no call yet. */
export function threadUsage(state: RunState): ThreadUsage {
  return Object.fromEntries(Object.entries(state.threads).map(([name, thread]) => [name, thread.usage ?? zeroUsage()]));
}

function sum(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, totalTokens: a.totalTokens + b.totalTokens };
}
