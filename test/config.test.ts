import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../src/config.js';
import { DEFAULT_MODEL_PRICES } from '../src/models/prices.js';

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
      defaultModel: undefined,
      modelPrices: DEFAULT_MODEL_PRICES,
      redisUrl: undefined,
      logLevel: 'info',
      adminApiKey: undefined,
      runLeaseMs: 30_000,
      apiKeyCacheMs: 30_000,
      limits: {
        maxBodyBytes: 2 * 1024 * 1024,
        query: { maxTokens: 2_000, maxDepth: 10, maxCost: 50_000, maxAliases: 15, maxDirectives: 50 },
        introspection: true,
        graphiql: true,
        persistedOperations: undefined,
        rate: { windowSeconds: 60, perClient: 1_200, perKey: 1_200, perSocket: 600, trustProxy: [] },
        subscriptions: { perConnection: 50, perKey: 200 },
        wsConnectionInitTimeoutMs: 3_000,
        wsMaxBufferedBytes: 1_048_576,
        requestTimeoutMs: 30_000,
      },
      outbound: { allow: [], allowPublic: true },
      metricsToken: undefined,
      tracing: { enabled: false, recordContent: false },
    });
  });

  it('turns tracing on when the standard OTEL_* variables ask for an exporter, and off when they say none or disabled', () => {
    const tracing = (env: Record<string, string>) => loadConfig(env).tracing.enabled;
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracing({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(tracing({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracing({ OTEL_SERVICE_NAME: 'alone' })).toBe(false);
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' }).tracing).toEqual({ enabled: true, recordContent: true });
  });

  it('refuses a short METRICS_TOKEN without repeating it', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short-secret' })).toThrow(/METRICS_TOKEN: must be at least 16 characters \(got a value that is not shown\)/);
    expect(loadConfig({ METRICS_TOKEN: 'long-enough-metrics-token' }).metricsToken).toBe('long-enough-metrics-token');
  });

  it('treats empty strings as unset and parses MODEL_ALIASES', () => {
    const config = loadConfig({ DATABASE_URL: '', MODEL_ALIASES: '{"anthropic/claude-sonnet-4-5":"openai/gpt-4o"}' });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.modelAliases).toEqual({ 'anthropic/claude-sonnet-4-5': 'openai/gpt-4o' });
  });

  it('reads TRUST_PROXY as proxy-addr trust entries, and refuses one that is not an address or range', () => {
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).limits.rate.trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => loadConfig({ TRUST_PROXY: 'proxy.internal' })).toThrow(/TRUST_PROXY: invalid IP address: proxy\.internal/);
  });

  it('reads DEFAULT_MODEL as vendor/model, a short id of a known family included, and refuses other text', () => {
    expect(loadConfig({ DEFAULT_MODEL: 'openai/gpt-4o-mini' }).defaultModel).toBe('openai/gpt-4o-mini');
    expect(loadConfig({ DEFAULT_MODEL: 'claude-sonnet-4.5' }).defaultModel).toBe('anthropic/claude-sonnet-4-5');
    expect(loadConfig({ DEFAULT_MODEL: '' }).defaultModel).toBeUndefined();
    expect(() => loadConfig({ DEFAULT_MODEL: 'my model' })).toThrow(/DEFAULT_MODEL: must look like vendor\/model \(openai\/gpt-4o\)/);
  });

  it('lays MODEL_PRICES over the built-in prices, and refuses a price that is not USD per million tokens', () => {
    const config = loadConfig({ MODEL_PRICES: '{"gpt-4o":{"input":1,"output":2},"my-model":{"input":3,"output":4,"cachedInput":0.5}}' });
    expect(config.modelPrices['gpt-4o']).toEqual({ input: 1, output: 2 });
    expect(config.modelPrices['my-model']).toEqual({ input: 3, output: 4, cachedInput: 0.5 });
    expect(config.modelPrices['gpt-4o-mini']).toEqual(DEFAULT_MODEL_PRICES['gpt-4o-mini']);
    expect(() => loadConfig({ MODEL_PRICES: '{"gpt-4o":{"input":"cheap","output":2}}' })).toThrow(/MODEL_PRICES\.gpt-4o\.input: must be USD per million input tokens/);
    expect(() => loadConfig({ MODEL_PRICES: '{"gpt-4o":{"input":-1,"output":2}}' })).toThrow(/MODEL_PRICES\.gpt-4o\.input/);
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
