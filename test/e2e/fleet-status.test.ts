/**
 * The `fleetStatus` subscription over graphql-ws: a snapshot at once, then the same values
 * to every subscriber as the queue grows and drains. (How changes are coalesced is tested
 * on fake timers in test/fleets/status-hub.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from '../support/test-app.js';
import { assignWork, createFleet, mutate } from '../fleets/helpers.js';

const STATUS = /* GraphQL */ `
  subscription ($id: ID!) { fleetStatus(fleetId: $id) { at size queueDepth assigned processing slots busySlots utilization healthScore fleet { name } } }
`;

type Status = { at: string; size: number; queueDepth: number; assigned: number; healthScore: number; fleet: { name: string } };

/** Subscribes and records every value, until `stop()`. */
function watch(app: TestApp, fleetId: string) {
  const seen: Status[] = [];
  const iterator = app.wsClient().iterate<{ fleetStatus: Status }>({ query: STATUS, variables: { id: fleetId } });
  const done = (async () => {
    for await (const result of iterator) {
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      seen.push(result.data!.fleetStatus);
    }
  })();
  return {
    seen,
    /** Resolves once a value satisfies `test` (polling what arrived, at most 30 s). */
    async until(test: (status: Status) => boolean): Promise<Status> {
      for (let i = 0; i < 1500; i++) {
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

    // A burst of 40 calls: 1 task assigned, 39 queued.
    const before = first.seen.length;
    await Promise.all(Array.from({ length: 40 }, (_, i) => assignWork(app, fleetId, [{ action: `job-${i}` }])));
    const grown = await first.until((s) => s.queueDepth === 39);
    expect(grown).toMatchObject({ assigned: 1 });

    // Scaling to 10 hands nine queued tasks to the newcomers.
    const scaled = await mutate(app, 'scaleFleet', 'ScaleFleetInput', { fleetId, count: 10 }, '... on FleetScaleResult { size }');
    expect(scaled.size).toBe(10);
    const drained = await first.until((s) => s.size === 10 && s.queueDepth === 30);
    expect(drained).toMatchObject({ assigned: 10 });
    await second.until((s) => s.size === 10 && s.queueDepth === 30);

    // The same values to every subscriber.
    const values = (seen: Status[]) => seen.map(({ queueDepth, size, assigned }) => ({ queueDepth, size, assigned }));
    const updates = first.seen.slice(before);
    expect(values(second.seen).slice(-updates.length)).toEqual(values(updates));

    await first.stop();
    await second.stop();
  });

  it('answers an unknown fleet with an error', async () => {
    const missing = Buffer.from('Fleet:0190f2a4-0000-7000-8000-000000000000').toString('base64');
    await expect(app.collect(STATUS, { id: missing })).rejects.toThrow(/Fleet 0190f2a4-0000-7000-8000-000000000000 was not found/);
  });
});
