/**
 * Hostile or broken input over HTTP answers a typed error or null, never
 * INTERNAL_SERVER_ERROR: a NUL character in a string (variables and literals, JSON
 * included), a global ID that is not base64, whose key is not a UUID, of the wrong
 * type, or naming `__proto__`, `constructor` or `toString`. A client that aborts a
 * request is logged at debug, not as an error.
 */
import { request } from 'node:http';
import { Writable } from 'node:stream';

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { eventually } from '../support/fake-clock.js';
import { createTestApp, createTestDatabase, type TestApp, type TestDatabase } from '../support/test-app.js';

const id = (typename: string, key: string) => Buffer.from(`${typename}:${key}`).toString('base64');
const UUID = '00000000-0000-4000-8000-000000000000';

const HIRE = /* GraphQL */ `
  mutation ($input: HireWorkerInput!) {
    hireWorker(input: $input) { __typename ... on ValidationError { issues { path message } } }
  }
`;
const NUL_ISSUE = 'must not contain the NUL character (\\u0000)';

describe('bad input', () => {
  let app: TestApp;
  let workerId: string;
  beforeAll(async () => {
    app = await createTestApp();
    const hired = await app.data(`mutation { hireWorker(input: { name: "Ada", role: "Analyst" }) { ... on Worker { id } } }`);
    workerId = hired.hireWorker.id;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('refuses a NUL character in a string, in variables and literals, with a ValidationError naming its path', async () => {
    const inVariable = await app.gql(HIRE, { input: { name: 'Eve\u0000', role: 'Intruder' } });
    expect(inVariable.data!.hireWorker).toEqual({ __typename: 'ValidationError', issues: [{ path: ['name'], message: NUL_ISSUE }] });

    const inJson = await app.gql(HIRE, { input: { name: 'Eve', role: 'Intruder', persona: { background: ['ok', 'bad\u0000'] } } });
    expect(inJson.data!.hireWorker).toEqual({ __typename: 'ValidationError', issues: [{ path: ['persona'], message: NUL_ISSUE }] });
    const inJsonKey = await app.gql(HIRE, { input: { name: 'Eve', role: 'Intruder', persona: { 'key\u0000': 1 } } });
    expect(inJsonKey.data!.hireWorker.__typename).toBe('ValidationError');

    const inList = await app.gql(HIRE, { input: { name: 'Eve', role: 'Intruder', capabilities: ['fine', 'x\u0000y'] } });
    expect(inList.data!.hireWorker).toEqual({ __typename: 'ValidationError', issues: [{ path: ['capabilities', '1'], message: NUL_ISSUE }] });

    const inLiteral = await app.gql(`mutation { hireWorker(input: { name: "Eve\\u0000", role: "Intruder" }) { __typename } }`);
    expect(inLiteral.data!.hireWorker).toEqual({ __typename: 'ValidationError' });

    // A query argument has no result union: a GraphQL error of code BAD_USER_INPUT.
    const inQuery = await app.gql(`query ($role: String) { workers(role: $role) { totalCount } }`, { role: 'x\u0000' });
    expect(inQuery.errors).toEqual([
      expect.objectContaining({ message: `Invalid input at role: ${NUL_ISSUE}`, extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    ]);

    expect(await app.data('{ workers { totalCount } }')).toEqual({ workers: { totalCount: 1 } });
  });

  it('answers worker(id:) with a malformed, non-UUID or foreign global ID by a BAD_USER_INPUT error naming the argument', async () => {
    const fleet = await app.data(`mutation { createFleet(input: { name: "F", workerTemplate: { role: "r" } }) { ... on Fleet { id } } }`);
    for (const bad of ['!!!not base64', 'V29ya2Vy', id('Worker', 'not-a-uuid'), id('Worker', `${UUID}' or 1=1`), id('Run', UUID), fleet.createFleet.id, id('__proto__', UUID)]) {
      const answer = await app.gql(`query ($id: ID!) { worker(id: $id) { name } }`, { id: bad });
      expect(answer.data).toEqual({ worker: null });
      expect(answer.errors).toEqual([
        expect.objectContaining({
          message: 'Invalid input at id: must be the global ID of a Worker',
          path: ['worker'],
          extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', issues: [{ path: ['id'], message: 'must be the global ID of a Worker' }] }),
        }),
      ]);
    }
    expect(await app.data(`query ($id: ID!) { worker(id: $id) { name } }`, { id: workerId })).toEqual({ worker: { name: 'Ada' } });
  });

  it('answers a mutation given a foreign or malformed ID with a ValidationError in its result union, and changes nothing', async () => {
    const query = `mutation ($id: ID!) { onboardWorker(input: { workerId: $id }) { __typename ... on ValidationError { issues { path message } } } }`;
    for (const bad of [id('Run', UUID), 'garbage', id('constructor', UUID)]) {
      const answer = await app.gql(query, { id: bad });
      expect(answer.data!.onboardWorker).toEqual({ __typename: 'ValidationError', issues: [{ path: ['workerId'], message: 'must be the global ID of a Worker' }] });
    }
    expect(await app.data(`query ($id: ID!) { worker(id: $id) { lifecycle } }`, { id: workerId })).toEqual({ worker: { lifecycle: 'HIRED' } });
  });

  it('answers node(id:) and nodes(ids:) with null for prototype names, unknown types, bad keys and malformed base64', async () => {
    const bad = [id('__proto__', UUID), id('constructor', UUID), id('toString', UUID), id('Query', UUID), id('Worker', 'nope'), '%%%', 'V29ya2Vy'];
    for (const globalId of bad) {
      const answer = await app.gql(`query ($id: ID!) { node(id: $id) { id } }`, { id: globalId });
      expect(answer).toEqual({ data: { node: null } });
    }
    const many = await app.gql(`query ($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [...bad, workerId] });
    expect(many).toEqual({ data: { nodes: [...bad.map(() => null), { id: workerId }] } });
  });
});

describe('a client that aborts a request', () => {
  let app: App;
  let database: TestDatabase;
  const lines: Array<{ level: number; msg: string }> = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'memory://', LOG_LEVEL: 'debug', ...database.env });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        done();
      },
    });
    app = await createApp(config, { logger: pino({ level: 'debug' }, sink) });
  });
  afterAll(async () => {
    await app?.stop();
    await database?.drop();
  });

  it('is logged at debug, not as an error', async () => {
    const url = await app.start();
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000' } });
    req.on('error', () => {});
    req.write('{"query":"{ workers { totalCount } }", "padding": "');
    // Once the server started reading the body, the client goes away.
    await eventually(async () => lines.find((line) => line.msg === 'Parsing request to extract GraphQL parameters'), 10_000, 'the body to be read');
    req.destroy();
    // yoga notes an abort while it reads the body ("Request aborted"); ours logs one it
    // reports as an error (writing the answer): both at debug.
    const abortLines = ['the client aborted its request', 'Request aborted'];
    const logged = await eventually(async () => lines.find((line) => abortLines.includes(line.msg)), 10_000, 'the abort to be logged');
    expect(logged.level).toBe(20);
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
  });
});
