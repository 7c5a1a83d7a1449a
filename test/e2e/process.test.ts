/**
 * The server as `npm start` runs it: a real process, configured by environment variables,
 * logging where it listens, and stopping cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<{ url: string; database: string; models: string }>((resolve, reject) => {
    child.stdout.on('data', () => {
      const line = stdout.split('\n').find((l) => l.includes('"url"'));
      if (line) resolve(JSON.parse(line));
    });
    void exited.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  listening.catch(() => {}); // a test that expects the process to fail never awaits it
  return { child, listening, exited, output: () => stdout + stderr };
}

describe('server process', () => {
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
