/**
 * The time source of the scheduler, the webhook deliverer and recurring work. Injected so
 * that tests move time by hand instead of sleeping.
 */
export interface Clock {
  /** The current instant. */
  now(): Date;
}

/** The machine's clock. */
export const systemClock: Clock = { now: () => new Date() };
