/**
 * Reads by ID whose SQL is built once per shape (src/db/prepared-reads.ts): the same
 * document sent again with other variables, another selection of the same type, and a
 * worker key's narrower filter each answer their own rows.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { newBootstrapSecret } from '../../src/auth/api-keys.js';
import { findFirstPrepared } from '../../src/db/prepared-reads.js';
import { workers } from '../../src/db/schema.js';
import { LruMap } from '../../src/lru.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const ADMIN = newBootstrapSecret();

describe('reads by ID with prepared statements', () => {
  let app: TestApp;
  const post = async (key: string, query: string, variables?: Record<string, unknown>) => {
    const response = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  };
  const hire = async (name: string, role: string) =>
    (await post(ADMIN, `mutation ($name: String!, $role: String!) { hireWorker(input: { name: $name, role: $role }) { ... on Worker { id } } }`, { name, role })).data!
      .hireWorker.id as string;

  beforeAll(async () => {
    app = await createTestApp({ env: { ADMIN_API_KEY: ADMIN } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers the same document with other variables, and other selections, with their own rows', async () => {
    const ada = await hire('Ada', 'Analyst');
    const bob = await hire('Bob', 'Builder');
    const READ = 'query ($id: ID!) { worker(id: $id) { name role } }';
    for (let round = 0; round < 2; round++) {
      expect((await post(ADMIN, READ, { id: ada })).data).toEqual({ worker: { name: 'Ada', role: 'Analyst' } });
      expect((await post(ADMIN, READ, { id: bob })).data).toEqual({ worker: { name: 'Bob', role: 'Builder' } });
    }
    expect((await post(ADMIN, 'query ($id: ID!) { worker(id: $id) { id lifecycle } }', { id: bob })).data).toEqual({ worker: { id: bob, lifecycle: 'HIRED' } });
    // a change is read, not a remembered row
    await post(ADMIN, `mutation ($id: ID!) { onboardWorker(input: { workerId: $id }) { __typename } }`, { id: bob });
    expect((await post(ADMIN, 'query ($id: ID!) { worker(id: $id) { id lifecycle } }', { id: bob })).data).toEqual({ worker: { id: bob, lifecycle: 'ONBOARDING' } });
  });

  it('keeps a worker key to its own tasks after an admin read the same document', async () => {
    const mine = await hire('Mine', 'Agent');
    const theirs = await hire('Theirs', 'Agent');
    for (const id of [mine, theirs]) {
      await post(ADMIN, `mutation ($id: ID!) { onboardWorker(input: { workerId: $id }) { __typename } }`, { id });
      await post(ADMIN, `mutation ($id: ID!) { activateWorker(input: { workerId: $id }) { __typename } }`, { id });
    }
    const assign = async (workerId: string) =>
      (await post(ADMIN, `mutation ($w: ID!) { assignTask(input: { workerId: $w, action: "call" }) { ... on Task { id } } }`, { w: workerId })).data!.assignTask.id as string;
    const myTask = await assign(mine);
    const theirTask = await assign(theirs);
    const key = (
      await post(ADMIN, `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { ... on CreatedApiKey { secret } } }`, {
        input: { name: 'worker key', role: 'WORKER', workerId: mine },
      })
    ).data!.createApiKey.secret as string;

    const READ = 'query ($id: ID!) { task(id: $id) { id action } }';
    expect((await post(ADMIN, READ, { id: theirTask })).data).toEqual({ task: { id: theirTask, action: 'call' } });
    expect((await post(key, READ, { id: theirTask })).data).toEqual({ task: null });
    expect((await post(key, READ, { id: myTask })).data).toEqual({ task: { id: myTask, action: 'call' } });
  });

  it('builds a configuration holding a function for its request', async () => {
    const id = Buffer.from(await hire('Expr', 'Agent'), 'base64').toString().replace(/^Worker:/, '');
    const query = ({ where }: { where: object }) => ({ where, columns: { name: true }, extras: { shout: (table: typeof workers) => sql<string>`upper(${table.name})` } });
    for (let round = 0; round < 2; round++) {
      expect(await findFirstPrepared(app.app.services.db, 'workers', query, { id })).toEqual({ name: 'Expr', shout: 'EXPR' });
    }
  });
});

describe('LruMap', () => {
  it('drops the least recently used entry beyond its capacity', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1);
    map.set('c', 3);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([1, undefined, 3]);
  });
});
