/**
 * A thread's settings as AI SDK call options (docs/protocol.md sections 7 and 9):
 * temperature, output cap, and `thinking` as provider options.
 *
 * `thinking` mapping (ours; the docs name levels, not provider parameters):
 * - OpenAI (`openai`, `openai.chat`, `openai.responses`): `reasoningEffort` low/medium/
 *   high, and `max` → `high` (the highest effort every OpenAI reasoning model takes).
 *   Only for reasoning model ids (`o1`…`o4`, `gpt-5*`, `codex*`): Chat Completions
 *   rejects `reasoning_effort` on other models such as `gpt-4o`, which the default
 *   aliases map Anthropic ids to. `off` sends nothing: OpenAI reasoning models cannot
 *   turn reasoning off across the board.
 * - Anthropic: `thinking: {type: 'enabled', budgetTokens}` with 1,024 / 4,096 / 16,384 /
 *   32,768 tokens for low / medium / high / max, `{type: 'disabled'}` for `off`; merged
 *   with the start-thread's `anthropic` options.
 * - Any other provider (the offline model included): nothing.
 */
import type { streamText } from 'ai';
import type { ResolvedModel, ThreadSettings } from './execution-types.js';
import type { ThinkingLevel } from './types.js';

type ProviderOptions = NonNullable<Parameters<typeof streamText>[0]['providerOptions']>;

/** The call options of one generation in a thread. */
export interface ModelCallOptions {
  temperature?: number;
  maxOutputTokens?: number;
  providerOptions?: ProviderOptions;
}

const ANTHROPIC_BUDGET: Record<Exclude<ThinkingLevel, 'off'>, number> = { low: 1024, medium: 4096, high: 16_384, max: 32_768 };

const OPENAI_EFFORT: Record<Exclude<ThinkingLevel, 'off'>, 'low' | 'medium' | 'high'> = { low: 'low', medium: 'medium', high: 'high', max: 'high' };

/** Whether an OpenAI model id names a reasoning model (accepts `reasoningEffort`). */
export function isOpenAIReasoningModel(modelId: string): boolean {
  const id = modelId.replace(/^openai\//, '');
  return /^(o\d|gpt-5|codex)/.test(id);
}

/** The AI SDK options for a generation by `model` with `settings`. */
export function modelCallOptions(settings: ThreadSettings, model: ResolvedModel): ModelCallOptions {
  const options: ModelCallOptions = {};
  if (settings.temperature !== undefined) options.temperature = settings.temperature;
  if (settings.maxOutputTokens !== undefined) options.maxOutputTokens = settings.maxOutputTokens;
  const providerOptions = thinkingOptions(model, settings.thinking, settings.anthropic);
  if (providerOptions) options.providerOptions = providerOptions;
  return options;
}

function thinkingOptions(model: ResolvedModel, thinking: ThinkingLevel | undefined, anthropic: Record<string, unknown> | undefined): ProviderOptions | undefined {
  const provider = model.provider.split('.')[0];
  if (provider === 'openai' && thinking && thinking !== 'off' && isOpenAIReasoningModel(model.modelId)) {
    return { openai: { reasoningEffort: OPENAI_EFFORT[thinking] } };
  }
  if (provider === 'anthropic' && (thinking || anthropic)) {
    const base = JSON.parse(JSON.stringify(anthropic ?? {})) as ProviderOptions[string];
    if (thinking === 'off') base.thinking = { type: 'disabled' };
    else if (thinking) base.thinking = { type: 'enabled', budgetTokens: ANTHROPIC_BUDGET[thinking] };
    return { anthropic: base };
  }
  return undefined;
}
