/**
 * Row "200 subscribers on `events` while 8 writers append 2 000 events; one subscriber
 * that never reads" (goal: no crash, every reading subscriber gap-free, the stalled one
 * closed), on PostgreSQL.
 *
 * READERS graphql-ws clients (default 200, one socket each) subscribe to
 * `events(types: ["Bench.flood"], after: 0)`; one more socket subscribes the same way
 * and then stops reading (ws `pause()`: the kernel buffers fill, then the server's send
 * buffer). WRITERS clients (default 8) post WRITES events in all (default 2 000) with
 * `publishEvent`, each payload padded to PAYLOAD_BYTES (default 1 024) so that the stalled
 * socket's backlog is large. Then: the server still runs; each reader received exactly the
 * writers' events (the seqs publishEvent answered), none twice, in the store's order
 * (`tx_id`, `seq`): the order every `events` reader sees (docs/architecture.md, "Ordering of
 * domain events"), which differs from the seq order where concurrent writers' transactions
 * took their ids in one order and their seqs in the other; the
 * stalled socket is resumed and read until it closes (close code recorded) or
 * STALLED_WAIT_S (default 15) passes (then: not closed).
 *
 * `npx tsx bench/load/events-flood.ts`
 */
import { readFileSync } from 'node:fs';

import { createClient } from 'graphql-ws';
import postgres from 'postgres';
import WebSocket from 'ws';

import { envNumber, freshDatabase, gql, report, runner, startOurs } from './harness.js';

const SUBSCRIBE = 'subscription { events(types: ["Bench.flood"], after: 0) { seq type payload } }';
const PUBLISH = 'mutation ($input: PublishEventInput!) { publishEvent(input: $input) { __typename ... on DomainEvent { seq } ... on Error { message } } }';

const rssMB = (pid: number) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);

runner(async () => {
  const readers = envNumber('READERS', 200);
  const writers = envNumber('WRITERS', 8);
  const writes = envNumber('WRITES', 2000);
  const padding = 'x'.repeat(envNumber('PAYLOAD_BYTES', 1024));
  const database = await freshDatabase('events_flood');
  const ours = await startOurs('ours', { DATABASE_URL: database });
  const wsUrl = ours.url.replace(/^http/, 'ws');

  // The readers: each records the seqs it receives.
  const received: number[][] = Array.from({ length: readers }, () => []);
  const errors: string[] = [];
  let complete = 0;
  let allReceived = () => {};
  const done = new Promise<void>((resolve) => (allReceived = resolve));
  const clients = received.map((seqs) => {
    const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
    let subscribed = () => {};
    const ready = new Promise<void>((resolve) => (subscribed = resolve));
    client.on('connected', () => subscribed());
    client.subscribe<{ events: { seq: number } }>(
      { query: SUBSCRIBE },
      {
        next: (result) => {
          if (result.errors) errors.push(JSON.stringify(result.errors));
          else if (seqs.push(result.data!.events.seq) === writes && ++complete === readers) allReceived();
        },
        error: (error) => errors.push(String((error as { code?: number }).code ?? error)),
        complete: () => {},
      },
    );
    return { client, ready };
  });
  await Promise.all(clients.map((c) => c.ready));

  // The stalled subscriber: subscribes, then never reads.
  const stalled = new WebSocket(wsUrl, 'graphql-transport-ws');
  let stalledClose: { code: number; reason: string } | undefined;
  let stalledMessages = 0;
  const stalledClosed = new Promise<void>((resolve) =>
    stalled.on('close', (code, reason) => {
      stalledClose = { code, reason: reason.toString() };
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    stalled.on('open', () => stalled.send(JSON.stringify({ type: 'connection_init' })));
    stalled.on('message', (data) => {
      stalledMessages++;
      if (JSON.parse(data.toString()).type === 'connection_ack') {
        stalled.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIBE } }));
        stalled.pause();
        resolve();
      }
    });
    stalled.on('error', reject);
  });

  // The writers.
  const t0 = performance.now();
  const written: number[] = [];
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = w; i < writes; i += writers) {
        const { publishEvent } = await gql(ours.url, PUBLISH, { input: { type: 'Bench.flood', payload: { writer: w, i, padding } } });
        if (publishEvent.__typename !== 'DomainEvent') throw new Error(JSON.stringify(publishEvent));
        written.push(publishEvent.seq as number);
      }
    }),
  );
  const writeSeconds = (performance.now() - t0) / 1000;
  const timeout = setTimeout(allReceived, envNumber('TIMEOUT_S', 120) * 1000);
  await done;
  clearTimeout(timeout);
  const deliverSeconds = (performance.now() - t0) / 1000;
  const alive = ours.child.exitCode === null && (await fetch(ours.url.replace('/graphql', '/healthz')).then((r) => r.ok, () => false));
  const serverRssMB = alive ? rssMB(ours.pid) : null;

  const sql = postgres(database, { max: 1, onnotice() {} });
  const stored = (await sql`select seq from events where type = 'Bench.flood' order by tx_id, seq`).map((row) => Number(row.seq));
  await sql.end();
  const writtenSet = new Set(written);
  if (stored.length !== written.length || !stored.every((seq) => writtenSet.has(seq))) throw new Error('the stored events are not the ones written');
  const expected = stored;
  const gapFree = received.filter((seqs) => seqs.length === expected.length && seqs.every((seq, i) => seq === expected[i])).length;
  const inSeqOrder = received.filter((seqs) => seqs.every((seq, i) => i === 0 || seqs[i - 1]! < seq)).length;

  stalled.resume();
  let gaveUp = false;
  const wait = setTimeout(() => {
    gaveUp = true;
    stalled.terminate();
  }, envNumber('STALLED_WAIT_S', 15) * 1000);
  const closedBeforeResume = stalledClose !== undefined;
  await stalledClosed;
  clearTimeout(wait);
  for (const { client } of clients) await client.dispose();

  await report('events-flood', {
    goal: 'no crash, every reader gap-free, the stalled one closed',
    readers,
    writers,
    writes: written.length,
    payloadBytes: padding.length,
    serverAlive: alive,
    readersGapFree: gapFree,
    readersShort: received.filter((seqs) => seqs.length < expected.length).length,
    readersInSeqOrder: inSeqOrder,
    storedOutOfSeqOrder: expected.filter((seq, i) => i > 0 && expected[i - 1]! > seq).length,
    subscriptionErrors: errors.slice(0, 5),
    stalledClosedByServer: !gaveUp,
    stalledClose: gaveUp ? null : stalledClose,
    closedBeforeResume,
    stalledMessagesRead: stalledMessages,
    writeSeconds: +writeSeconds.toFixed(2),
    deliverSeconds: +deliverSeconds.toFixed(2),
    serverRssMB,
    serverOutput: alive ? undefined : ours.output().slice(-1500),
  });
});
