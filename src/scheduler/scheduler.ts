/**
 * The scheduler: runs periodic jobs (recurring tasks, event dispatch, webhook retries,
 * the work sweep) on one timer. Every job claims its work from the database itself
 * (FOR UPDATE SKIP LOCKED or a unique key), so any number of processes may run a
 * scheduler over one database and each piece of work happens once. Time comes from an
 * injected {@link Clock}; tests call {@link Scheduler.tick} after moving a fake clock.
 */
import type { Logger } from '../logger.js';
import type { Clock } from './clock.js';
import { coalesce, type Kicker } from './coalesce.js';

/** One periodic job; `run` receives the clock's current instant. */
export interface SchedulerJob {
  name: string;
  run(now: Date): Promise<unknown>;
}

export interface SchedulerOptions {
  clock: Clock;
  logger: Logger;
  jobs: SchedulerJob[];
  /** Milliseconds between ticks once started (default 1000). */
  intervalMs?: number;
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private readonly kicker: Kicker;

  constructor(private readonly options: SchedulerOptions) {
    this.kicker = coalesce(
      () => this.tick(),
      (error) => options.logger.error({ err: error }, 'scheduler tick failed'),
    );
  }

  /** Asks for a tick soon (while started); kicks during a tick collapse into one more. */
  kick(): void {
    if (this.timer) this.kicker.kick();
  }

  /**
   * Runs every job once, in order, with the clock's current instant. A failing job is
   * logged and does not stop the others. Ticks never overlap: a tick asked for while one
   * runs waits for it and then runs.
   */
  async tick(): Promise<void> {
    while (this.current) await this.current;
    this.current = this.runJobs().finally(() => (this.current = undefined));
    return this.current;
  }

  /** Ticks every `intervalMs` until {@link stop}. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Stops ticking and waits for a tick in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.kicker.idle();
    while (this.current) await this.current;
  }

  private async runJobs(): Promise<void> {
    const now = this.options.clock.now();
    for (const job of this.options.jobs) {
      try {
        await job.run(now);
      } catch (error) {
        this.options.logger.error({ err: error, job: job.name }, 'scheduler job failed');
      }
    }
  }
}
