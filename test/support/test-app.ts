/**
 * Test harness: a real server on a free port over a fresh database, with real clients
 * (fetch for queries and mutations, graphql-ws for subscriptions).
 *
 * Database: in-memory PGlite by default; when DATABASE_URL is set, a database of its
 * own is created on that server for each app and dropped afterwards, so that test files
 * running in parallel never see each other's rows.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { not } from 'drizzle-orm';
import { createClient, type Client } from 'graphql-ws';
import postgres from 'postgres';
import WebSocket from 'ws';

import { createApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { events } from '../../src/db/schema.js';
import { isSettled } from '../../src/events/positions.js';
import { createLogger, type Logger } from '../../src/logger.js';
import type { Clock } from '../../src/scheduler/clock.js';
import { eventually } from './fake-clock.js';

export interface GraphQLResponse<Data = Record<string, any>> {
  data?: Data;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>;
}

export interface TestApp {
  app: App;
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  /** POSTs an operation and returns the parsed response. */
  gql<Data = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<Data>>;
  /** POSTs an operation and returns `data`; fails the test on any GraphQL error. */
  data<Data = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<Data>;
  /** A graphql-ws client connected to this server (closed by `close`). */
  wsClient(): Client;
  /** Collects every result of a subscription until it completes. */
  collect<Item = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<Item[]>;
  close(): Promise<void>;
}

/**
 * Starts an app; `env` adds environment variables (OPENAI_BASE_URL …). With `database`
 * (from {@link createTestDatabase}) the app uses that database and leaves it in place
 * when it closes, so that a second app can start on it (a restart). `clock` replaces the
 * system clock of schedules and webhooks; `logger` the silent logger (to read the logs).
 */
export async function createTestApp(
  options: { env?: Record<string, string>; database?: TestDatabase; clock?: Clock; logger?: Logger } = {},
): Promise<TestApp> {
  const database = options.database ?? (process.env.DATABASE_URL ? await createTestDatabase() : undefined);
  const ownsDatabase = options.database === undefined;
  const config: Config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: 'memory://',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...database?.env,
    ...options.env,
  });
  const app = await createApp(config, {
    logger: options.logger ?? createLogger(config.logLevel),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const url = await app.start();
  const clients: Client[] = [];

  const gql: TestApp['gql'] = async (query, variables) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as never;
  };

  const wsClient = () => {
    const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: true, retryAttempts: 0 });
    clients.push(client);
    return client;
  };

  return {
    app,
    url,
    gql,
    async data(query, variables) {
      const result = await gql(query, variables);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      return result.data as never;
    },
    wsClient,
    async collect(query, variables) {
      const client = wsClient();
      const items: never[] = [];
      for await (const result of client.iterate({ query, variables })) {
        if (result.errors?.length) throw new Error(`subscription errors: ${JSON.stringify(result.errors)}`);
        items.push(result.data as never);
      }
      return items;
    },
    async close() {
      await Promise.all(clients.map((client) => client.dispose()));
      await app.stop();
      if (ownsDatabase) await database?.drop();
    },
  };
}

/** A database of its own for a test: its environment variables and a way to drop it. */
export interface TestDatabase {
  /** `DATABASE_URL` of a fresh database on the server in DATABASE_URL, or a PGlite `DATA_DIR`. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/**
 * A fresh database that outlives the apps (and server processes) using it: on the
 * PostgreSQL server named by DATABASE_URL when set, else a PGlite directory.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const dir = await mkdtemp(join(tmpdir(), 'workforce-test-'));
    return { env: { DATA_DIR: dir }, drop: () => rm(dir, { recursive: true, force: true }) };
  }
  const name = `workforce_test_${randomUUID().replaceAll('-', '')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    async drop() {
      const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists "${name}" with (force)`);
      await sql.end();
    },
  };
}

/**
 * Waits until every event stored so far is settled: below the horizon of the oldest
 * transaction in flight, which event reads respect (docs/architecture.md, "Ordering of
 * domain events"). On PostgreSQL that horizon is the whole cluster's, so another test's
 * transaction in another database can hold back an event just written for a moment; a
 * test reading events right after a write waits for this first. Immediate on PGlite.
 * @param services the app's services (`app.services`, or `testApp.app.services`)
 */
export async function eventsSettled({ db }: Pick<App['services'], 'db'>): Promise<void> {
  await eventually(async () => ((await db.$count(events, not(isSettled(events.txId)))) === 0 ? true : undefined), 30_000, 'the events to settle');
}
