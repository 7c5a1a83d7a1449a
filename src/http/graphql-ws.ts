/**
 * graphql-ws on the GraphQL path, executing through yoga's envelop so that its plugins
 * (limits, audit log, error masking) apply as over HTTP (yoga docs, "Subscriptions").
 *
 * - The key comes in `connectionParams` (`{ authorization: "Bearer …" }` or
 *   `{ apiKey }`) and is checked once, at `connection_init`; a refusal closes the socket
 *   with 4403. A socket that sends no `connection_init` within
 *   `WS_CONNECTION_INIT_TIMEOUT_MS` is closed with 4408 (graphql-ws).
 * - Every operation counts against the socket's and the key's rates; over either the
 *   socket is closed with 4429 (`RATE_LIMITED_CLOSE_CODE`), its reason saying when to
 *   retry.
 * - A client that does not read what it is sent is closed with 4413 once its socket holds
 *   more than `WS_MAX_BUFFERED_BYTES` unread (src/http/ws-transport.ts).
 * - A document refused by a limit, a syntax error or a persisted-operations rule is an
 *   `error` message for that operation; the socket stays open.
 * - Every operation is logged when it ends (src/observability/operation-log.ts), under
 *   the request id of its socket's upgrade request and its id on the socket.
 * - A socket whose key is revoked is closed with 4403 at once (the revocation reaches
 *   every process over the bus), and one whose key expires when it expires
 *   (src/auth/key-watch.ts).
 */
import { randomUUID } from 'node:crypto';

import { GraphQLError, type DocumentNode, type ExecutionArgs } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import type { WebSocket, WebSocketServer } from 'ws';

import type { AccessControl } from '../auth/access.js';
import type { Actor } from '../auth/actor.js';
import { AuthenticationError } from '../auth/api-keys.js';
import { KEY_UNUSABLE_MESSAGE } from '../auth/stream-revocation.js';
import type { PersistedOperations } from '../limits/persisted-operations.js';
import { RATE_LIMITED_CLOSE_CODE, RateLimitedError, type RateLimiter } from '../limits/rate-limit.js';
import { REQUEST_ID_HEADER, requestIdOf, type OperationLog, type SocketOperation } from '../observability/operation-log.js';
import { serveGraphqlWs } from './ws-transport.js';
import type { YogaServer } from './yoga.js';

/** An authenticated socket: who it acts for, the id its rate is counted under, and the request id of its operations' log lines. */
interface SocketState {
  actor: Actor;
  id: string;
  requestId: string;
}

/** The running graphql-ws server; `dispose` completes its subscriptions. */
export interface GraphqlWs {
  dispose(): Promise<void>;
}

/**
 * Serves graphql-ws on `wsServer`.
 * @param persisted when set, subscribe messages are resolved through it (ids, or queries when allowed)
 */
export function useGraphqlWs(options: {
  yoga: YogaServer;
  wsServer: WebSocketServer;
  access: AccessControl;
  rates: RateLimiter;
  persisted: PersistedOperations | undefined;
  /** Where each operation's log line goes (src/observability/operation-log.ts). */
  operationLog: OperationLog;
  connectionInitTimeoutMs: number;
  /** Unread bytes a socket may hold before it is closed with 4413 (src/http/ws-transport.ts). */
  maxBufferedBytes: number;
}): GraphqlWs {
  const { yoga, access, rates, persisted, operationLog } = options;
  const sockets = new Map<WebSocket, SocketState>();
  type Enveloped = ReturnType<YogaServer['getEnveloped']>;
  const executors = new WeakMap<object, Pick<Enveloped, 'execute' | 'subscribe'>>();
  const executorOf = (args: ExecutionArgs) => executors.get(args.contextValue as object)!;
  const server = serveGraphqlWs(
    {
      connectionInitWaitTimeout: options.connectionInitTimeoutMs,
      execute: (args) => executorOf(args).execute(args),
      subscribe: (args) => executorOf(args).subscribe(args),
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const credential = typeof params.authorization === 'string' ? params.authorization : typeof params.apiKey === 'string' ? params.apiKey : undefined;
        try {
          const actor = await access.actorFor(credential);
          const socket = ctx.extra.socket;
          sockets.set(socket, { actor, id: randomUUID(), requestId: requestIdOf(ctx.extra.request.headers[REQUEST_ID_HEADER]?.toString()) });
          const unwatch = access.watch(actor, () => socket.close(4403, KEY_UNUSABLE_MESSAGE));
          socket.once('close', () => {
            unwatch();
            sockets.delete(socket);
          });
          return true;
        } catch (error) {
          if (error instanceof AuthenticationError) return false;
          throw error;
        }
      },
      onSubscribe: async (ctx, id, params) => {
        const startedAt = performance.now();
        const socket = ctx.extra.socket;
        const state = sockets.get(socket);
        if (!state) return [createGraphQLError('The connection is not authenticated', { extensions: { code: 'UNAUTHENTICATED' } })];
        const operation: SocketOperation = { requestId: `${state.requestId}/${id}`, startedAt };
        const refuse = (errors: readonly GraphQLError[], document?: DocumentNode) => {
          operationLog.refused(operation, { operationName: params.operationName, ...(document ? { document } : {}) }, errors);
          return errors;
        };
        try {
          await rates.consumeSocket(state.id);
          await rates.consumeKey(state.actor);
        } catch (error) {
          if (!(error instanceof RateLimitedError)) throw error;
          socket.close(RATE_LIMITED_CLOSE_CODE, error.message);
          return refuse([error.toGraphQLError()]);
        }
        try {
          const query = persisted ? persisted.resolve(params) : params.query;
          const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
            ...ctx,
            req: ctx.extra.request,
            socket,
            params: { ...params, query },
            actor: state.actor,
            operation,
          });
          const document = parse(query);
          const errors = validate(schema, document);
          if (errors.length > 0) return refuse(errors, document);
          const contextValue = (await contextFactory()) as object;
          executors.set(contextValue, { execute, subscribe });
          return { schema, operationName: params.operationName, document, variableValues: params.variables, contextValue };
        } catch (error) {
          // graphql-armor's limits and syntax errors throw while parsing or validating.
          if (error instanceof GraphQLError) return refuse([error]);
          throw error;
        }
      },
    },
    options.wsServer,
    options.maxBufferedBytes,
  );
  return {
    async dispose() {
      await server.dispose();
    },
  };
}
