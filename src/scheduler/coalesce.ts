/**
 * Turns an async job into a "kick" that never runs the job twice at once: a kick while
 * the job runs schedules exactly one more run after it, however many kicks arrive.
 * Errors go to `onError`; the next kick runs again.
 */
export function coalesce(job: () => Promise<unknown>, onError: (error: unknown) => void): Kicker {
  let running: Promise<void> | undefined;
  let again = false;
  const run = (): Promise<void> =>
    job()
      .then(
        () => undefined,
        (error: unknown) => onError(error),
      )
      .then(() => {
        if (!again) {
          running = undefined;
          return;
        }
        again = false;
        return run();
      });
  return {
    kick() {
      if (running) {
        again = true;
        return;
      }
      running = run();
    },
    async idle() {
      while (running) await running;
    },
  };
}

/** A coalesced job; `idle()` resolves once no run is in progress or scheduled. */
export interface Kicker {
  kick(): void;
  idle(): Promise<void>;
}
