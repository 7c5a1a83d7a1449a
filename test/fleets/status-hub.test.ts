/**
 * How the fleet status hub coalesces changes, on vitest's fake timers: the status read is
 * replaced by a counter over a table of figures, so each test counts reads per burst of
 * changes, never per second of wall clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { Database } from '../../src/db/client.js';
import { FleetStatusHub, MIN_INTERVAL_MS } from '../../src/fleets/monitoring/status-hub.js';
import type { FleetStatus } from '../../src/fleets/monitoring/status.js';
import { readFleetStatus } from '../../src/fleets/monitoring/status.js';
import { createLogger } from '../../src/logger.js';
import { createBus, type Bus } from '../../src/realtime/bus.js';
import { FakeClock } from '../support/fake-clock.js';

vi.mock('../../src/fleets/monitoring/status.js', () => ({ readFleetStatus: vi.fn() }));

/** Queue depth per fleet as the store would answer it now. */
const queueDepth = new Map<string, number>();
/** Reads of each fleet's status. */
const reads = new Map<string, number>();
/** When set, reads wait for it (a computation in flight). */
let gate: Promise<void> | undefined;

const read = vi.mocked(readFleetStatus);

describe('fleet status hub', () => {
  let bus: Bus;
  let hub: FleetStatusHub;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    queueDepth.clear();
    reads.clear();
    gate = undefined;
    read.mockImplementation(async (_db, fleetId, at) => {
      reads.set(fleetId, (reads.get(fleetId) ?? 0) + 1);
      const depth = queueDepth.get(fleetId) ?? 0;
      await gate;
      return { fleetId, at, queueDepth: depth } as FleetStatus;
    });
    bus = (await createBus()).bus;
    hub = new FleetStatusHub({ db: {} as Database, bus, clock: new FakeClock('2026-01-01T00:00:00Z'), logger: createLogger('silent') });
  });

  afterEach(async () => {
    await hub.close();
    vi.useRealTimers();
  });

  /** Sets fleet `fleetId`'s queue depth and announces the change, as a committed write does. */
  function change(fleetId: string, depth: number) {
    queueDepth.set(fleetId, depth);
    bus.publish('fleet:changed', fleetId, { type: 'Task.created' });
  }

  const watch = (fleetId: string) => hub.watch(fleetId)[Symbol.asyncIterator]();

  it('reads once per coalescing window for a burst of changes, and hands over the newest state', async () => {
    const watcher = watch('F');
    await vi.advanceTimersByTimeAsync(0);
    expect((await watcher.next()).value).toMatchObject({ fleetId: 'F', queueDepth: 0 });
    expect(reads.get('F')).toBe(1);

    for (let depth = 1; depth <= 40; depth++) change('F', depth);
    await vi.advanceTimersByTimeAsync(MIN_INTERVAL_MS - 1);
    expect(reads.get('F')).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(reads.get('F')).toBe(2);
    expect((await watcher.next()).value).toMatchObject({ queueDepth: 40 });

    // Nothing changed since: no more reads however long it waits.
    await vi.advanceTimersByTimeAsync(10 * MIN_INTERVAL_MS);
    expect(reads.get('F')).toBe(2);
    await watcher.return?.();
  });

  it('never loses the last change: one that arrives during a read causes one more read', async () => {
    const watcher = watch('F');
    await vi.advanceTimersByTimeAsync(0);
    await watcher.next();

    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    change('F', 1);
    await vi.advanceTimersByTimeAsync(MIN_INTERVAL_MS);
    expect(reads.get('F')).toBe(2); // in flight, it read depth 1
    change('F', 2);
    change('F', 3);
    gate = undefined;
    open();
    await vi.advanceTimersByTimeAsync(0);
    expect((await watcher.next()).value).toMatchObject({ queueDepth: 1 });

    await vi.advanceTimersByTimeAsync(MIN_INTERVAL_MS);
    expect(reads.get('F')).toBe(3);
    expect((await watcher.next()).value).toMatchObject({ queueDepth: 3 });
    await watcher.return?.();
  });

  it('hands one read to every watcher; a watcher that joins late gets the current status at once', async () => {
    const first = watch('F');
    const second = watch('F');
    await vi.advanceTimersByTimeAsync(0);
    change('F', 7);
    await vi.advanceTimersByTimeAsync(MIN_INTERVAL_MS);
    expect(reads.get('F')).toBe(2);
    // A watcher that did not pull keeps only the newest value.
    expect((await first.next()).value).toMatchObject({ queueDepth: 7 });
    expect((await second.next()).value).toMatchObject({ queueDepth: 7 });

    const late = watch('F');
    expect((await late.next()).value).toMatchObject({ queueDepth: 7 });
    expect(reads.get('F')).toBe(2);
    for (const watcher of [first, second, late]) await watcher.return?.();
  });

  it('keeps fleets apart: a burst on one fleet reads only that fleet', async () => {
    const f = watch('F');
    const g = watch('G');
    await vi.advanceTimersByTimeAsync(0);
    await f.next();
    await g.next();

    for (let depth = 1; depth <= 10; depth++) change('F', depth);
    await vi.advanceTimersByTimeAsync(MIN_INTERVAL_MS);
    expect(reads.get('F')).toBe(2);
    expect(reads.get('G')).toBe(1);
    expect((await f.next()).value).toMatchObject({ fleetId: 'F', queueDepth: 10 });

    change('G', 5);
    change('F', 11);
    await vi.advanceTimersByTimeAsync(MIN_INTERVAL_MS);
    expect(reads.get('F')).toBe(3);
    expect(reads.get('G')).toBe(2);
    expect((await g.next()).value).toMatchObject({ fleetId: 'G', queueDepth: 5 });
    expect((await f.next()).value).toMatchObject({ fleetId: 'F', queueDepth: 11 });
    await f.return?.();
    await g.return?.();
  });
});
