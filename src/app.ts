/**
 * The application: services, the GraphQL server (yoga over node:http), graphql-ws on the
 * same port and path, and the health endpoints. `createApp` wires everything; `start`
 * listens; `stop` shuts down in order (stop accepting, let runs persist, close sockets,
 * close the database). No module-level state: a test may start several apps at once.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createGraphQLError, createYoga, type YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer, type WebSocket } from 'ws';

import { AccessControl } from './auth/access.js';
import type { Actor } from './auth/actor.js';
import { AuthenticationError, ensureBootstrapKey, isKeyValid } from './auth/api-keys.js';
import { useAuditLog } from './auth/audit.js';

import type { Config } from './config.js';
import { openDatabase, type Database, type DatabaseHandle } from './db/client.js';
import { DEFAULT_ORGANIZATION_ID } from './db/schema.js';
import { dispatchEvents } from './events/dispatcher.js';
import type { AppContext, AppServices } from './graphql/context.js';
import { defaultQuery } from './graphql/default-query.js';
import { maskedErrors } from './graphql/mask-errors.js';
import { buildSchema } from './graphql/schema.js';
import { createLogger, type Logger } from './logger.js';
import { createModelRegistry } from './models/registry.js';
import { createBus } from './realtime/bus.js';
import { RunExecutor } from './runs/executor.js';
import { systemClock, type Clock } from './scheduler/clock.js';
import { Scheduler } from './scheduler/scheduler.js';
import { createRunEndedHandler, WorkRunner } from './tasks/execution.js';
import { fireDueSchedules } from './tasks/recurring.js';
import { fireTriggers } from './triggers/service.js';
import { deliverWebhooks } from './webhooks/deliver.js';
import { enqueueDeliveries } from './webhooks/service.js';

/** The GraphQL endpoint; graphql-ws shares it. */
export const GRAPHQL_PATH = '/graphql';

/** A created application. */
export interface App {
  services: AppServices;
  database: DatabaseHandle;
  /** Recurring tasks, event dispatch (triggers, webhooks), webhook retries, the work sweep. */
  scheduler: Scheduler;
  yoga: YogaServerInstance<GraphQLServerContext, AppContext>;
  /** Listens on config.port (0: a free port); resolves with the URL of GraphiQL. */
  start(): Promise<string>;
  /** Graceful shutdown; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Opens the database (migrating it), builds the schema and wires the services.
 * @param overrides replace services (tests inject a logger, a model registry or a clock)
 */
export async function createApp(
  config: Config,
  overrides: { logger?: Logger; models?: AppServices['models']; clock?: Clock } = {},
): Promise<App> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const busHandle = createBus({ redisUrl: config.redisUrl });
  const { bus } = busHandle;
  const models =
    overrides.models ??
    createModelRegistry({
      openaiApiKey: config.openaiApiKey,
      openaiBaseUrl: config.openaiBaseUrl,
      modelAliases: config.modelAliases,
    });
  const clock = overrides.clock ?? systemClock;
  const runs = new RunExecutor({
    db: database.db,
    bus,
    models,
    logger: logger.child({ component: 'runs' }),
    leaseMs: config.runLeaseMs,
    onRunEnded: createRunEndedHandler(),
  });
  const access = new AccessControl(database.db, config.host);
  const services: AppServices = { db: database.db, bus, models, runs, logger, clock, access };
  const work = new WorkRunner({ db: database.db, bus, runs, logger: logger.child({ component: 'work' }) });
  const schedulerLogger = logger.child({ component: 'scheduler' });
  const scheduler = new Scheduler({
    clock,
    logger: schedulerLogger,
    jobs: [
      { name: 'recurring-tasks', run: (now) => fireDueSchedules({ db: database.db, bus, logger: schedulerLogger }, now) },
      { name: 'event-dispatch', run: (now) => dispatchEvents({ db: database.db, bus }, [fireTriggers, enqueueDeliveries], now) },
      { name: 'webhook-delivery', run: (now) => deliverWebhooks({ db: database.db, logger: schedulerLogger }, now) },
      { name: 'work-sweep', run: () => work.sweep() },
    ],
  });
  // Every stored event asks for a tick, so triggers and webhooks react at once; the
  // timer covers what other processes stored and what falls due with time.
  const appended = bus.subscribe('domain:appended')[Symbol.asyncIterator]();
  void (async () => {
    while (!(await appended.next()).done) scheduler.kick();
  })();

  const yoga = createYoga<GraphQLServerContext, AppContext>({
    schema: buildSchema(),
    graphqlEndpoint: GRAPHQL_PATH,
    // graphql-ws authenticates once per socket and hands the actor in; HTTP (and SSE)
    // requests present their key on every request.
    context: async ({ request, actor }) => ({
      ...services,
      actor: actor ?? (await authenticated(() => access.actorFor(request.headers.get('authorization')))),
    }),
    graphiql: { title: 'Workforce GraphQL', defaultQuery, subscriptionsProtocol: 'WS' },
    maskedErrors,
    plugins: [useAuditLog(database.db, logger)],
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logger.error(args.map(String).join(' ')),
    },
  });

  const server = createServer((req, res) => void handleRequest(req, res));
  async function handleRequest(req: IncomingMessage, res: ServerResponse) {
    if (req.url === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (req.url === '/readyz') {
      const ready = await database.ping();
      return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'database unreachable' });
    }
    return yoga.handle(req, res);
  }

  const wsServer = new WebSocketServer({ server, path: GRAPHQL_PATH });
  const sockets = new Map<WebSocket, Actor>();
  const wsDisposable = useGraphqlWs(yoga, wsServer, access, sockets);
  // A socket whose key is revoked or expires is closed within this many ms.
  const keyWatch = setInterval(() => void closeRevokedSockets(database.db, sockets), 2_000);
  keyWatch.unref();

  let stopped: Promise<void> | undefined;
  return {
    services,
    database,
    scheduler,
    yoga,
    async start() {
      if (config.adminApiKey) {
        await ensureBootstrapKey(database.db, DEFAULT_ORGANIZATION_ID, config.adminApiKey);
        access.keysChanged();
      }
      await access.assertStartable();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      const url = `http://${host}:${port}${GRAPHQL_PATH}`;
      runs.startSweeping();
      work.start();
      scheduler.start();
      logger.info(
        { url, database: database.description, models: models.describe(), bus: busHandle.description },
        `GraphiQL at ${url} · database: ${database.description} · models: ${models.describe()} · bus: ${busHandle.description}`,
      );
      return url;
    },
    stop() {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        clearInterval(keyWatch);
        await appended.return?.();
        await scheduler.stop();
        await work.stop();
        await runs.stop();
        await wsDisposable.dispose();
        for (const socket of wsServer.clients) socket.terminate();
        await new Promise<void>((resolve) => wsServer.close(() => resolve()));
        server.closeAllConnections();
        await busHandle.close();
        await database.close();
      })();
      return stopped;
    },
  };
}

/** What yoga's context factory receives besides the request: graphql-ws hands in the socket's actor. */
type GraphQLServerContext = { actor?: Actor };

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

/** Closes sockets whose API key was revoked or expired (close code 4403, graphql-ws "Forbidden"). */
async function closeRevokedSockets(db: Database, sockets: Map<WebSocket, Actor>): Promise<void> {
  for (const [socket, actor] of sockets) {
    if (actor.apiKeyId && !(await isKeyValid(db, actor.apiKeyId).catch(() => true))) {
      socket.close(4403, 'Forbidden: the API key was revoked or expired');
      sockets.delete(socket);
    }
  }
}

/**
 * graphql-ws on `wsServer`, executing through yoga's envelop so plugins apply (yoga docs,
 * "Subscriptions"). The key comes in `connectionParams` (`{ authorization: "Bearer …" }`
 * or `{ apiKey }`) and is checked once, at `connection_init`; a refusal closes the socket
 * with 4403.
 */
function useGraphqlWs(
  yoga: YogaServerInstance<GraphQLServerContext, AppContext>,
  wsServer: WebSocketServer,
  access: AccessControl,
  sockets: Map<WebSocket, Actor>,
) {
  type Enveloped = ReturnType<typeof yoga.getEnveloped>;
  const executors = new WeakMap<object, Pick<Enveloped, 'execute' | 'subscribe'>>();
  const executorOf = (args: ExecutionArgs) => executors.get(args.contextValue as object)!;
  return useServer(
    {
      execute: (args) => executorOf(args).execute(args),
      subscribe: (args) => executorOf(args).subscribe(args),
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const credential = typeof params.authorization === 'string' ? params.authorization : typeof params.apiKey === 'string' ? params.apiKey : undefined;
        try {
          const actor = await access.actorFor(credential);
          sockets.set(ctx.extra.socket, actor);
          ctx.extra.socket.once('close', () => sockets.delete(ctx.extra.socket));
          return true;
        } catch (error) {
          if (error instanceof AuthenticationError) return false;
          throw error;
        }
      },
      onSubscribe: async (ctx, _id, params) => {
        const actor = sockets.get(ctx.extra.socket);
        if (!actor) return [createGraphQLError('The connection is not authenticated', { extensions: { code: 'UNAUTHENTICATED' } })];
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          actor,
        });
        const document = parse(params.query);
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        const contextValue = (await contextFactory()) as object;
        executors.set(contextValue, { execute, subscribe });
        return {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue,
        };
      },
    },
    wsServer,
  );
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

