/**
 * A TCP proxy in front of PostgreSQL that counts the SQL statements a client sends, for
 * the benchmarks' "statements per request / per run / per second" figures where the
 * pg_stat_statements extension is not loaded (it needs `shared_preload_libraries`, i.e. a
 * server restart). Point the server's DATABASE_URL at {@link PgProxy.url}.
 *
 * What counts as one statement: one Execute message of the extended query protocol
 * (postgres.js sends every statement so, BEGIN and COMMIT included) or one simple Query
 * message; the same units pg_stat_statements counts with `track_utility` on. A simple
 * Query holding several statements (the migrations) counts once.
 *
 * While {@link PgProxy.capture} is on, it also records each executed statement's text
 * and text-format parameters (statements are tracked per connection by name, so a
 * statement prepared before the capture is still named).
 */
import net from 'node:net';

/** One executed statement seen during a capture. */
export interface CapturedStatement {
  text: string;
  /** Text-format parameters; null for SQL NULL. */
  params: Array<string | null>;
}

/** A running proxy. */
export interface PgProxy {
  /** `url` with host and port replaced by the proxy's. */
  url: string;
  /** Statements executed since the proxy started, over all connections. */
  statements(): number;
  /** Starts recording statements (clears what an earlier capture recorded). */
  capture(): void;
  /** Stops recording and returns what was recorded, in execution order. */
  captured(): CapturedStatement[];
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

/**
 * Starts a proxy on 127.0.0.1 (free port) forwarding to the server of `databaseUrl`.
 * @param databaseUrl postgres://… of the real server; the proxy URL keeps its user, database and options
 */
export async function startPgProxy(databaseUrl: string): Promise<PgProxy> {
  const target = new URL(databaseUrl);
  let count = 0;
  let recording: CapturedStatement[] | undefined;
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    const prepared = new Map<string, string>();
    const portals = new Map<string, CapturedStatement>();
    let buffer: Buffer = Buffer.alloc(0);
    let startup = true;

    const onMessage = (type: number, body: Buffer) => {
      if (type === 0x51 /* Q */) {
        count++;
        recording?.push({ text: body.toString('utf8', 0, body.length - 1), params: [] });
      } else if (type === 0x50 /* P */) {
        const nameEnd = body.indexOf(0);
        const textEnd = body.indexOf(0, nameEnd + 1);
        prepared.set(body.toString('utf8', 0, nameEnd), body.toString('utf8', nameEnd + 1, textEnd));
      } else if (type === 0x42 /* B */ && recording) {
        const portalEnd = body.indexOf(0);
        const nameEnd = body.indexOf(0, portalEnd + 1);
        const portal = body.toString('utf8', 0, portalEnd);
        const text = prepared.get(body.toString('utf8', portalEnd + 1, nameEnd)) ?? '?';
        let at = nameEnd + 1;
        const formats = body.readInt16BE(at);
        at += 2 + 2 * formats;
        const n = body.readInt16BE(at);
        at += 2;
        const params: Array<string | null> = [];
        for (let i = 0; i < n; i++) {
          const length = body.readInt32BE(at);
          at += 4;
          params.push(length < 0 ? null : body.toString('utf8', at, at + length));
          if (length > 0) at += length;
        }
        portals.set(portal, { text, params });
      } else if (type === 0x45 /* E */) {
        count++;
        if (recording) {
          const portal = body.toString('utf8', 0, body.indexOf(0));
          recording.push(portals.get(portal) ?? { text: '?', params: [] });
        }
      }
    };

    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      for (;;) {
        if (startup) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          const code = buffer.readInt32BE(4);
          buffer = buffer.subarray(length);
          // After an SSL or GSS request the real start-up message follows.
          if (code !== SSL_REQUEST && code !== GSS_REQUEST) startup = false;
          continue;
        }
        if (buffer.length < 5) return;
        const length = buffer.readInt32BE(1);
        if (buffer.length < 1 + length) return;
        onMessage(buffer[0]!, buffer.subarray(5, 1 + length));
        buffer = buffer.subarray(1 + length);
      }
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    statements: () => count,
    capture: () => {
      recording = [];
    },
    captured: () => {
      const seen = recording ?? [];
      recording = undefined;
      return seen;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
