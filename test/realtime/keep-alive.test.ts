/**
 * Keep-alive of graphql-ws sockets (src/http/ws-transport.ts): the server pings every socket
 * once per interval from one timer, ends one that has not answered the previous ping, and
 * leaves one that answers open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { createTestApp, type TestApp } from '../support/test-app.js';

/** A graphql-ws socket past its handshake; `autoPong: false` makes it ignore the server's pings. */
async function connect(url: string, autoPong: boolean): Promise<WebSocket> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { autoPong });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.once('message', () => resolve());
  });
  return socket;
}

describe('keep-alive pings', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('ends a socket that does not answer pings and keeps one that does', { timeout: 90_000 }, async () => {
    const silent = await connect(app.url, false);
    const answering = await connect(app.url, true);
    let pingsAnswered = 0;
    answering.on('ping', () => pingsAnswered++);
    let silentPings = 0;
    silent.on('ping', () => silentPings++);
    // The silent socket is pinged, then ended when its next turn comes without a pong.
    const code = await new Promise<number>((resolve) => silent.once('close', (closeCode: number) => resolve(closeCode)));
    expect(code).toBe(1006);
    expect(silentPings).toBeGreaterThanOrEqual(1);
    // The answering socket (pinged one tick after the silent one) is still open.
    expect(pingsAnswered).toBeGreaterThanOrEqual(1);
    expect(answering.readyState).toBe(WebSocket.OPEN);
    answering.close();
  });
});
