/**
 * Model prices and the cost of token usage (README "Cost and budgets"). Prices are in USD
 * per million tokens, keyed by the model id the provider bills (`gpt-4o`, not
 * `openai/gpt-4o`: the id the model registry sends, so an alias is priced as the model
 * that answered). `MODEL_PRICES` (src/config.ts) overrides or adds entries.
 */
import { z } from 'zod';

import type { ModelUsage } from '../engine/execution-types.js';

/** USD per million tokens of one model. */
export interface ModelPrice {
  /** Input (prompt) tokens not read from the provider's cache. */
  input: number;
  /** Output (completion) tokens, reasoning tokens included. */
  output: number;
  /** Input tokens read from the provider's prompt cache; the input price when absent. */
  cachedInput?: number;
}

/** Prices by billed model id. */
export type ModelPrices = Readonly<Record<string, ModelPrice>>;

/** What a price table entry of `MODEL_PRICES` must look like. */
export const ModelPriceModel = z.strictObject({
  input: z.number({ message: 'must be USD per million input tokens' }).nonnegative(),
  output: z.number({ message: 'must be USD per million output tokens' }).nonnegative(),
  cachedInput: z.number({ message: 'must be USD per million cached input tokens' }).nonnegative().optional(),
});

/**
 * OpenAI's published list prices (standard tier, https://openai.com/api/pricing) as of
 * 2025-08-07. Dated snapshots (`gpt-4o-2024-08-06`) are priced as their model.
 */
export const DEFAULT_MODEL_PRICES: ModelPrices = {
  'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  o1: { input: 15, cachedInput: 7.5, output: 60 },
  o3: { input: 2, cachedInput: 0.5, output: 8 },
  'o3-mini': { input: 1.1, cachedInput: 0.55, output: 4.4 },
  'o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
};

/** A dated snapshot's suffix, e.g. `-2024-08-06`. */
const SNAPSHOT_DATE = /-\d{4}-\d{2}-\d{2}$/;

/**
 * The price of billed model `modelId` in `prices`: its own entry, else that of the model a
 * dated snapshot belongs to.
 * @returns undefined when the table has neither
 */
export function priceOf(prices: ModelPrices, modelId: string): ModelPrice | undefined {
  if (Object.hasOwn(prices, modelId)) return prices[modelId];
  const undated = modelId.replace(SNAPSHOT_DATE, '');
  return undated !== modelId && Object.hasOwn(prices, undated) ? prices[undated] : undefined;
}

/**
 * The cost in USD of `usage`. The built-in offline model costs nothing.
 * @returns null when some model that used tokens has no price (an unknown cost is not zero)
 */
export function costOf(prices: ModelPrices, usage: ModelUsage): number | null {
  let total = 0;
  for (const [key, tokens] of Object.entries(usage)) {
    const slash = key.indexOf('/');
    if (key.slice(0, slash) === 'offline') continue;
    const price = priceOf(prices, key.slice(slash + 1));
    if (!price) {
      if (tokens.inputTokens + tokens.outputTokens > 0) return null;
      continue;
    }
    const cached = Math.min(tokens.cachedInputTokens, tokens.inputTokens);
    total += ((tokens.inputTokens - cached) * price.input + cached * (price.cachedInput ?? price.input) + tokens.outputTokens * price.output) / 1e6;
  }
  return total;
}
