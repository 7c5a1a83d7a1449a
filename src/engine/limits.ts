/**
 * Limits of one execution (issue 3, "Limits and failures") and the clock that enforces
 * the time limits: one AbortSignal for the run (the host's cancellation, or the run's
 * time running out) and one per call (the run's signal, or the step's time running out).
 */
import { ExecutionFailure, RunCancelled } from './execution-errors.js';
import type { ExecutionLimits } from './execution-types.js';

/**
 * The limits used when `ExecuteWorkerOptions.limits` leaves a field out: 30 minutes of
 * active run time, 5 minutes per model, image or tool call, 100 tool steps per run,
 * 5 levels of nested workers.
 */
export const DEFAULT_LIMITS: Readonly<Required<ExecutionLimits>> = {
  runTimeoutMs: 30 * 60_000,
  stepTimeoutMs: 5 * 60_000,
  maxToolSteps: 100,
  maxDepth: 5,
};

/** `limits` with every absent field at its default. */
export function resolveLimits(limits: ExecutionLimits | undefined): Required<ExecutionLimits> {
  return { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(limits ?? {}).filter(([, value]) => value !== undefined)) };
}

/**
 * A signal that aborts with a `TimeoutError` after `ms` milliseconds, safe to combine with
 * `AbortSignal.any`. Node 20's `AbortSignal.timeout` signal is held only while it has a
 * listener of its own; given to `AbortSignal.any` it has none, so a garbage collection
 * before it fires drops it and the combined signal never aborts. Here the timer holds the
 * controller, so the signal lives until it fires (the timer does not keep the process alive).
 */
export function timeoutSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms).unref();
  return controller.signal;
}

/**
 * The time of one leg. `signal` aborts when the host cancels or when the run's active
 * time (`activeMs` of earlier legs plus this leg's) reaches `runTimeoutMs`.
 */
export class RunClock {
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #startedAt = Date.now();
  readonly #timer: NodeJS.Timeout;
  readonly #onCancel: () => void;
  #timedOut = false;

  constructor(
    private readonly hostSignal: AbortSignal | undefined,
    private readonly limits: Required<ExecutionLimits>,
    private readonly previousMs: number,
  ) {
    this.signal = this.#controller.signal;
    this.#onCancel = () => this.#controller.abort(hostSignal?.reason);
    if (hostSignal?.aborted) this.#onCancel();
    else hostSignal?.addEventListener('abort', this.#onCancel, { once: true });
    const timeUp = (): void => {
      this.#timedOut = true;
      this.#controller.abort(this.runTimeout());
    };
    const left = limits.runTimeoutMs - previousMs;
    if (left <= 0) timeUp();
    this.#timer = setTimeout(timeUp, Math.max(0, left));
    this.#timer.unref();
  }

  /** Active time of the run so far, earlier legs included, in ms. */
  get activeMs(): number {
    return this.previousMs + (Date.now() - this.#startedAt);
  }

  /** A signal for one call: the run's signal, or `stepTimeoutMs` passing. */
  stepSignal(): AbortSignal {
    return AbortSignal.any([this.signal, timeoutSignal(this.limits.stepTimeoutMs)]);
  }

  /** The step limit, in ms, for messages. */
  get stepTimeoutMs(): number {
    return this.limits.stepTimeoutMs;
  }

  /**
   * Throws when the run must stop: `RunCancelled` when the host cancelled it, the run
   * timeout failure when its time is up.
   */
  throwIfStopped(): void {
    if (!this.signal.aborted) return;
    throw this.#timedOut && !this.hostSignal?.aborted ? this.runTimeout() : new RunCancelled();
  }

  /** Stops the timer and listener; call when the leg ends. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.hostSignal?.removeEventListener('abort', this.#onCancel);
  }

  private runTimeout(): ExecutionFailure {
    return new ExecutionFailure('execution_error', `The run exceeded its time limit of ${this.limits.runTimeoutMs} ms (limits.runTimeoutMs).`);
  }
}
