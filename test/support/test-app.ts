/**
 * Test harness: a real server on a free port over a fresh database, with real clients
 * (fetch for queries and mutations, graphql-ws for subscriptions).
 *
 * Database: in-memory PGlite by default; when DATABASE_URL is set, a database of its
 * own is created on that server for each app and dropped afterwards, so that test files
 * running in parallel never see each other's rows.
 */
import { randomUUID } from 'node:crypto';

import { createClient, type Client } from 'graphql-ws';
import postgres from 'postgres';
import WebSocket from 'ws';

import { createApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

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

/** Starts an app; `env` adds environment variables (OPENAI_BASE_URL …). */
export async function createTestApp(options: { env?: Record<string, string> } = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config: Config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: 'memory://',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...options.env,
  });
  const app = await createApp(config, { logger: createLogger(config.logLevel) });
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
      await database?.drop();
    },
  };
}

async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return undefined;
  const name = `workforce_test_${randomUUID().replaceAll('-', '')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists "${name}" with (force)`);
      await sql.end();
    },
  };
}
