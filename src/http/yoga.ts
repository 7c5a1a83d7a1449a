/**
 * The GraphQL server (yoga): schema, context, error masking, the audit log, and the
 * limits of issue 6 in the order a request meets them — client rate and body size
 * before the body is read, persisted operations when the request is parsed, token,
 * depth, cost, alias and directive limits while the document is parsed and validated,
 * the per-key rate when the caller is known, concurrent subscriptions when one starts.
 */
import type { IncomingMessage } from 'node:http';

import { createGraphQLError, createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';

import type { Actor } from '../auth/actor.js';
import { AuthenticationError } from '../auth/api-keys.js';
import { useAuditLog } from '../auth/audit.js';
import type { Limits } from '../config.js';
import type { AppContext, AppServices } from '../graphql/context.js';
import { defaultQuery } from '../graphql/default-query.js';
import { maskedErrors } from '../graphql/mask-errors.js';
import { buildSchema } from '../graphql/schema.js';
import { useBodySizeLimit } from '../limits/body-size.js';
import type { PersistedOperations } from '../limits/persisted-operations.js';
import { queryLimitPlugins } from '../limits/query-limits.js';
import { RateLimitedError, useClientRateLimit, type RateLimiter } from '../limits/rate-limit.js';
import { useSubscriptionLimits } from '../limits/subscriptions.js';

/** The GraphQL endpoint; graphql-ws shares it. */
export const GRAPHQL_PATH = '/graphql';

/**
 * What yoga's context factory receives besides the request: node:http's request, and
 * from graphql-ws the socket's actor and the socket itself.
 */
export type GraphQLServerContext = { req?: IncomingMessage; actor?: Actor; socket?: object };

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
}): YogaServer {
  const { services, limits, rates, persisted } = options;
  const { logger, access } = services;
  const plugins: Plugin[] = [
    useClientRateLimit(rates),
    useBodySizeLimit(limits.maxBodyBytes),
    ...(persisted ? [persisted.plugin()] : []),
    ...queryLimitPlugins(limits.query, limits.introspection),
    useSubscriptionLimits(limits.subscriptions),
    useAuditLog(services.db, logger),
  ];
  return createYoga<GraphQLServerContext, AppContext>({
    schema: buildSchema(),
    graphqlEndpoint: GRAPHQL_PATH,
    // graphql-ws authenticates once per socket, counts its operations itself and hands
    // the actor in; HTTP (and SSE) requests present their key on every request.
    context: async ({ request, actor }) => {
      if (actor) return { ...services, actor };
      const caller = await authenticated(() => access.actorFor(request.headers.get('authorization')));
      await rates.consumeKey(caller).catch((error: unknown) => {
        throw error instanceof RateLimitedError ? error.toGraphQLError() : error;
      });
      return { ...services, actor: caller };
    },
    graphiql: limits.graphiql ? { title: 'Workforce GraphQL', defaultQuery, subscriptionsProtocol: 'WS' } : false,
    maskedErrors,
    plugins,
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logger.error(args.map(String).join(' ')),
    },
  });
}

/** Runs `authenticate`, turning a refusal into the standard unauthenticated GraphQL error (HTTP 401). */
async function authenticated(authenticate: () => Promise<Actor>): Promise<Actor> {
  try {
    return await authenticate();
  } catch (error) {
    if (error instanceof AuthenticationError) {
      throw createGraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    }
    throw error;
  }
}
