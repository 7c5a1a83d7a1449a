/**
 * The scheduler: runs the jobs that act on time and on other processes' changes
 * (recurring tasks, event dispatch, webhook retries, the work sweep, fleet jobs). Every
 * job claims its work from the database itself (FOR UPDATE SKIP LOCKED or a unique
 * key), so any number of processes may run a scheduler over one database and each
 * piece of work happens once.
 *
 * A job runs only when it is due, so an idle server sends next to no SQL: when it is
 * woken ({@link Scheduler.wake}: a reaction to an event it concerns), at the instant its
 * last run said its next piece of work falls due (a recurring instant, a webhook retry),
 * or `everyMs` after its last run — the poll that covers what other processes change.
 * Time comes from an injected {@link Clock}: a timer ticks every `intervalMs` and a tick
 * costs nothing unless a job is due; tests move a fake clock and call
 * {@link Scheduler.tick}.
 */
import type { Logger } from '../logger.js';
import type { Clock } from './clock.js';
import { coalesce, type Kicker } from './coalesce.js';

/** One job of the scheduler. */
export interface SchedulerJob {
  name: string;
  /**
   * Longest clock time between two runs, in ms, when neither a wake-up nor a due instant
   * comes first; omitted: every tick.
   */
  everyMs?: number;
  /**
   * Runs the job with the clock's current instant. When it resolves with a Date, the job
   * is due again at that instant if it comes before `everyMs` is up (null or anything
   * else: nothing known falls due earlier).
   */
  run(now: Date): Promise<unknown>;
}

export interface SchedulerOptions {
  clock: Clock;
  logger: Logger;
  jobs: SchedulerJob[];
  /** Milliseconds between timer ticks once started (default 1000); a tick with no job due costs nothing. */
  intervalMs?: number;
  /** Told of every run of a job, when it ends (metrics). */
  onJobRun?: (run: JobRun) => void;
}

/** One run of a job, as told to `onJobRun`. */
export interface JobRun {
  job: string;
  /**
   * How late the run started, in clock ms: after the job's due instant (a stored instant
   * its last run named, or the end of its poll interval), or after the first wake-up it
   * answers; 0 for its first run.
   */
  lagMs: number;
  /** How long the run took, in ms of real time. */
  durationMs: number;
  /** Whether it threw (it is logged). */
  failed: boolean;
}

/** When a job runs next: clock instants in ms since the epoch. */
interface JobState {
  lastRunAt: number | undefined;
  dueAt: number;
  /** The clock instant of the first wake-up not answered yet. */
  wokenAt: number | undefined;
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private readonly kicker: Kicker;
  private readonly states = new Map<string, JobState>();

  constructor(private readonly options: SchedulerOptions) {
    for (const job of options.jobs) this.states.set(job.name, { lastRunAt: undefined, dueAt: 0, wokenAt: undefined });
    this.kicker = coalesce(
      () => this.tick(),
      (error) => options.logger.error({ err: error }, 'scheduler tick failed'),
    );
  }

  /**
   * Makes job `name` due at once and, while started, asks for a tick soon; wake-ups
   * during a tick collapse into one more tick.
   * @throws Error for a name that is not one of the jobs (a wiring mistake)
   */
  wake(name: string): void {
    const state = this.states.get(name);
    if (!state) throw new Error(`no scheduler job named ${name}`);
    state.wokenAt ??= this.options.clock.now().getTime();
    if (this.timer) this.kicker.kick();
  }

  /**
   * Runs, in order, every job due at the clock's current instant: woken, never run, past
   * its due instant, or the clock was set back before its last run. A failing job is
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
    const at = now.getTime();
    for (const job of this.options.jobs) {
      const state = this.states.get(job.name)!;
      const woken = state.wokenAt !== undefined;
      const due = woken || state.lastRunAt === undefined || at >= state.dueAt || at < state.lastRunAt;
      if (!due) continue;
      const lagMs = state.lastRunAt === undefined || at < state.lastRunAt ? 0 : Math.max(0, at - (woken ? Math.min(state.wokenAt!, state.dueAt) : state.dueAt));
      state.wokenAt = undefined;
      state.lastRunAt = at;
      state.dueAt = at + (job.everyMs ?? 0);
      const started = performance.now();
      let failed = false;
      try {
        const next = await job.run(now);
        if (next instanceof Date) state.dueAt = Math.min(state.dueAt, next.getTime());
      } catch (error) {
        failed = true;
        this.options.logger.error({ err: error, job: job.name }, 'scheduler job failed');
      }
      this.options.onJobRun?.({ job: job.name, lagMs, durationMs: performance.now() - started, failed });
    }
  }
}

/**
 * The `run` of a job whose work falls due at stored instants (recurring schedules,
 * webhook retries): reads the earliest instant with `nextDue` (one query), does `work`
 * only once it has come, and resolves with the next instant, so that the scheduler
 * sleeps until then.
 */
export function untilDue(nextDue: () => Promise<Date | null>, work: (now: Date) => Promise<unknown>): (now: Date) => Promise<Date | null> {
  return async (now) => {
    const due = await nextDue();
    if (due === null || due > now) return due;
    await work(now);
    return nextDue();
  };
}
