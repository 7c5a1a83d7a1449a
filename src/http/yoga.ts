/**
 * The GraphQL server (yoga): schema, context, error masking, the audit log, request ids
 * and operation log lines, metrics, traces (src/observability), and the limits in the order a request meets them — client rate, authentication from the
 * headers, the per-key rate and the body size before the body is read (a request
 * without a valid key is refused without reading a byte of its body), persisted
 * operations when the request is parsed, token, depth, cost, alias and directive limits
 * while the document is parsed and validated, concurrent subscriptions when one starts.
 */
import type { IncomingMessage } from 'node:http';

import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';

import type { AccessControl } from '../auth/access.js';
import { resultScope, type Actor } from '../auth/actor.js';
import { AuthenticationError } from '../auth/api-keys.js';
import { useAuditLog } from '../auth/audit.js';
import { useKeyWatchOnStreams } from '../auth/stream-revocation.js';
import type { Limits } from '../config.js';
import type { AppContext, AppServices } from '../graphql/context.js';
import { defaultQuery } from '../graphql/default-query.js';
import { isAnsweredError, maskedErrors } from '../graphql/mask-errors.js';
import { useSharedExecution } from '../graphql/shared-execution.js';
import { buildSchema } from '../graphql/schema.js';
import { useBodySizeLimit } from '../limits/body-size.js';
import { DOCUMENT_ID_PARAM, type PersistedOperations } from '../limits/persisted-operations.js';
import { queryLimitPlugins } from '../limits/query-limits.js';
import { RateLimitedError, useClientRateLimit, type RateLimiter } from '../limits/rate-limit.js';
import { refusal } from '../limits/refusal.js';
import { useSubscriptionLimits } from '../limits/subscriptions.js';
import { graphqlMetricsPlugins } from '../observability/graphql-metrics.js';
import type { Metrics } from '../observability/metrics.js';
import type { OperationLog, SocketOperation } from '../observability/operation-log.js';
import { operationTracingPlugins } from '../observability/tracing.js';

/** The GraphQL endpoint; graphql-ws shares it. */
export const GRAPHQL_PATH = '/graphql';

/**
 * What yoga's context factory receives besides the request: node:http's request, and
 * from graphql-ws the socket's actor, the socket itself and the operation's log entry.
 */
export type GraphQLServerContext = { req?: IncomingMessage; actor?: Actor; socket?: object; operation?: SocketOperation };

export type YogaServer = YogaServerInstance<GraphQLServerContext, AppContext>;

/**
 * Creates the yoga server.
 * @param persisted the persisted operations store, when PERSISTED_OPERATIONS_FILE is set
 */
export function createYogaServer(options: {
  services: AppServices;
  limits: Limits;
  rates: RateLimiter;
  persisted: PersistedOperations | undefined;
  metrics: Metrics;
  operationLog: OperationLog;
  /** Whether operations are traced (OpenTelemetry; the SDK is started by the process). */
  tracing: boolean;
}): YogaServer {
  const { services, limits, rates, persisted } = options;
  const { logger } = services;
  const authentication = useAuthentication(services.access, rates);
  const plugins: Plugin[] = [
    // First: every request gets an id and a log line, refusals by the plugins below included.
    options.operationLog.plugin(),
    ...graphqlMetricsPlugins(options.metrics),
    ...(options.tracing ? operationTracingPlugins() : []),
    useClientRateLimit(rates),
    authentication.plugin,
    useBodySizeLimit(limits.maxBodyBytes),
    ...(persisted ? [persisted.plugin()] : []),
    ...queryLimitPlugins(limits.query, limits.introspection),
    useSubscriptionLimits(limits.subscriptions),
    useKeyWatchOnStreams(services.access),
    useSharedExecution<{ actor?: Actor }>((context) => context.actor && resultScope(context.actor)),
    useAuditLog(services.db, logger),
  ];
  return createYoga<GraphQLServerContext, AppContext>({
    schema: buildSchema(),
    graphqlEndpoint: GRAPHQL_PATH,
    // graphql-ws authenticates once per socket and hands the actor in; HTTP (and SSE)
    // requests were authenticated from their headers when they arrived.
    context: ({ request, actor }) => ({ ...services, actor: actor ?? authentication.actorOf(request), ...(request ? { signal: request.signal } : {}) }),
    graphiql: limits.graphiql ? { title: 'Workforce GraphQL', defaultQuery, subscriptionsProtocol: 'WS' } : false,
    maskedErrors,
    // A persisted document's id may come as `documentId` (GraphQL Codegen's client preset) beside the usual parameters.
    ...(persisted ? { extraParamNames: [DOCUMENT_ID_PARAM] } : {}),
    // MAX_BODY_BYTES is enforced by useBodySizeLimit; yoga's own limit would copy every body through a counting stream.
    maxRequestBodySize: false,
    plugins,
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      // A client that goes away mid-request (node's "aborted", ECONNRESET) is not a
      // server error: yoga reports it twice (reading the body, answering), at debug. Nor
      // is a domain error answered to the client (yoga reports every error its masking
      // rewrote): it is in the operation's log line. Anything else is logged with its stack.
      error: (...args) => {
        const abort = args.find(isClientAbort);
        const answered = args.find(isAnsweredError);
        const error = args.find((arg) => arg instanceof Error);
        if (abort) logger.debug({ err: abort }, 'the client aborted its request');
        else if (answered) logger.debug({ err: answered }, 'a client error was answered');
        else if (error) logger.error({ err: error }, error.message);
        else logger.error(args.map(String).join(' '));
      },
    },
  });
}

/**
 * A yoga plugin authenticating every request from its `Authorization` header as it
 * arrives, before its body is read, and counting it against its key's rate. A missing
 * or bad key is answered `401 UNAUTHENTICATED` (with `connection: close`, so that node
 * closes the socket rather than read the body); a key over its rate `429 RATE_LIMITED`.
 * `actorOf` gives the context factory the actor of an accepted request.
 */
function useAuthentication(access: AccessControl, rates: RateLimiter): { plugin: Plugin; actorOf(request: Request): Actor } {
  const actors = new WeakMap<Request, Actor>();
  return {
    plugin: {
      async onRequest({ request, endResponse, fetchAPI }) {
        try {
          const actor = await access.actorFor(request.headers.get('authorization'));
          await rates.consumeKey(actor);
          actors.set(request, actor);
        } catch (error) {
          if (error instanceof RateLimitedError) return endResponse(error.toResponse(fetchAPI));
          if (!(error instanceof AuthenticationError)) throw error;
          endResponse(refusal(fetchAPI, 401, { message: error.message, code: 'UNAUTHENTICATED' }, { 'www-authenticate': 'Bearer', connection: 'close' }));
        }
      },
    },
    actorOf(request) {
      const actor = actors.get(request);
      if (!actor) throw new AuthenticationError('The request was not authenticated');
      return actor;
    },
  };
}

/** Whether `error` says that the client closed its connection before the request was read or answered. */
function isClientAbort(error: unknown): boolean {
  return error instanceof Error && ((error as NodeJS.ErrnoException).code === 'ECONNRESET' || error.name === 'AbortError');
}
