/**
 * The deployment files: the compiled server runs from the layout the Dockerfile builds
 * (dist/, schema/migrations, production node_modules), and compose.yaml and the proxy's
 * configuration agree with each other. `docker compose config` checks the compose file
 * where Docker's compose plugin is installed.
 */
import { execFile, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

describe('the compiled server', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('builds with `npm run build`’s compiler settings and answers from `node dist/main.js`, finding its migrations from dist', async () => {
    // The runtime image's layout: dist/, schema/migrations, node_modules, package.json.
    dir = await mkdtemp(join(tmpdir(), 'workforce-dist-'));
    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')]);
    await symlink(join(root, 'schema'), join(dir, 'schema'));
    await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
    await copyFile(join(root, 'package.json'), join(dir, 'package.json'));

    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', PORT: '0', DATA_DIR: 'memory://', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const line = output.split('\n').find((l) => l.includes('"url"'));
          if (line) resolve((JSON.parse(line) as { url: string }).url);
        });
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.on('exit', (code) => reject(new Error(`node dist/main.js exited with ${code}: ${output}`)));
      });
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ workers { totalCount } }' }) });
      expect(await response.json()).toEqual({ data: { workers: { totalCount: 0 } } });
    } finally {
      child.kill('SIGTERM');
    }
  }, 480_000);
});

describe('the container files', () => {
  it('builds the image in stages and runs node dist/main.js as a non-root user with the migrations beside dist', async () => {
    const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(dockerfile).toMatch(/^COPY schema\/migrations \.\/schema\/migrations$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
    expect((await readFile(join(root, '.nvmrc'), 'utf8')).trim()).toBe(process.versions.node.split('.')[0]);
  });

  it('compose.yaml runs PostgreSQL, Redis and two replicas behind a proxy that balances over exactly those replicas', async () => {
    const compose = parse(await readFile(join(root, 'compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<string, { build?: string; image?: string; environment?: Record<string, string>; ports?: string[]; volumes?: string[]; depends_on?: unknown }>;
    };
    const services = compose.services;
    const replicas = Object.entries(services).filter(([, service]) => service.build === '.');
    expect(replicas.map(([name]) => name)).toEqual(['server-a', 'server-b']);
    expect(services.postgres!.image).toMatch(/^postgres:/);
    expect(services.redis!.image).toMatch(/^redis:/);
    for (const [, replica] of replicas) {
      const env = replica.environment!;
      const database = new URL(env.DATABASE_URL!);
      expect(database.hostname).toBe('postgres');
      expect(database.username).toBe(services.postgres!.environment!.POSTGRES_USER);
      expect(database.pathname).toBe(`/${services.postgres!.environment!.POSTGRES_DB}`);
      expect(new URL(env.REDIS_URL!).hostname).toBe('redis');
      expect(env.HOST).toBe('0.0.0.0');
      expect(env.TRUST_PROXY).toBeTruthy();
    }

    const proxy = services.proxy!;
    const mount = proxy.volumes!.find((volume) => volume.includes('nginx.conf'))!;
    const nginx = await readFile(join(root, mount.split(':')[0]!), 'utf8');
    const upstream = [...nginx.matchAll(/^\s*server (\S+):(\d+);/gm)].map((m) => ({ host: m[1], port: m[2] }));
    expect(upstream).toEqual(replicas.map(([name, replica]) => ({ host: name, port: replica.environment!.PORT })));
    // websockets (graphql-ws) and server-sent events pass through.
    expect(nginx).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(nginx).toMatch(/proxy_buffering off;/);
    expect(proxy.ports).toEqual([`4000:${nginx.match(/listen (\d+);/)![1]}`]);
  });

  const composePlugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!composePlugin)('passes `docker compose config` (skipped: Docker compose plugin not installed here)', async () => {
    const { stdout } = await run('docker', ['compose', '-f', join(root, 'compose.yaml'), 'config', '--quiet'], { env: { ...process.env, ADMIN_API_KEY: 'x' } });
    expect(stdout).toBe('');
  });
});
