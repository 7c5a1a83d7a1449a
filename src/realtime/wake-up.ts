/**
 * A wake-up: what a stream that reads the store keeps of the bus. Messages of one topic
 * (and key) are not queued: only the newest one not yet taken is kept, so however many
 * messages arrive while the reader is busy (or its client is slow), the memory held is
 * one payload. The reader then reads everything it missed from the database by cursor.
 */
import type { Bus, TopicKey, TopicName, TopicPayload } from './bus.js';
import { instant, type Instant } from './shared-reads.js';

/**
 * Listens to `topic` (and key) from construction until {@link WakeUp.return}. Shaped as
 * an async iterator so that `for await` and `next()` loops read naturally.
 */
export class WakeUp<P> implements AsyncIterator<P, undefined> {
  private pending: { payload: P; arrivedAt: Instant } | undefined;
  private waiter: ((result: IteratorResult<P, undefined>) => void) | undefined;
  private closed = false;
  private readonly unlisten: () => void;
  /**
   * When the message last taken by {@link next} arrived; before any, when listening
   * started. A read of the store that starts after this instant sees that message's change.
   */
  arrivedAt: Instant = instant();

  constructor(listen: (listener: (payload: P) => void) => () => void) {
    this.unlisten = listen((payload) => {
      if (this.closed) return;
      if (this.waiter) {
        const resolve = this.waiter;
        this.waiter = undefined;
        this.arrivedAt = instant();
        resolve({ done: false, value: payload });
      } else {
        this.pending = { payload, arrivedAt: instant() };
      }
    });
  }

  /** The newest message not yet taken, or the next one to arrive; done once returned. */
  next(): Promise<IteratorResult<P, undefined>> {
    if (this.pending) {
      const { payload, arrivedAt } = this.pending;
      this.pending = undefined;
      this.arrivedAt = arrivedAt;
      return Promise.resolve({ done: false, value: payload });
    }
    if (this.closed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Stops listening; a pending `next()` resolves as done. */
  return(): Promise<IteratorResult<P, undefined>> {
    if (!this.closed) {
      this.closed = true;
      this.pending = undefined;
      this.unlisten();
      this.waiter?.({ done: true, value: undefined });
      this.waiter = undefined;
    }
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * A {@link WakeUp} on `topic` (and its key) of `bus`. Also wakes, with `undefined`, when the
 * bus may have missed messages (`bus:resync`): the reader then reads the store from its cursor.
 */
export function wakeUps<T extends TopicName>(bus: Bus, topic: T, ...key: TopicKey<T>): WakeUp<TopicPayload<T> | undefined> {
  return new WakeUp<TopicPayload<T> | undefined>((listener) => listenWithResync(bus, topic, key, listener));
}

/** A {@link WakeUp} on the keyed `topic` of `bus` that keeps only messages passing `where`, and resyncs as {@link wakeUps}. */
export function wakeUpsWhere<T extends TopicName>(
  bus: Bus,
  topic: T,
  key: string,
  where: (payload: TopicPayload<T>) => boolean,
): WakeUp<TopicPayload<T> | undefined> {
  return new WakeUp<TopicPayload<T> | undefined>((listener) =>
    listenWithResync(bus, topic, [key] as TopicKey<T>, (payload) => {
      if (payload === undefined || where(payload)) listener(payload);
    }),
  );
}

/** Calls `listener` with each message of `topic` (and key), and with `undefined` on each `bus:resync`, until the returned function is called. */
function listenWithResync<T extends TopicName>(
  bus: Bus,
  topic: T,
  key: TopicKey<T>,
  listener: (payload: TopicPayload<T> | undefined) => void,
): () => void {
  const stopTopic = (bus.listen as (topic: T, ...rest: unknown[]) => () => void)(topic, ...key, listener);
  const stopResync = bus.listen('bus:resync', () => listener(undefined));
  return () => {
    stopTopic();
    stopResync();
  };
}
