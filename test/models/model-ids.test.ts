/** Short model ids as the product documents write them, turned into `vendor/model`. */
import { describe, expect, it } from 'vitest';

import { vendorModelId } from '../../src/models/model-ids.js';

describe('short model ids', () => {
  it.each([
    ['claude-sonnet-4.5', 'anthropic/claude-sonnet-4-5'],
    ['claude-3.5-haiku', 'anthropic/claude-3-5-haiku'],
    ['gpt-4o', 'openai/gpt-4o'],
    ['gpt-4.1-mini', 'openai/gpt-4.1-mini'],
    ['o3-mini', 'openai/o3-mini'],
    ['gemini-2.5-pro', 'google/gemini-2.5-pro'],
    ['openai/gpt-4o', 'openai/gpt-4o'],
    ['anthropic/claude-sonnet-4-5', 'anthropic/claude-sonnet-4-5'],
  ])('reads %s as %s', (id, expected) => {
    expect(vendorModelId(id)).toBe(expected);
  });

  it('knows no vendor for a short id of an unknown family', () => {
    expect(vendorModelId('sonnet')).toBeNull();
    expect(vendorModelId('my-model')).toBeNull();
  });
});
