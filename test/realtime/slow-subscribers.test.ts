/**
 * The realtime path under load, over a started server and real graphql-ws clients: 200
 * subscribers on `events` while 8 writers append events, plus one client that subscribes
 * and then never reads its socket. Nothing crashes, every reading subscriber receives
 * every event exactly once and in the store's order, and the stalled client is closed
 * with 4413 once its socket holds more than WS_MAX_BUFFERED_BYTES it has not read.
 *
 * CI appends 200 events (the write path on PGlite takes most of the time);
 * REALTIME_LOAD_EVENTS=2000 runs the benchmark's figure. The stalled client's share is
 * made large (20 subscriptions, 4 KB per event) so that it passes what the kernel's
 * socket buffers take (a few MB on loopback) plus the bound, whatever the event count.
 */
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { SLOW_CONSUMER_CLOSE_CODE } from '../../src/http/ws-transport.js';
import { eventually } from '../support/fake-clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const SUBSCRIBERS = 200;
const WRITERS = 8;
const EVENTS = Number(process.env.REALTIME_LOAD_EVENTS ?? 200);
/** The stalled client subscribes this many times (the per-socket limit is 50) to the events with their payload. */
const STALLED_SUBSCRIPTIONS = 20;
/** Filler in each event's payload, so that the stalled client's socket fills quickly. */
const FILLER = 'x'.repeat(4_000);

/**
 * A graphql-ws client that completes the handshake, subscribes `count` times and then stops
 * reading its socket (ws `pause`: nothing is read from the kernel any more). Resolves
 * once its subscribe messages are sent.
 */
async function stalledClient(url: string, query: string, count: number): Promise<WebSocket> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.once('message', (data) => {
      expect(JSON.parse(String(data))).toMatchObject({ type: 'connection_ack' });
      for (let i = 1; i <= count; i++) socket.send(JSON.stringify({ id: String(i), type: 'subscribe', payload: { query } }));
      socket.pause();
      resolve();
    });
  });
  return socket;
}

describe('a realtime path that cannot be overrun', () => {
  let server: TestApp;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = await createTestApp({
      env: { RATE_LIMIT_PER_CLIENT: '0', RATE_LIMIT_PER_KEY: '0', RATE_LIMIT_PER_SOCKET: '0', MAX_SUBSCRIPTIONS_PER_KEY: '1000', WS_MAX_BUFFERED_BYTES: '65536' },
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await server?.close();
  });

  it('delivers every event once and in order to 200 subscribers, and closes the one that does not read', { timeout: 120_000 }, async () => {
    const wsUrl = server.url.replace(/^http/, 'ws');
    const received: number[][] = Array.from({ length: SUBSCRIBERS }, () => []);
    const failures: unknown[] = [];
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
      clients.push(client);
      client.subscribe(
        { query: 'subscription { events(types: ["Load.tick"], after: 0) { seq } }' },
        {
          next: (result) => received[i]!.push((result.data as { events: { seq: number } }).events.seq),
          error: (error) => failures.push(error),
          complete: () => {},
        },
      );
    }
    const stalled = await stalledClient(server.url, 'subscription { events(types: ["Load.tick"], after: 0) { seq type subjectId payload at } }', STALLED_SUBSCRIPTIONS);
    const stalledClosed = new Promise<number>((resolve) => stalled.once('close', (code) => resolve(code)));

    const written: number[] = [];
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        for (let n = writer; n < EVENTS; n += WRITERS) {
          const result = await server.data<{ publishEvent: { seq: number } }>(
            'mutation ($payload: JSON!) { publishEvent(input: { type: "Load.tick", payload: $payload }) { ... on DomainEvent { seq } } }',
            { payload: { n, filler: FILLER } },
          );
          written.push(result.publishEvent.seq);
        }
      }),
    );
    expect(written).toHaveLength(EVENTS);

    await eventually(
      async () => (received.every((seqs) => seqs.length >= EVENTS) ? true : undefined),
      90_000,
      'every subscriber to receive every event',
    );
    // Every reader has everything: the stalled client's share is far past what the kernel
    // and the bound take, so the server has given up on it. It reads again and finds what
    // was sent before that, then the close (before ws's 30 s close timeout).
    stalled.resume();
    // What the store replays from the beginning is the order every subscriber must have seen.
    const stored: number[] = [];
    for await (const result of server.wsClient().iterate({ query: 'subscription { events(types: ["Load.tick"], after: 0) { seq } }' })) {
      stored.push((result.data as { events: { seq: number } }).events.seq);
      if (stored.length === EVENTS) break;
    }
    expect([...stored].sort((a, b) => a - b)).toEqual([...written].sort((a, b) => a - b));
    for (const seqs of received) expect(seqs).toEqual(stored);
    expect(failures).toEqual([]);

    expect(await stalledClosed).toBe(SLOW_CONSUMER_CLOSE_CODE);

    // The server is still serving.
    expect(await server.data('{ __typename }')).toEqual({ __typename: 'Query' });
  });
});
