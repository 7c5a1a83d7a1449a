/** Pricing of token usage (README "Cost and budgets"). */
import { describe, expect, it } from 'vitest';

import { costOf, DEFAULT_MODEL_PRICES, priceOf } from '../../src/models/prices.js';

describe('model prices', () => {
  it('prices input, cached input and output tokens per million', () => {
    const cost = costOf({ 'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 } }, {
      'openai/gpt-4o': { inputTokens: 1_000_000, cachedInputTokens: 400_000, outputTokens: 100_000 },
    });
    expect(cost).toBeCloseTo(0.6 * 2.5 + 0.4 * 1.25 + 0.1 * 10, 10);
  });

  it('prices a dated snapshot as its model, and the offline model at nothing', () => {
    expect(priceOf(DEFAULT_MODEL_PRICES, 'gpt-4o-mini-2024-07-18')).toEqual(DEFAULT_MODEL_PRICES['gpt-4o-mini']);
    expect(costOf(DEFAULT_MODEL_PRICES, { 'offline/gpt-4o': { inputTokens: 10, outputTokens: 10, cachedInputTokens: 0 } })).toBe(0);
  });

  it('does not know the cost of a model without a price: null, not zero', () => {
    const usage = {
      'openai/gpt-4o-mini': { inputTokens: 100, outputTokens: 10, cachedInputTokens: 0 },
      'openai/some-local-model': { inputTokens: 100, outputTokens: 10, cachedInputTokens: 0 },
    };
    expect(costOf(DEFAULT_MODEL_PRICES, usage)).toBeNull();
    expect(costOf({}, {})).toBe(0);
  });
});
