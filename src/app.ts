/**
 * The application: services, the GraphQL server (yoga over node:http), graphql-ws on the
 * same port and path, and the health endpoints (wired in src/http). `createApp` wires
 * everything; `start` listens; `stop` shuts down in order (stop accepting, let runs
 * persist, close sockets, close the database). No module-level state: a test may start
 * several apps at once.
 */
import { AccessControl } from './auth/access.js';
import { ensureBootstrapKey } from './auth/api-keys.js';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/client.js';
import { DEFAULT_ORGANIZATION_ID } from './db/schema.js';
import { FleetRuntime } from './fleets/core/runtime.js';
import { dispatchEvents } from './events/dispatcher.js';
import type { AppServices } from './graphql/context.js';
import { createHttpServer } from './http/server.js';
import { createYogaServer, type YogaServer } from './http/yoga.js';
import { PersistedOperations } from './limits/persisted-operations.js';
import { RateLimiter } from './limits/rate-limit.js';
import { createLogger, type Logger } from './logger.js';
import { createModelRegistry } from './models/registry.js';
import { OutboundPolicy } from './net/outbound.js';
import { createBus } from './realtime/bus.js';
import { RunExecutor } from './runs/executor.js';
import { systemClock, type Clock } from './scheduler/clock.js';
import { Scheduler } from './scheduler/scheduler.js';
import { createRunEndedHandler, WorkRunner } from './tasks/execution.js';
import { fireDueSchedules } from './tasks/recurring.js';
import { fireTriggers } from './triggers/service.js';
import { deliverWebhooks } from './webhooks/deliver.js';
import { enqueueDeliveries } from './webhooks/service.js';

/** A created application. */
export interface App {
  services: AppServices;
  database: DatabaseHandle;
  /** Recurring tasks, event dispatch (triggers, webhooks), webhook retries, the work sweep. */
  scheduler: Scheduler;
  yoga: YogaServer;
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
  // Read first: a bad file stops the start before anything is opened.
  const persisted = config.limits.persistedOperations
    ? await PersistedOperations.load(config.limits.persistedOperations.file, config.limits.persistedOperations.only)
    : undefined;
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const busHandle = createBus({ redisUrl: config.redisUrl, logger: logger.child({ component: 'bus' }) });
  const { bus } = busHandle;
  const models =
    overrides.models ??
    createModelRegistry({
      openaiApiKey: config.openaiApiKey,
      openaiBaseUrl: config.openaiBaseUrl,
      modelAliases: config.modelAliases,
    });
  const clock = overrides.clock ?? systemClock;
  const outbound = new OutboundPolicy(config.outbound);
  const runs = new RunExecutor({
    db: database.db,
    bus,
    models,
    logger: logger.child({ component: 'runs' }),
    leaseMs: config.runLeaseMs,
    outbound,
    onRunEnded: createRunEndedHandler(),
  });
  const access = new AccessControl(database.db, config.host);
  const fleets = new FleetRuntime({ db: database.db, bus, runs, logger: logger.child({ component: 'fleets' }), clock });
  const services: AppServices = { db: database.db, bus, models, runs, logger, clock, access, fleets };
  const work = new WorkRunner({ db: database.db, bus, runs, logger: logger.child({ component: 'work' }) });
  const schedulerLogger = logger.child({ component: 'scheduler' });
  const scheduler = new Scheduler({
    clock,
    logger: schedulerLogger,
    jobs: [
      { name: 'recurring-tasks', run: (now) => fireDueSchedules({ db: database.db, bus, logger: schedulerLogger }, now) },
      { name: 'event-dispatch', run: (now) => dispatchEvents({ db: database.db, bus }, [fireTriggers, enqueueDeliveries], now) },
      { name: 'webhook-delivery', run: (now) => deliverWebhooks({ db: database.db, logger: schedulerLogger, outbound }, now) },
      { name: 'work-sweep', run: () => work.sweep() },
      ...fleets.jobs(),
    ],
  });
  // Every stored event asks for a tick, so triggers and webhooks react at once; the
  // timer covers what other processes stored and what falls due with time.
  const unlistenAppended = bus.listen('domain:appended', () => scheduler.kick());

  const rates = new RateLimiter(config.limits.rate);
  const yoga = createYogaServer({ services, limits: config.limits, rates, persisted });
  const http = createHttpServer({ config, yoga, database, access, rates, persisted });

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
      const url = await http.listen();
      runs.startSweeping();
      work.start();
      fleets.start();
      scheduler.start();
      logger.info(
        { url, database: database.description, models: models.describe(), bus: busHandle.description },
        `GraphiQL at ${url} · database: ${database.description} · models: ${models.describe()} · bus: ${busHandle.description}`,
      );
      return url;
    },
    stop() {
      stopped ??= (async () => {
        await http.stopAccepting();
        unlistenAppended();
        await scheduler.stop();
        await fleets.stop();
        await work.stop();
        await runs.stop();
        await http.close();
        await outbound.close();
        await busHandle.close();
        await database.close();
      })();
      return stopped;
    },
  };
}
