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
import { openDatabase, type DatabaseHandle, type StatementListener } from './db/client.js';
import { DEFAULT_ORGANIZATION_ID } from './db/schema.js';
import { FleetRuntime } from './fleets/core/runtime.js';
import { readFleetLoads } from './fleets/monitoring/status.js';
import { dispatchEvents } from './events/dispatcher.js';
import { EventInterest, wants } from './events/interest.js';
import { Reactions } from './events/reactions.js';
import type { AppServices } from './graphql/context.js';
import { createHttpServer } from './http/server.js';
import { createYogaServer, type YogaServer } from './http/yoga.js';
import { PersistedOperations } from './limits/persisted-operations.js';
import { RateLimiter } from './limits/rate-limit.js';
import { createLogger, type Logger } from './logger.js';
import { createModelRegistry } from './models/registry.js';
import { Mailer } from './net/mailer.js';
import { OutboundPolicy } from './net/outbound.js';
import { Metrics } from './observability/metrics.js';
import { OperationLog } from './observability/operation-log.js';
import { serverTracer } from './observability/tracing.js';
import { createBus } from './realtime/bus.js';
import { SharedReads } from './realtime/shared-reads.js';
import { RunExecutor } from './runs/executor.js';
import { systemClock, type Clock } from './scheduler/clock.js';
import { Scheduler, untilDue } from './scheduler/scheduler.js';
import { createRunEndedHandler, WorkRunner } from './tasks/execution.js';
import { nextRetryDue, requeueDueRetries } from './tasks/transitions.js';
import { fireDueSchedules, nextScheduledInstant } from './tasks/recurring.js';
import { fireTriggers } from './triggers/service.js';
import { deliverWebhooks, nextDeliveryDue } from './webhooks/deliver.js';
import { enqueueDeliveries } from './webhooks/service.js';

/** A created application. */
export interface App {
  services: AppServices;
  database: DatabaseHandle;
  /** Recurring tasks, event dispatch (triggers, webhooks), webhook retries, the work sweep, fleet jobs. */
  scheduler: Scheduler;
  /** What this process does when a domain event is appended. */
  reactions: Reactions;
  yoga: YogaServer;
  /** Listens on config.port (0: a free port); resolves with the URL of GraphiQL. */
  start(): Promise<string>;
  /** Graceful shutdown; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * How long scheduler jobs that also serve other processes' changes sleep when nothing
 * wakes them and nothing falls due, in clock ms: a schedule, an event for a trigger or
 * webhook, or a delivery stored by another process waits at most this long (this
 * process's own changes wake the jobs at once; the cost of an idle server is about one
 * statement per job per poll).
 */
const OTHER_PROCESSES_POLL_MS = 60_000;

/**
 * Opens the database (migrating it), builds the schema and wires the services.
 * @param overrides replace services (tests inject a logger, a model registry or a clock) or
 *   count the SQL statements sent (`onStatement`)
 */
export async function createApp(
  config: Config,
  overrides: { logger?: Logger; models?: AppServices['models']; clock?: Clock; onStatement?: StatementListener } = {},
): Promise<App> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  // Read first: a bad file stops the start before anything is opened.
  const persisted = config.limits.persistedOperations
    ? await PersistedOperations.load(config.limits.persistedOperations.file, config.limits.persistedOperations.only)
    : undefined;
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onStatement: overrides.onStatement });
  const busHandle = await createBus({
    redisUrl: config.redisUrl,
    databaseUrl: config.databaseUrl,
    logger: logger.child({ component: 'bus' }),
  });
  const { bus } = busHandle;
  const models =
    overrides.models ??
    createModelRegistry({
      openaiApiKey: config.openaiApiKey,
      openaiBaseUrl: config.openaiBaseUrl,
      modelAliases: config.modelAliases,
      defaultModel: config.defaultModel,
    });
  const clock = overrides.clock ?? systemClock;
  const outbound = new OutboundPolicy(config.outbound);
  const mailer = config.mail ? new Mailer(config.mail) : undefined;
  const runs = new RunExecutor({
    db: database.db,
    bus,
    models,
    logger: logger.child({ component: 'runs' }),
    leaseMs: config.runLeaseMs,
    outbound,
    prices: config.modelPrices,
    clock,
    onRunEnded: createRunEndedHandler(clock),
    onRunFinished: (run) => metrics.runFinished(run),
    ...(config.tracing.enabled ? { telemetry: { tracer: serverTracer(), recordContent: config.tracing.recordContent } } : {}),
  });
  const metrics = new Metrics(
    { fleetLoads: () => readFleetLoads(database.db), runsExecuting: () => runs.executingCount },
    logger.child({ component: 'metrics' }),
  );
  const access = new AccessControl({ db: database.db, host: config.host, bus, logger: logger.child({ component: 'access' }), keyCacheMs: config.apiKeyCacheMs });
  const fleets = new FleetRuntime({ db: database.db, bus, runs, logger: logger.child({ component: 'fleets' }), clock });
  const services: AppServices = { db: database.db, bus, models, runs, logger, clock, access, fleets, reads: new SharedReads(), mailer };
  const work = new WorkRunner({ db: database.db, bus, runs, clock, logger: logger.child({ component: 'work' }) });
  const schedulerLogger = logger.child({ component: 'scheduler' });
  const interest = new EventInterest({ db: database.db, bus });
  const scheduler = new Scheduler({
    clock,
    logger: schedulerLogger,
    onJobRun: (run) => metrics.jobRan(run),
    jobs: [
      {
        name: 'recurring-tasks',
        everyMs: OTHER_PROCESSES_POLL_MS,
        run: untilDue(
          () => nextScheduledInstant(database.db),
          (now) => fireDueSchedules({ db: database.db, bus, logger: schedulerLogger }, now),
        ),
      },
      {
        name: 'event-dispatch',
        everyMs: OTHER_PROCESSES_POLL_MS,
        run: async (now) => {
          const { dispatched, heldBack } = await dispatchEvents({ db: database.db, bus, interest }, [fireTriggers, enqueueDeliveries], now);
          if (dispatched) scheduler.wake('webhook-delivery');
          // Held-back events settle when an older transaction ends, which may wake nothing: look again next tick.
          return heldBack ? now : null;
        },
      },
      {
        name: 'webhook-delivery',
        everyMs: OTHER_PROCESSES_POLL_MS,
        run: untilDue(
          () => nextDeliveryDue(database.db),
          (now) => deliverWebhooks({ db: database.db, logger: schedulerLogger, outbound, mailer }, now),
        ),
      },
      {
        name: 'task-retries',
        everyMs: OTHER_PROCESSES_POLL_MS,
        run: untilDue(
          () => nextRetryDue(database.db),
          (now) => requeueDueRetries({ db: database.db, bus }, now),
        ),
      },
      { name: 'work-sweep', everyMs: config.runLeaseMs, run: () => work.sweep() },
      ...fleets.jobs(),
    ],
  });
  // Reactions wake the jobs an event concerns: the dispatcher for types some trigger or
  // webhook wants, the recurring job for a new, resumed or changed schedule, the deliverer for an alert's
  // webhook or a redelivery, the retry job for a task waiting to be retried (it then sleeps until the retry is due). Time and the polls cover the rest.
  const reactions = new Reactions(logger.child({ component: 'reactions' }));
  reactions.onEvery((event) => {
    void interest.of(event.organizationId).then(
      (wanted) => wants(wanted, event.type) && scheduler.wake('event-dispatch'),
      (error: unknown) => schedulerLogger.error({ err: error }, 'could not read which events triggers and webhooks want'),
    );
  });
  reactions.on(
    ['Worker.recurring.assigned', 'Worker.recurring.resumed', 'Worker.recurring.updated', 'Fleet.recurring.assigned', 'Fleet.recurring.resumed', 'Fleet.recurring.updated'],
    () => scheduler.wake('recurring-tasks'),
  );
  reactions.on(['Fleet.alert.triggered', 'Webhook.redelivery.requested'], () => scheduler.wake('webhook-delivery'));
  reactions.on('Worker.task.retrying', () => scheduler.wake('task-retries'));
  const unlistenReactions = reactions.listen(bus);

  const rates = new RateLimiter(config.limits.rate);
  const operationLog = new OperationLog(logger.child({ component: 'graphql' }));
  const yoga = createYogaServer({ services, limits: config.limits, rates, persisted, metrics, operationLog, tracing: config.tracing.enabled });
  const http = createHttpServer({ config, yoga, database, access, rates, persisted, metrics, operationLog });

  let stopped: Promise<void> | undefined;
  return {
    services,
    database,
    scheduler,
    reactions,
    yoga,
    async start() {
      if (config.adminApiKey) {
        await ensureBootstrapKey(database.db, DEFAULT_ORGANIZATION_ID, config.adminApiKey);
        access.keysChanged();
      }
      await access.assertStartable();
      const url = await http.listen();
      runs.startSweeping();
      work.start(reactions);
      fleets.start(reactions);
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
        unlistenReactions();
        interest.close();
        await scheduler.stop();
        await fleets.stop();
        await work.stop();
        await runs.stop();
        await http.close();
        await access.close();
        await outbound.close();
        mailer?.close();
        await busHandle.close();
        await database.close();
      })();
      return stopped;
    },
  };
}
