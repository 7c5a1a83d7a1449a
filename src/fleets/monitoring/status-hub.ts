/**
 * The `fleetStatus` subscription's source: fleet status is derived from the database and
 * pushed on change, coalesced (docs/architecture.md "Realtime: wake-ups, shared reads, slow consumers, several processes"). One channel per
 * watched fleet in this process listens to `fleet:changed`, recomputes the status at
 * most once per {@link MIN_INTERVAL_MS} however many changes arrive (the last change is
 * never lost: a change during the pause or a computation schedules one more), and hands
 * the same value to every subscriber: one query per change of the fleet, however many
 * subscribers. A subscriber gets the channel's current value at once, and one that does
 * not pull keeps only the newest value (a WakeUp), never a queue.
 */
import type { Database } from '../../db/client.js';
import type { Logger } from '../../logger.js';
import type { Bus } from '../../realtime/bus.js';
import { WakeUp, wakeUps } from '../../realtime/wake-up.js';
import type { Clock } from '../../scheduler/clock.js';
import { readFleetStatus, type FleetStatus } from './status.js';

/** Least time between two computations of one fleet's status, in ms: at most 4 updates a second. */
export const MIN_INTERVAL_MS = 250;

type Listener = (status: FleetStatus) => void;

interface Channel {
  listeners: Set<Listener>;
  latest: FleetStatus | undefined;
  close(): Promise<void>;
}

export class FleetStatusHub {
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly deps: { db: Database; bus: Bus; clock: Clock; logger: Logger }) {}

  /**
   * The status of fleet `fleetId` now, then after changes; ends when the consumer stops.
   * A consumer that does not pull holds only the newest status it has not taken.
   */
  watch(fleetId: string): AsyncIterable<FleetStatus> {
    return {
      [Symbol.asyncIterator]: () => {
        const channel = this.channelFor(fleetId);
        return new WakeUp<FleetStatus>((listener) => {
          channel.listeners.add(listener);
          if (channel.latest) listener(channel.latest);
          return () => {
            channel.listeners.delete(listener);
            if (channel.listeners.size === 0 && this.channels.get(fleetId) === channel) {
              this.channels.delete(fleetId);
              void channel.close();
            }
          };
        });
      },
    };
  }

  /** Stops every channel (subscribers' streams stay open until they end them). */
  async close(): Promise<void> {
    const channels = [...this.channels.values()];
    this.channels.clear();
    await Promise.all(channels.map((channel) => channel.close()));
  }

  private channelFor(fleetId: string): Channel {
    const existing = this.channels.get(fleetId);
    if (existing) return existing;
    const changes = wakeUps(this.deps.bus, 'fleet:changed', fleetId);
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> | undefined;
    let dirty = true;
    let lastEnd = 0;
    let latestKey = '';
    let closed = false;
    const channel: Channel = {
      listeners: new Set(),
      latest: undefined,
      async close() {
        closed = true;
        clearTimeout(timer);
        await changes.return?.();
        await running;
      },
    };
    // A computation starts MIN_INTERVAL_MS after the previous one ended, never while one
    // runs; changes meanwhile only mark the status dirty, so a burst costs one more.
    const arm = () => {
      if (timer || running || closed) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (!dirty || closed) return;
        dirty = false;
        running = compute().finally(() => {
          running = undefined;
          lastEnd = Date.now();
          if (dirty) arm();
        });
      }, Math.max(0, lastEnd + MIN_INTERVAL_MS - Date.now()));
    };
    const compute = async () => {
      try {
        const status = await readFleetStatus(this.deps.db, fleetId, this.deps.clock.now());
        const { at: _at, ...figures } = status;
        const key = JSON.stringify(figures);
        if (closed || key === latestKey) return;
        latestKey = key;
        channel.latest = status;
        for (const listener of channel.listeners) listener(status);
      } catch (error) {
        this.deps.logger.error({ err: error, fleetId }, 'could not compute the fleet status');
      }
    };
    void (async () => {
      while (!(await changes.next()).done) {
        dirty = true;
        arm();
      }
    })();
    this.channels.set(fleetId, channel);
    arm();
    return channel;
  }
}
