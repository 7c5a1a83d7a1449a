/**
 * Messages whose NOTIFY goes with the statement that stores their change (Bus.prepare):
 * another process's bus receives them when that transaction commits, all of them and in
 * order, and never when it rolls back; the writing process's listeners get each message
 * once, from `publish()` after the commit, not again from its own notification. Needs
 * DATABASE_URL (the bus runs over LISTEN/NOTIFY only on PostgreSQL).
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createBus, type BusHandle, type PreparedMessage } from '../../src/realtime/bus.js';
import { eventually } from '../support/fake-clock.js';
import { createTestDatabase, type TestDatabase } from '../support/test-app.js';

const onPostgres = Boolean(process.env.DATABASE_URL);

describe.skipIf(!onPostgres)('bus over LISTEN/NOTIFY: notifications sent with the storing statement', () => {
  let database: TestDatabase;
  let sql: postgres.Sql;
  let writer: BusHandle;
  let reader: BusHandle;

  beforeAll(async () => {
    database = await createTestDatabase();
    const url = database.env.DATABASE_URL!;
    sql = postgres(url, { max: 1, onnotice: () => {} });
    writer = await createBus({ databaseUrl: url });
    reader = await createBus({ databaseUrl: url });
  });
  afterAll(async () => {
    await Promise.all([writer?.close(), reader?.close(), sql?.end()]);
    await database?.drop();
  });

  /** Sends the NOTIFY of each message from one statement of `tx`, as a writer's CTE does. */
  const notifyAll = (tx: postgres.TransactionSql, messages: PreparedMessage[]) =>
    tx`select pg_notify(n.channel, n.payload) from unnest(${tx.array(messages.map((m) => m.notify!.channel))}::text[], ${tx.array(messages.map((m) => m.notify!.payload))}::text[]) with ordinality as n(channel, payload, i) order by n.i`;

  it('delivers every message of a transaction to another process at commit, in order, and each once in its own process', async () => {
    const runId = 'run-1';
    const heard: number[] = [];
    const local: number[] = [];
    const stopReader = reader.bus.listen('run:events', runId, (change) => heard.push(change.lastSeq));
    const stopWriter = writer.bus.listen('run:events', runId, (change) => local.push(change.lastSeq));
    const messages = [1, 2, 3, 4, 5].map((lastSeq) => writer.bus.prepare('run:events', runId, { lastSeq, ended: lastSeq === 5 }));
    expect(messages.every((message) => message.notify !== undefined)).toBe(true);

    await sql.begin((tx) => notifyAll(tx, messages));
    expect(local).toEqual([]);
    for (const message of messages) message.publish();

    // Published after the commit, so it arrives after anything the writer sent for these messages.
    writer.bus.publish('run:events', runId, { lastSeq: 6, ended: true });
    await eventually(async () => (heard.includes(6) ? true : undefined), 30_000, 'the notifications');
    expect(heard).toEqual([1, 2, 3, 4, 5, 6]);
    expect(local).toEqual([1, 2, 3, 4, 5, 6]);
    stopReader();
    stopWriter();
  });

  it('delivers nothing of a transaction that rolls back', async () => {
    const heard: string[] = [];
    const stop = reader.bus.listen('run:events', 'run-2', () => heard.push('rolled back'));
    const stopMarker = reader.bus.listen('run:events', 'marker', () => heard.push('marker'));
    const message = writer.bus.prepare('run:events', 'run-2', { lastSeq: 1, ended: false });
    await expect(
      sql.begin(async (tx) => {
        await notifyAll(tx, [message]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    // A later message of the same writer arrives: notifications are delivered in commit order.
    writer.bus.publish('run:events', 'marker', { lastSeq: 1, ended: false });
    await eventually(async () => (heard.includes('marker') ? true : undefined), 30_000, 'the marker');
    expect(heard).toEqual(['marker']);
    stop();
    stopMarker();
  });
});
