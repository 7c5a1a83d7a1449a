/**
 * The `fleetStatus` subscription over graphql-ws: a snapshot at once, then one value per
 * burst of changes (at most 4 a second however many changes happen), the same values to
 * every subscriber; a subscriber sees the queue grow and drain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from '../support/test-app.js';
import { assignWork, createFleet, mutate } from '../fleets/helpers.js';

const STATUS = /* GraphQL */ `
  subscription ($id: ID!) { fleetStatus(fleetId: $id) { at size queueDepth assigned processing slots busySlots utilization healthScore fleet { name } } }
`;

type Status = { at: string; size: number; queueDepth: number; assigned: number; healthScore: number; fleet: { name: string } };

/** Subscribes and records every value with its arrival time, until `stop()`. */
function watch(app: TestApp, fleetId: string) {
  const seen: Array<Status & { receivedAt: number }> = [];
  const iterator = app.wsClient().iterate<{ fleetStatus: Status }>({ query: STATUS, variables: { id: fleetId } });
  const done = (async () => {
    for await (const result of iterator) {
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      seen.push({ ...result.data!.fleetStatus, receivedAt: Date.now() });
    }
  })();
  return {
    seen,
    /** Resolves once a value satisfies `test` (polling what arrived, at most 10 s). */
    async until(test: (status: Status) => boolean): Promise<Status> {
      for (let i = 0; i < 500; i++) {
        const match = seen.find(test);
        if (match) return match;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no status matched; saw ${JSON.stringify(seen)}`);
    },
    async stop() {
      await iterator.return?.();
      await done;
    },
  };
}

describe('fleetStatus subscription', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('sends a snapshot at once, then coalesced changes: the queue grows and drains', async () => {
    const fleetId = await createFleet(app, { name: 'Watched', workerTemplate: { role: 'Agent' }, scaling: { min: 1, max: 10 } });
    const first = watch(app, fleetId);
    const second = watch(app, fleetId);
    await first.until((s) => s.size === 1);
    await second.until((s) => s.size === 1);
    expect(first.seen[0]).toMatchObject({ size: 1, queueDepth: 0, assigned: 0, healthScore: 1, fleet: { name: 'Watched' } });

    // A burst of 40 calls: 1 task assigned, 39 queued — dozens of events, few updates.
    const startedAt = Date.now();
    await Promise.all(Array.from({ length: 40 }, (_, i) => assignWork(app, fleetId, [{ action: `job-${i}` }])));
    const grown = await first.until((s) => s.queueDepth === 39);
    expect(grown).toMatchObject({ assigned: 1 });

    // Scaling to 10 hands nine queued tasks to the newcomers.
    const scaled = await mutate(app, 'scaleFleet', 'ScaleFleetInput', { fleetId, count: 10 }, '... on FleetScaleResult { size }');
    expect(scaled.size).toBe(10);
    const drained = await first.until((s) => s.size === 10 && s.queueDepth === 30);
    expect(drained).toMatchObject({ assigned: 10 });
    await second.until((s) => s.size === 10 && s.queueDepth === 30);
    const elapsedMs = Date.now() - startedAt;

    // Coalesced: at most one value per 250 ms (plus the first of a burst), far fewer than the events.
    const updates = first.seen.filter((s) => s.receivedAt >= startedAt);
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / 250) + 2);
    for (let i = 1; i < updates.length; i++) {
      expect(updates[i]!.receivedAt - updates[i - 1]!.receivedAt).toBeGreaterThanOrEqual(150);
    }
    // The same values to every subscriber.
    const values = (seen: Status[]) => seen.map(({ queueDepth, size, assigned }) => ({ queueDepth, size, assigned }));
    expect(values(second.seen).slice(-updates.length)).toEqual(values(updates));

    await first.stop();
    await second.stop();
  });

  it('answers an unknown fleet with an error', async () => {
    const missing = Buffer.from('Fleet:0190f2a4-0000-7000-8000-000000000000').toString('base64');
    await expect(app.collect(STATUS, { id: missing })).rejects.toThrow(/Fleet 0190f2a4-0000-7000-8000-000000000000 was not found/);
  });
});
