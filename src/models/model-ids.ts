/**
 * Model ids in the short form the product documents use (`model: 'claude-sonnet-4.5'`,
 * `'gpt-4o'`), turned into the `vendor/model` ids the model registry resolves
 * (docs/architecture.md "Models (LLM)"). The vendor is known from the model family's
 * name; a family not listed here must be written `vendor/model`.
 */

/** Model families by name prefix, and the vendor whose API serves them. */
export const MODEL_FAMILIES: ReadonlyArray<{ prefix: RegExp; vendor: string }> = [
  { prefix: /^(gpt-|chatgpt-|o\d)/, vendor: 'openai' },
  { prefix: /^claude-/, vendor: 'anthropic' },
  { prefix: /^gemini-/, vendor: 'google' },
  { prefix: /^(mistral-|mixtral-|codestral-|ministral-)/, vendor: 'mistral' },
];

/**
 * The `vendor/model` id of `id`: a `vendor/model` id as given; a short id of a known family
 * with its vendor in front. Anthropic's ids separate version numbers with dashes, so the
 * documents' `claude-sonnet-4.5` becomes `anthropic/claude-sonnet-4-5`.
 * @returns the id to store, or null when `id` is short and of no known family
 */
export function vendorModelId(id: string): string | null {
  if (id.includes('/')) return id;
  const family = MODEL_FAMILIES.find(({ prefix }) => prefix.test(id));
  if (!family) return null;
  return `${family.vendor}/${family.vendor === 'anthropic' ? id.replace(/(\d)\.(\d)/g, '$1-$2') : id}`;
}
