/**
 * The server as `npm start` runs it: a real process, configured by environment variables,
 * logging where it listens, and stopping cleanly on SIGTERM.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { startServerProcess as startServer } from '../support/server-process.js';

// Each test starts a server process (tsx, then the database): a hook's time, not a test's.
describe('server process', { timeout: 120_000 }, () => {
  it('starts on the embedded defaults, logs its URL, database and models, and stops on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'workforce-'));
    try {
      const server = startServer({ DATA_DIR: dataDir });
      const started = await server.listening;
      expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
      expect(started.database).toBe(`pglite (${dataDir})`);
      expect(started.models).toMatch(/^offline/);

      const health = await fetch(started.url.replace('/graphql', '/healthz'));
      expect(health.status).toBe(200);
      const answer = await fetch(started.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ workers { totalCount } }' }),
      });
      expect(await answer.json()).toEqual({ data: { workers: { totalCount: 0 } } });

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(server.output()).toContain('shutting down');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start with a bad configuration value, naming it', async () => {
    const server = startServer({ PORT: 'eighty' });
    expect(await server.exited).toBe(2);
    expect(server.output()).toContain('PORT');
  });
});
