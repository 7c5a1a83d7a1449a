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
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';

import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/client.js';
import { DEFAULT_ORGANIZATION_ID } from './db/schema.js';
import { dispatchEvents } from './events/dispatcher.js';
import type { Actor, AppContext, AppServices } from './graphql/context.js';
import { defaultQuery } from './graphql/default-query.js';
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
  yoga: YogaServerInstance<Record<string, never>, AppContext>;
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
  const bus = createBus();
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
  const services: AppServices = { db: database.db, bus, models, runs, logger, clock };
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

  // Until API keys exist, every caller acts as admin of the default organisation.
  const actor: Actor = { organizationId: DEFAULT_ORGANIZATION_ID, role: 'admin' };
  const yoga = createYoga<Record<string, never>, AppContext>({
    schema: buildSchema(),
    graphqlEndpoint: GRAPHQL_PATH,
    context: () => ({ ...services, actor }),
    graphiql: { title: 'Workforce GraphQL', defaultQuery, subscriptionsProtocol: 'WS' },
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
  const wsDisposable = useGraphqlWs(yoga, wsServer);

  let stopped: Promise<void> | undefined;
  return {
    services,
    database,
    scheduler,
    yoga,
    async start() {
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
        { url, database: database.description, models: models.describe() },
        `GraphiQL at ${url} · database: ${database.description} · models: ${models.describe()}`,
      );
      return url;
    },
    stop() {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await appended.return?.();
        await scheduler.stop();
        await work.stop();
        await runs.stop();
        await wsDisposable.dispose();
        for (const socket of wsServer.clients) socket.terminate();
        await new Promise<void>((resolve) => wsServer.close(() => resolve()));
        server.closeAllConnections();
        await database.close();
      })();
      return stopped;
    },
  };
}

/** graphql-ws on `wsServer`, executing through yoga's envelop so plugins apply (yoga docs, "Subscriptions"). */
function useGraphqlWs(yoga: YogaServerInstance<Record<string, never>, AppContext>, wsServer: WebSocketServer) {
  type Enveloped = ReturnType<typeof yoga.getEnveloped>;
  const executors = new WeakMap<object, Pick<Enveloped, 'execute' | 'subscribe'>>();
  const executorOf = (args: ExecutionArgs) => executors.get(args.contextValue as object)!;
  return useServer(
    {
      execute: (args) => executorOf(args).execute(args),
      subscribe: (args) => executorOf(args).subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
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

