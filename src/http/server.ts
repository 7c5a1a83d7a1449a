/**
 * The one place where the server meets the network: node:http serving yoga, the
 * health endpoints (`/healthz`, `/readyz`, never limited), the Prometheus metrics
 * (`/metrics`, for a bearer of METRICS_TOKEN or an admin key), and graphql-ws on the same
 * port and path. Websocket upgrades count against the client address's rate (HTTP 429
 * with `Retry-After` when over it), and a websocket message may be no larger than a
 * request body (`MAX_BODY_BYTES`; ws closes the socket with 1009 otherwise). A request
 * must arrive whole within `REQUEST_TIMEOUT_MS` (408 and the socket closed otherwise).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { WebSocketServer } from 'ws';

import type { AccessControl } from '../auth/access.js';
import { AuthenticationError } from '../auth/api-keys.js';
import type { Config } from '../config.js';
import type { DatabaseHandle } from '../db/client.js';
import type { PersistedOperations } from '../limits/persisted-operations.js';
import { RateLimitedError, type RateLimiter } from '../limits/rate-limit.js';
import type { Metrics } from '../observability/metrics.js';
import type { OperationLog } from '../observability/operation-log.js';
import { useGraphqlWs } from './graphql-ws.js';
import { GRAPHQL_PATH, type YogaServer } from './yoga.js';

/** Where Prometheus scrapes the metrics (src/observability/metrics.ts). */
export const METRICS_PATH = '/metrics';

/** The listening side of an app. */
export interface HttpServer {
  /** Listens on config.host and config.port; resolves with the GraphQL URL. */
  listen(): Promise<string>;
  /** Stops accepting connections (open ones go on). */
  stopAccepting(): Promise<void>;
  /** Ends subscriptions and closes every socket and connection; after `stopAccepting`. */
  close(): Promise<void>;
}

/** Creates the HTTP and websocket server of `yoga` (not yet listening). */
export function createHttpServer(options: {
  config: Config;
  yoga: YogaServer;
  database: DatabaseHandle;
  access: AccessControl;
  rates: RateLimiter;
  persisted: PersistedOperations | undefined;
  metrics: Metrics;
  operationLog: OperationLog;
}): HttpServer {
  const { config, yoga, database, rates } = options;
  // A client has `requestTimeoutMs` to send a whole request, body included; then node
  // answers 408 and closes the socket (a slow-loris body cannot hold it). Node checks
  // the deadlines every `connectionsCheckingInterval` (its default is 30 s).
  const { requestTimeoutMs } = config.limits;
  const server = createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(requestTimeoutMs, 60_000),
      connectionsCheckingInterval: Math.min(Math.max(Math.floor(requestTimeoutMs / 4), 50), 30_000),
    },
    (req, res) => void handleRequest(req, res),
  );
  async function handleRequest(req: IncomingMessage, res: ServerResponse) {
    if (req.url === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (req.url === METRICS_PATH && req.method === 'GET') {
      if (!(await mayReadMetrics(req.headers.authorization))) {
        res.setHeader('www-authenticate', 'Bearer');
        return sendJson(res, 401, { error: 'Reading /metrics needs METRICS_TOKEN or an admin API key as a bearer token' });
      }
      const { contentType, body } = await options.metrics.scrape();
      res.writeHead(200, { 'content-type': contentType });
      return res.end(body);
    }
    if (req.url === '/readyz') {
      const ready = await database.ping();
      return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'database unreachable' });
    }
    return yoga.handle(req, res);
  }

  /**
   * Who may read `/metrics`: a bearer of `METRICS_TOKEN`, or of an admin API key; on a
   * loopback address with no key in the database (open local access), anyone.
   */
  async function mayReadMetrics(authorization: string | undefined): Promise<boolean> {
    const token = config.metricsToken;
    const presented = authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    if (token && presented && sameSecret(presented, token)) return true;
    try {
      return (await options.access.actorFor(authorization)).role === 'admin';
    } catch (error) {
      if (error instanceof AuthenticationError) return false;
      throw error;
    }
  }

  const wsServer = new WebSocketServer({
    server,
    path: GRAPHQL_PATH,
    maxPayload: config.limits.maxBodyBytes,
    verifyClient: (info, accept) => {
      rates.consumeClient(info.req).then(
        () => accept(true),
        (error: unknown) => {
          if (error instanceof RateLimitedError) accept(false, 429, error.message, { 'Retry-After': String(error.retryAfterSeconds) });
          else accept(false, 500);
        },
      );
    },
  });
  const graphqlWs = useGraphqlWs({
    yoga,
    wsServer,
    access: options.access,
    rates,
    persisted: options.persisted,
    operationLog: options.operationLog,
    connectionInitTimeoutMs: config.limits.wsConnectionInitTimeoutMs,
    maxBufferedBytes: config.limits.wsMaxBufferedBytes,
  });

  return {
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      return `http://${host}:${port}${GRAPHQL_PATH}`;
    },
    stopAccepting() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
    async close() {
      await graphqlWs.dispose();
      for (const socket of wsServer.clients) socket.terminate();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

/** Whether `a` equals `b`, in time independent of where they differ. */
function sameSecret(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
