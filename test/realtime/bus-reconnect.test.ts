/**
 * The bus over PostgreSQL LISTEN/NOTIFY loses what is sent while its LISTEN connection is
 * down; once the connection is back, every stream reads the store from its cursor, so a
 * subscriber still receives an event committed meanwhile on another server. Needs
 * DATABASE_URL. The reader server reaches PostgreSQL through a TCP relay that refuses new
 * connections on demand, so its LISTEN connection stays down until the write is committed.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

import { createClient, type Client } from 'graphql-ws';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { eventually } from '../support/fake-clock.js';
import { createTestApp, createTestDatabase, type TestApp, type TestDatabase } from '../support/test-app.js';

const onPostgres = Boolean(process.env.DATABASE_URL);

/** A TCP relay to `target`; while `refusing`, new connections are closed at once. */
async function startRelay(target: URL) {
  const sockets = new Set<Socket>();
  const relay = {
    refusing: false,
    port: 0,
    server: undefined as Server | undefined,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => relay.server!.close(() => resolve()));
    },
  };
  relay.server = createServer((client) => {
    if (relay.refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.server!.listen(0, '127.0.0.1', () => resolve()));
  relay.port = (relay.server.address() as { port: number }).port;
  return relay;
}

const PUBLISH = 'mutation { publishEvent(input: { type: "Lead.created", payload: {} }) { ... on DomainEvent { seq } } }';
const LISTENERS = `select pid from pg_stat_activity where datname = current_database() and query ilike 'listen%'`;

describe.skipIf(!onPostgres)('bus over LISTEN/NOTIFY: the LISTEN connection drops', () => {
  let database: TestDatabase;
  let admin: postgres.Sql;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let writer: TestApp;
  let reader: TestApp;
  let readerListener: number;
  let client: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    const direct = new URL(database.env.DATABASE_URL!);
    admin = postgres(direct.toString(), { max: 1, onnotice: () => {} });
    writer = await createTestApp({ database });
    const writerListeners = (await admin.unsafe<Array<{ pid: number }>>(LISTENERS)).map((row) => row.pid);
    relay = await startRelay(direct);
    const relayed = new URL(direct);
    relayed.hostname = '127.0.0.1';
    relayed.port = String(relay.port);
    reader = await createTestApp({ database: { env: { DATABASE_URL: relayed.toString() }, drop: async () => {} } });
    const [own] = (await admin.unsafe<Array<{ pid: number }>>(LISTENERS)).filter((row) => !writerListeners.includes(row.pid));
    readerListener = own!.pid;
  }, 60_000);

  afterAll(async () => {
    await client?.dispose();
    await reader?.close();
    await writer?.close();
    await relay?.close();
    await admin?.end();
    await database?.drop();
  });

  it('delivers an event committed while the subscriber’s server was not listening', async () => {
    const first = (await writer.data(PUBLISH)).publishEvent.seq as number;
    client = createClient({ url: reader.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: true, retryAttempts: 0 });
    const received: number[] = [];
    client.subscribe(
      { query: 'subscription ($after: Int!) { events(types: ["Lead.created"], after: $after) { seq } }', variables: { after: first - 1 } },
      { next: (result) => received.push((result.data as { events: { seq: number } }).events.seq), error: () => {}, complete: () => {} },
    );
    await eventually(async () => (received.length === 1 ? true : undefined), 20_000, 'the stored event');

    // The reader's LISTEN connection is killed and cannot come back while the write commits.
    relay.refusing = true;
    await admin`select pg_terminate_backend(${readerListener})`;
    await eventually(
      async () => ((await admin.unsafe(LISTENERS)).some((row) => row.pid === readerListener) ? undefined : true),
      20_000,
      'the LISTEN backend to end',
    );
    const second = (await writer.data(PUBLISH)).publishEvent.seq as number;
    relay.refusing = false;

    await eventually(async () => (received.length === 2 ? true : undefined), 20_000, 'the event committed while the reader was not listening');
    expect(received).toEqual([first, second]);
  });
});
