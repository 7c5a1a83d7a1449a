/** The limits' configuration (README "Limits"): defaults, production switches, and secrets kept out of errors. */
import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../../src/config.js';

describe('limits configuration', () => {
  it('turns introspection and GraphiQL off in production unless asked for', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).limits).toMatchObject({ introspection: false, graphiql: false });
    expect(loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true', GRAPHIQL: 'on' }).limits).toMatchObject({ introspection: true, graphiql: true });
    expect(loadConfig({ GRAPHQL_INTROSPECTION: 'false' }).limits).toMatchObject({ introspection: false, graphiql: true });
  });

  it('reads every limit, with 0 turning a rate off', () => {
    const { limits } = loadConfig({
      MAX_BODY_BYTES: '65536',
      GRAPHQL_MAX_DEPTH: '7',
      GRAPHQL_MAX_TOKENS: '500',
      RATE_LIMIT_PER_CLIENT: '0',
      RATE_LIMIT_WINDOW_SECONDS: '10',
      MAX_SUBSCRIPTIONS_PER_KEY: '9',
      WS_CONNECTION_INIT_TIMEOUT_MS: '1500',
      PERSISTED_OPERATIONS_FILE: 'ops.json',
      PERSISTED_OPERATIONS_ONLY: 'false',
    });
    expect(limits).toMatchObject({
      maxBodyBytes: 65_536,
      query: { maxDepth: 7, maxTokens: 500 },
      rate: { perClient: 0, windowSeconds: 10 },
      subscriptions: { perKey: 9 },
      wsConnectionInitTimeoutMs: 1_500,
      persistedOperations: { file: 'ops.json', only: false },
    });
  });

  it('names bad values, but never repeats a secret one', () => {
    let error: unknown;
    try {
      loadConfig({ GRAPHQL_MAX_DEPTH: '0', GRAPHIQL: 'maybe', DATABASE_URL: 'mysql://root:hunter2@db/x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['GRAPHQL_MAX_DEPTH', 'GRAPHIQL', 'DATABASE_URL']) expect(message).toContain(name);
    expect(message).not.toContain('hunter2');
  });
});
