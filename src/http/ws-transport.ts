/**
 * graphql-ws's server on `ws` sockets: graphql-ws's own `useServer` (graphql-ws/use/ws,
 * which its authors offer as a starter to copy and adjust), with one change in how
 * messages are sent, so that no client can make the server buffer without bound.
 *
 * graphql-ws awaits `send` for every result before it pulls the next one from the
 * subscription's stream. Here `send` hands the message to the socket and resolves at once,
 * unless the socket already holds more than `maxBufferedBytes` that the client has not
 * read (ws's `bufferedAmount`: bytes queued in this process, beyond what the kernel took).
 * Such a socket is closed with {@link SLOW_CONSUMER_CLOSE_CODE}, and its subscriptions end
 * at once. So a socket holds at most `maxBufferedBytes` plus one turn's messages (below), a stalled client
 * is noticed as soon as the kernel's buffers are full, and a client that reads is never
 * slowed down by a round trip per message. The rule is the one Redis applies to pub/sub
 * clients (`client-output-buffer-limit pubsub`): a subscriber that does not keep up is
 * disconnected rather than buffered for. It resumes with `after:` where the stream has one.
 *
 * Messages are written in batches: the first message of a turn of the event loop corks the
 * socket (node's `Writable.cork`) and the socket is uncorked once that turn's I/O callbacks
 * are done (`setImmediate`), so every frame sent meanwhile — the events of one commit, of
 * several runs' commits read in the same turn — leaves in one `writev` instead of one
 * system call per message (a run's stream is some 35 messages). The unread bytes a send is
 * judged by are those the socket held when its batch began: a batch's own frames wait in
 * the corked socket, not in a client that does not read.
 *
 * Keep-alive: every socket is pinged once per {@link KEEP_ALIVE_MS} and ended (terminated)
 * when it has not answered the previous ping by then, as graphql-ws's `useServer` does, but
 * from one timer for all sockets ({@link KeepAlive}) instead of an interval, a timeout and
 * a `pong` listener per socket and ping.
 */
import type { IncomingMessage } from 'node:http';

import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import type { WebSocket, WebSocketServer } from 'ws';

/** Close code of a socket whose client did not read what was sent (HTTP 413, Content Too Large). */
export const SLOW_CONSUMER_CLOSE_CODE = 4413;

/** graphql-ws's default interval of keep-alive pings, in ms; a ping without pong within it ends the socket. */
const KEEP_ALIVE_MS = 12_000;

/** How often the keep-alive timer runs, in ms: each run pings the sockets of one slice, so pings are spread over the interval. */
const KEEP_ALIVE_TICK_MS = 1_000;

/**
 * Keep-alive pings of many sockets from one timer (the pattern of ws's README, "How to
 * detect and close broken connections", spread over the interval). Sockets join the
 * {@link KEEP_ALIVE_MS} / {@link KEEP_ALIVE_TICK_MS} slices in turn; each tick visits one
 * slice, so each socket is visited once per KEEP_ALIVE_MS: one that has not answered the
 * previous ping is terminated, the others are pinged. With no socket there is no timer.
 */
class KeepAlive {
  readonly #slices = Array.from({ length: Math.ceil(KEEP_ALIVE_MS / KEEP_ALIVE_TICK_MS) }, () => new Set<{ socket: WebSocket; answered: boolean }>());
  /** The slice the next socket joins, and the one the next tick visits. */
  #joining = 0;
  #visiting = 0;
  #sockets = 0;
  #timer: NodeJS.Timeout | undefined;

  /** Starts pinging `socket`; returns the function that stops (call it when the socket closes). */
  add(socket: WebSocket): () => void {
    const entry = { socket, answered: true };
    const slice = this.#slices[this.#joining]!;
    this.#joining = (this.#joining + 1) % this.#slices.length;
    slice.add(entry);
    const onPong = () => (entry.answered = true);
    socket.on('pong', onPong);
    this.#sockets++;
    this.#timer ??= setInterval(() => this.#tick(), KEEP_ALIVE_TICK_MS).unref();
    return () => {
      if (!slice.delete(entry)) return;
      socket.off('pong', onPong);
      if (--this.#sockets > 0) return;
      clearInterval(this.#timer);
      this.#timer = undefined;
    };
  }

  #tick(): void {
    const slice = this.#slices[this.#visiting]!;
    this.#visiting = (this.#visiting + 1) % this.#slices.length;
    for (const entry of slice) {
      if (entry.socket.readyState !== entry.socket.OPEN) continue;
      if (!entry.answered) {
        entry.socket.terminate();
        continue;
      }
      entry.answered = false;
      entry.socket.ping();
    }
  }
}

/** A served graphql-ws endpoint; `dispose` closes every socket (1001) and stops serving. */
export interface WsTransport {
  dispose(): Promise<void>;
}

/**
 * Serves graphql-ws `options` on `wsServer`.
 * @param maxBufferedBytes unread bytes a socket may hold before it is closed with
 *   {@link SLOW_CONSUMER_CLOSE_CODE} (`WS_MAX_BUFFERED_BYTES`)
 */
export function serveGraphqlWs(
  options: ServerOptions<Record<string, unknown> | undefined, Extra>,
  wsServer: WebSocketServer,
  maxBufferedBytes: number,
): WsTransport {
  const server = makeServer(options);
  const keepAlive = new KeepAlive();
  wsServer.options.handleProtocols = handleProtocols;
  // As graphql-ws: an error of the listening server ends every socket (and is not thrown).
  wsServer.on('error', () => {
    for (const client of wsServer.clients) client.close(CloseCode.InternalServerError, 'Internal server error');
  });
  wsServer.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    let ended = false;
    // Subscriptions end once, whichever comes first: the socket's close or an overrun.
    const end = (code: number, reason: string) => {
      if (ended) return;
      ended = true;
      stopPinging();
      void closed(code, reason);
    };
    socket.once('error', () => socket.close(CloseCode.InternalServerError, 'Internal server error'));
    const stopPinging = keepAlive.add(socket);
    // The socket ws writes to (the upgraded request's), and the unread bytes it held when
    // the batch being corked began (undefined: no batch open).
    const raw = request.socket;
    let unreadAtBatch: number | undefined;
    const uncork = () => {
      unreadAtBatch = undefined;
      raw.uncork();
    };
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: async (data) => {
          if (socket.readyState !== socket.OPEN) return;
          const unread = unreadAtBatch ?? socket.bufferedAmount;
          if (unread > maxBufferedBytes) {
            const reason = `Slow consumer: over ${maxBufferedBytes} bytes sent but not read; reconnect and resume`;
            socket.close(SLOW_CONSUMER_CLOSE_CODE, reason);
            end(SLOW_CONSUMER_CLOSE_CODE, reason);
            return;
          }
          if (unreadAtBatch === undefined) {
            unreadAtBatch = unread;
            raw.cork();
            setImmediate(uncork);
          }
          socket.send(data);
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', (message: Buffer) => {
            cb(String(message)).catch(() => socket.close(CloseCode.InternalServerError, 'Internal server error'));
          }),
      },
      { socket, request },
    );
    socket.once('close', (code: number, reason: Buffer) => end(code, String(reason)));
  });
  return {
    async dispose() {
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      wsServer.removeAllListeners('connection');
    },
  };
}
