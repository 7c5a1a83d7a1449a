/**
 * The Prometheus metrics of one app (prom-client), served at `/metrics` in the text
 * exposition format (src/http/server.ts). The GraphQL figures are recorded by yoga's
 * Prometheus plugin and ours (src/observability/graphql-metrics.ts); the domain figures
 * come from the domain services through their hooks — the run executor's
 * `onRunFinished`, the scheduler's `onJobRun` — and, for fleets, from one read of the
 * database per scrape (`readFleetLoads`). README "Observability" lists every metric.
 *
 * Each app has its own registry (tests run several apps in one process); the Node.js
 * process metrics (CPU, memory, event loop, GC) belong to the process and are registered
 * once, in a registry every app's scrape includes.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { FleetLoad } from '../fleets/monitoring/status.js';
import type { Logger } from '../logger.js';
import type { FinishedRun } from '../runs/executor.js';
import type { JobRun } from '../scheduler/scheduler.js';

/** Run durations' buckets, in seconds: from a one-block run to a long agent loop. */
const RUN_DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** Scheduler lag and job duration buckets, in seconds: the scheduler ticks every second. */
const SCHEDULER_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];

let processRegistry: Registry | undefined;

/** The registry of the Node.js process metrics, created (and its collectors started) on first use. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** What one scrape reads besides the recorded figures. */
export interface MetricSources {
  /** Every fleet's queue and slots (src/fleets/monitoring/status.ts). */
  fleetLoads(): Promise<FleetLoad[]>;
  /** Runs this process is executing now. */
  runsExecuting(): number;
}

/** One app's metrics: the registry the GraphQL plugins record into, and the domain figures. */
export class Metrics {
  /** Where yoga's Prometheus plugin and the app's own metrics are registered. */
  readonly registry = new Registry();
  readonly #runs: Counter<'status'>;
  readonly #runDuration: Histogram<'status'>;
  readonly #tokens: Counter<'model' | 'kind'>;
  readonly #cost: Counter<'model'>;
  readonly #jobLag: Histogram<'job'>;
  readonly #jobDuration: Histogram<'job'>;
  readonly #jobFailures: Counter<'job'>;

  /**
   * @param logger where a failed read of the fleets' figures is reported (the scrape then
   *   answers without them)
   */
  constructor(sources: MetricSources, logger: Logger) {
    const registers = [this.registry];
    this.#runs = new Counter({ name: 'workforce_runs_total', help: 'Runs that ended in this process, by final status.', labelNames: ['status'], registers });
    this.#runDuration = new Histogram({
      name: 'workforce_run_duration_seconds',
      help: 'Time from a run\'s start to its end, pauses for client tools included, by final status.',
      labelNames: ['status'],
      buckets: RUN_DURATION_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'workforce_runs_executing',
      help: 'Runs this process is executing now (not counting runs paused for client tools).',
      registers,
      collect() {
        this.set(sources.runsExecuting());
      },
    });
    this.#tokens = new Counter({
      name: 'workforce_model_tokens_total',
      help: 'Tokens of ended runs by model that answered (provider/model) and kind (input, output, cached_input; cached input tokens are also input tokens).',
      labelNames: ['model', 'kind'],
      registers,
    });
    this.#cost = new Counter({
      name: 'workforce_model_cost_usd_total',
      help: 'USD of ended runs\' tokens by model that answered, at the configured prices (models without a price are not counted).',
      labelNames: ['model'],
      registers,
    });
    // One read of the fleets per scrape, shared by the gauges below (a scrape collects them together).
    let reading: Promise<FleetLoad[] | undefined> | undefined;
    const read = () =>
      (reading ??= sources
        .fleetLoads()
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'could not read the fleets for /metrics');
          return undefined;
        })
        .finally(() => (reading = undefined)));
    const fleetGauge = (name: string, help: string, figure: (fleet: FleetLoad) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['fleet_id', 'fleet'],
        registers,
        async collect() {
          const loads = await read();
          this.reset();
          for (const fleet of loads ?? []) this.set({ fleet_id: fleet.fleetId, fleet: fleet.name }, figure(fleet));
        },
      });
    fleetGauge('workforce_fleet_queue_depth', 'Tasks waiting in the fleet queue (PENDING).', (fleet) => fleet.queueDepth);
    fleetGauge('workforce_fleet_slots', 'Slots of the fleet\'s members that take work (the sum of their concurrency).', (fleet) => fleet.slots);
    fleetGauge('workforce_fleet_busy_slots', 'Slots in use (RUNNING or WAITING tasks).', (fleet) => fleet.busySlots);
    fleetGauge('workforce_fleet_utilization', 'Busy slots / slots, 0-1 (0 without slots).', (fleet) => fleet.utilization);
    new Gauge({
      name: 'workforce_fleet_read_failed',
      help: 'Whether this scrape could not read the fleets\' figures (1: the fleet gauges are empty; the error is logged).',
      registers,
      async collect() {
        this.set((await read()) ? 0 : 1);
      },
    });
    this.#jobLag = new Histogram({
      name: 'workforce_scheduler_job_lag_seconds',
      help: 'How late a scheduler job started: after its due instant, or after the wake-up it answers.',
      labelNames: ['job'],
      buckets: SCHEDULER_BUCKETS,
      registers,
    });
    this.#jobDuration = new Histogram({ name: 'workforce_scheduler_job_duration_seconds', help: 'How long a scheduler job run took.', labelNames: ['job'], buckets: SCHEDULER_BUCKETS, registers });
    this.#jobFailures = new Counter({ name: 'workforce_scheduler_job_failures_total', help: 'Scheduler job runs that threw (each is logged).', labelNames: ['job'], registers });
  }

  /** Records a run that ended (the executor's `onRunFinished`). */
  runFinished(run: FinishedRun): void {
    this.#runs.inc({ status: run.status });
    this.#runDuration.observe({ status: run.status }, run.durationMs / 1000);
    for (const [model, tokens] of Object.entries(run.usage.models ?? {})) {
      this.#tokens.inc({ model, kind: 'input' }, tokens.inputTokens);
      this.#tokens.inc({ model, kind: 'output' }, tokens.outputTokens);
      this.#tokens.inc({ model, kind: 'cached_input' }, tokens.cachedInputTokens);
      const cost = run.modelCosts[model];
      if (cost !== null && cost !== undefined) this.#cost.inc({ model }, cost);
    }
  }

  /** Records a scheduler job run (the scheduler's `onJobRun`). */
  jobRan(run: JobRun): void {
    this.#jobLag.observe({ job: run.job }, run.lagMs / 1000);
    this.#jobDuration.observe({ job: run.job }, run.durationMs / 1000);
    if (run.failed) this.#jobFailures.inc({ job: run.job });
  }

  /** The text exposition of this app's metrics and the process's, and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    const merged = Registry.merge([this.registry, processMetrics()]);
    return { contentType: merged.contentType, body: await merged.metrics() };
  }
}
