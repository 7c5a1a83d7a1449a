import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    expect(loadConfig({})).toEqual({
      port: 4000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: '.data',
      openaiApiKey: undefined,
      openaiBaseUrl: undefined,
      modelAliases: {},
      redisUrl: undefined,
      logLevel: 'info',
      adminApiKey: undefined,
      runLeaseMs: 30_000,
    });
  });

  it('treats empty strings as unset and parses MODEL_ALIASES', () => {
    const config = loadConfig({ DATABASE_URL: '', MODEL_ALIASES: '{"anthropic/claude-sonnet-4-5":"openai/gpt-4o"}' });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.modelAliases).toEqual({ 'anthropic/claude-sonnet-4-5': 'openai/gpt-4o' });
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', MODEL_ALIASES: '{nope', LOG_LEVEL: 'loud', OPENAI_BASE_URL: 'not a url' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'MODEL_ALIASES', 'LOG_LEVEL', 'OPENAI_BASE_URL']) expect(problems).toContain(name);
    expect(problems).toContain('"eighty"');
  });
});
