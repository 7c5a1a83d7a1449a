import { streamText } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createModelRegistry, ModelResolutionError } from '../../src/models/registry.js';
import { startFakeOpenAI, type FakeOpenAIServer } from '../support/fake-openai-server.js';

const ALIASES = { 'anthropic/claude-sonnet-4-5': 'openai/gpt-4o' };

async function streamedText(model: Parameters<typeof streamText>[0]['model'], prompt: string): Promise<string[]> {
  const result = streamText({ model, prompt, maxRetries: 0 });
  const deltas: string[] = [];
  for await (const delta of result.textStream) deltas.push(delta);
  return deltas;
}

function resolutionError(run: () => unknown): ModelResolutionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelResolutionError);
    return error as ModelResolutionError;
  }
  throw new Error('expected a ModelResolutionError');
}

describe('createModelRegistry with an OpenAI-compatible base URL', () => {
  let server: FakeOpenAIServer;
  beforeAll(async () => {
    server = await startFakeOpenAI();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
  });

  it('streams openai/* through the Chat Completions API, end to end', async () => {
    const registry = createModelRegistry({ openaiBaseUrl: server.url });
    const resolved = registry.resolve('openai/gpt-4o');
    expect(resolved).toMatchObject({ provider: 'openai', modelId: 'gpt-4o', offline: false });
    expect(resolved.model.provider).toBe('openai.chat');

    const deltas = await streamedText(resolved.model, 'Summarise the shift handoff.');

    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Fake gpt-4o received: Summarise the shift handoff.');
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.body).toMatchObject({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Summarise the shift handoff.' }],
    });
  });

  it('sends a placeholder bearer token when no key is configured, and the key when one is', async () => {
    await streamedText(createModelRegistry({ openaiBaseUrl: server.url }).resolve('openai/llama3.1').model, 'hi');
    await streamedText(createModelRegistry({ openaiBaseUrl: server.url, openaiApiKey: 'sk-test' }).resolve('openai/gpt-4o').model, 'hi');

    const [withoutKey, withKey] = server.requests.map((r) => r.headers.authorization);
    expect(withoutKey).toMatch(/^Bearer \S+$/);
    expect(withKey).toBe('Bearer sk-test');
  });

  it('applies the alias map before passing other vendors through', async () => {
    const registry = createModelRegistry({ openaiBaseUrl: server.url, modelAliases: ALIASES });
    const resolved = registry.resolve('anthropic/claude-sonnet-4-5');
    expect(resolved).toMatchObject({ provider: 'openai', modelId: 'gpt-4o' });

    await streamedText(resolved.model, 'hello');
    expect(server.requests[0]?.body.model).toBe('gpt-4o');
  });

  it('passes another vendor’s full id through to the gateway', async () => {
    const registry = createModelRegistry({ openaiBaseUrl: server.url });
    const resolved = registry.resolve('anthropic/claude-sonnet-4-5');
    expect(resolved).toMatchObject({ provider: 'openai', modelId: 'anthropic/claude-sonnet-4-5', offline: false });

    const deltas = await streamedText(resolved.model, 'Which model are you?');
    expect(deltas.join('')).toBe('Fake anthropic/claude-sonnet-4-5 received: Which model are you?');
    expect(server.requests[0]?.body.model).toBe('anthropic/claude-sonnet-4-5');
  });

  it('keeps slashes inside the model part of an openai id', () => {
    const resolved = createModelRegistry({ openaiBaseUrl: server.url }).resolve('openai/meta-llama/Llama-3.1-8B');
    expect(resolved.modelId).toBe('meta-llama/Llama-3.1-8B');
  });

  it('describes the base URL, without credentials, in one line', () => {
    const url = server.url.replace('http://', 'http://user:secret@');
    const line = createModelRegistry({ openaiBaseUrl: url, openaiApiKey: 'sk-secret', modelAliases: ALIASES }).describe();
    expect(line).toMatch(/^openai \(base URL http:\/\/127\.0\.0\.1:\d+\/v1;/);
    expect(line).toContain('1 model alias');
    expect(line).not.toMatch(/secret|user|\n/);
  });
});

describe('createModelRegistry with only an API key', () => {
  const registry = createModelRegistry({ openaiApiKey: 'sk-test', modelAliases: ALIASES });

  it('resolves openai/* to api.openai.com', () => {
    expect(registry.offline).toBe(false);
    expect(registry.resolve('openai/gpt-4o-mini')).toMatchObject({ provider: 'openai', modelId: 'gpt-4o-mini', offline: false });
    expect(registry.describe()).toBe(
      'openai (https://api.openai.com/v1; other vendors need MODEL_ALIASES; Chat Completions API; 1 model alias)',
    );
  });

  it('resolves an aliased vendor to its target', () => {
    expect(registry.resolve('anthropic/claude-sonnet-4-5')).toMatchObject({ provider: 'openai', modelId: 'gpt-4o' });
  });

  it('refuses another vendor without an alias, naming the id and what to configure', () => {
    const error = resolutionError(() => registry.resolve('anthropic/claude-opus-4'));
    expect(error.modelId).toBe('anthropic/claude-opus-4');
    expect(error.message).toContain('"anthropic/claude-opus-4"');
    expect(error.message).toContain('MODEL_ALIASES');
    expect(error.message).toContain('OPENAI_BASE_URL');
  });

  it('takes a DEFAULT_MODEL it can resolve, says so, and refuses one it cannot, naming DEFAULT_MODEL', () => {
    const withDefault = createModelRegistry({ openaiApiKey: 'sk-test', modelAliases: ALIASES, defaultModel: 'anthropic/claude-sonnet-4-5' });
    expect(withDefault.defaultModel).toBe('anthropic/claude-sonnet-4-5');
    expect(withDefault.describe()).toMatch(/; workers hired without a model or protocol get anthropic\/claude-sonnet-4-5$/);
    expect(registry.defaultModel).toBeNull();
    const error = resolutionError(() => createModelRegistry({ openaiApiKey: 'sk-test', defaultModel: 'anthropic/claude-opus-4' }));
    expect(error.modelId).toBe('anthropic/claude-opus-4');
    expect(error.message).toMatch(/^Cannot resolve model "anthropic\/claude-opus-4": DEFAULT_MODEL cannot be used: no provider serves vendor "anthropic"/);
  });

  it('refuses an alias whose target is not vendor/model', () => {
    const broken = createModelRegistry({ openaiApiKey: 'sk-test', modelAliases: { 'anthropic/x': 'gpt-4o' } });
    const error = resolutionError(() => broken.resolve('anthropic/x'));
    expect(error.modelId).toBe('anthropic/x');
    expect(error.message).toContain('"gpt-4o"');
  });
});

describe('createModelRegistry with neither key nor base URL', () => {
  const registry = createModelRegistry({ modelAliases: ALIASES });

  it('resolves every id to the offline model, and says so', async () => {
    expect(registry.offline).toBe(true);
    expect(registry.describe()).toBe('offline (deterministic built-in model; set OPENAI_API_KEY or OPENAI_BASE_URL)');
    for (const id of ['openai/gpt-4o', 'anthropic/claude-sonnet-4-5', 'mistral/large']) {
      const resolved = registry.resolve(id);
      expect(resolved).toMatchObject({ provider: 'offline', modelId: 'offline', offline: true });
      expect(resolved.model.modelId).toBe('offline');
    }

    const text = (await streamedText(registry.resolve('openai/gpt-4o').model, 'Status of the fleet?')).join('');
    expect(text).toContain('offline model');
    expect(text).toContain('Status of the fleet?');
  });

  it('treats empty strings as not configured', () => {
    expect(createModelRegistry({ openaiApiKey: '', openaiBaseUrl: '' }).offline).toBe(true);
  });
});

describe.each([
  ['offline', {}],
  ['online', { openaiApiKey: 'sk-test' }],
])('ids that are not vendor/model (%s)', (_mode, config) => {
  it.each(['gpt-4o', '', 'openai/', '/gpt-4o', ' /gpt-4o'])('refuses %j', (id) => {
    const error = resolutionError(() => createModelRegistry(config).resolve(id));
    expect(error.modelId).toBe(id);
    expect(error.message).toContain('vendor/model');
  });
});
