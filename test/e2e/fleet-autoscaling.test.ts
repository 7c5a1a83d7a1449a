/**
 * The autoscaler with a fake clock: rules on queue depth, utilization and response time,
 * the cooldown between actions (and `aggressive` scale-up through it), min/max, time-of-
 * day schedule targets in the fleet's time zone, dry runs and MANUAL fleets — through
 * `evaluateFleetScaling` and through the scheduler.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FakeClock } from '../support/fake-clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { assignWork, createFleet, finishTask, mutate, readFleet, storedEvents } from '../fleets/helpers.js';

const DECISION = 'action from to reason applied ruleIndex rule { metric threshold action step } metrics { queueDepth avgUtilization responseTimeSeconds }';

const MINUTE = 60_000;

async function evaluate(app: TestApp, fleetId: string, dryRun = false) {
  const result = await mutate(
    app,
    'evaluateFleetScaling',
    'EvaluateFleetScalingInput',
    { fleetId, dryRun },
    `... on ScalingEvaluation { decision { ${DECISION} } fleet { size } scaled { previousSize size } }`,
    false,
  );
  return result as { decision: Record<string, any>; fleet: { size: number }; scaled: { previousSize: number; size: number } | null };
}

async function lastDecision(app: TestApp, fleetId: string) {
  const { fleet } = await app.data(`query ($id: ID!) { fleet(id: $id) { size lastScalingDecision { ${DECISION} } } }`, { id: fleetId });
  return fleet as { size: number; lastScalingDecision: Record<string, any> };
}

describe('autoscaling', () => {
  const clock = new FakeClock(new Date());
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ clock });
    // Only explicit ticks: a timer tick between two steps would evaluate AUTO fleets too.
    await app.app.scheduler.stop();
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Moves the fake clock and runs the scheduler once (its autoscaler evaluates every AUTO fleet). */
  const tickAfter = async (ms: number) => {
    clock.advance(ms);
    await app.app.scheduler.tick();
  };

  it('scales up on queue depth, holds during cooldown, stops at max, scales down on low utilization', async () => {
    const fleetId = await createFleet(app, {
      name: 'Auto',
      workerTemplate: { role: 'Agent' },
      scaling: {
        mode: 'AUTO',
        min: 1,
        max: 4,
        cooldownSeconds: 300,
        rules: [
          { metric: 'QUEUE_DEPTH', threshold: 5, action: 'SCALE_UP', step: 2 },
          { metric: 'AVG_UTILIZATION', threshold: 0.3, action: 'SCALE_DOWN', step: 1 },
        ],
      },
    });
    const work = await assignWork(app, fleetId, Array.from({ length: 10 }, (_, i) => ({ action: `job-${i}` })));
    expect(work).toMatchObject({ assigned: 1, queued: 9 });

    // Hiring the min at creation started the cooldown.
    const held = await evaluate(app, fleetId);
    expect(held.decision).toMatchObject({ action: 'NONE', from: 1, to: 1, applied: false, ruleIndex: 0, metrics: { queueDepth: 9 } });
    expect(held.decision.reason).toMatch(/^cooldown: SCALE_UP to 3 held \(rule 1: queue_depth 9 > 5: \+2\); \d+ s of 300 s left$/);

    await tickAfter(5 * MINUTE + 1000);
    let fleet = await lastDecision(app, fleetId);
    expect(fleet.size).toBe(3);
    expect(fleet.lastScalingDecision).toMatchObject({
      action: 'SCALE_UP',
      from: 1,
      to: 3,
      applied: true,
      reason: 'rule 1: queue_depth 9 > 5: +2',
      rule: { metric: 'QUEUE_DEPTH', threshold: 5, action: 'SCALE_UP', step: 2 },
    });
    // The newcomers took two queued tasks.
    expect((await readFleet(app, fleetId)).status).toMatchObject({ queueDepth: 7, assigned: 3 });
    expect((await evaluate(app, fleetId)).decision.reason).toMatch(/^cooldown: SCALE_UP to 4 held/);

    await tickAfter(5 * MINUTE + 1000);
    fleet = await lastDecision(app, fleetId);
    expect(fleet).toMatchObject({ size: 4, lastScalingDecision: { action: 'SCALE_UP', to: 4, reason: 'rule 1: queue_depth 7 > 5: +2 (stopped at max 4)' } });
    await tickAfter(5 * MINUTE + 1000);
    expect((await lastDecision(app, fleetId)).lastScalingDecision).toMatchObject({
      action: 'NONE',
      reason: 'rule 1: queue_depth 6 > 5: +2, but the fleet is at its max of 4',
    });

    // The work ends: utilization 0 < 0.3 retires one worker per cooldown, down to min.
    const { fleet: open } = await app.data(`query ($id: ID!) { fleet(id: $id) { queue(first: 10) { edges { node { id } } } } }`, { id: fleetId });
    for (const edge of open.queue.edges) {
      await app.data(`mutation ($id: ID!) { cancelTask(input: { taskId: $id }) { __typename } }`, { id: edge.node.id });
    }
    const { tasks } = await app.data(`{ tasks(status: ASSIGNED, first: 10) { edges { node { id } } } }`);
    for (const edge of tasks.edges) await finishTask(app, edge.node.id);
    const sizes: number[] = [];
    for (let i = 0; i < 4; i++) {
      await tickAfter(5 * MINUTE + 1000);
      sizes.push((await lastDecision(app, fleetId)).size);
    }
    expect(sizes).toEqual([3, 2, 1, 1]);
    expect((await lastDecision(app, fleetId)).lastScalingDecision.reason).toBe('rule 2: avg_utilization 0 < 0.3, but the fleet is at its floor of 1');

    const scaled = await storedEvents(app, ['Fleet.scaled'], (e) => e.subjectId === fleetId, 6);
    expect(scaled.map((e) => e.payload.reason)).toEqual([
      'created with min 1',
      'autoscaler: rule 1: queue_depth 9 > 5: +2',
      'autoscaler: rule 1: queue_depth 7 > 5: +2 (stopped at max 4)',
      'autoscaler: rule 2: avg_utilization 0 < 0.3: -1',
      'autoscaler: rule 2: avg_utilization 0 < 0.3: -1',
      'autoscaler: rule 2: avg_utilization 0 < 0.3: -1',
    ]);
  });

  it('scales on response time; aggressive scale-up doubles and skips the cooldown', async () => {
    clock.set(new Date()); // task ages are measured from the database's (real) creation time
    const fleetId = await createFleet(app, {
      name: 'Batch',
      workerTemplate: { role: 'DataProcessor' },
      scaling: { mode: 'AUTO', min: 1, max: 8, cooldownSeconds: 600, aggressive: true, rules: [{ metric: 'RESPONSE_TIME', threshold: 60, action: 'SCALE_UP', step: 1 }] },
    });
    await assignWork(app, fleetId, Array.from({ length: 6 }, (_, i) => ({ action: `batch-${i}` })));
    expect((await evaluate(app, fleetId)).decision).toMatchObject({ action: 'NONE', reason: expect.stringMatching(/^no rule fired/) });

    // Five tasks have waited two minutes: past the 60 s threshold, through the cooldown.
    clock.advance(2 * MINUTE);
    const first = await evaluate(app, fleetId);
    expect(first.decision).toMatchObject({ action: 'SCALE_UP', from: 1, to: 2, applied: true });
    expect(first.decision.metrics.responseTimeSeconds).toBeGreaterThan(100);
    const second = await evaluate(app, fleetId);
    expect(second.decision).toMatchObject({ action: 'SCALE_UP', from: 2, to: 4, applied: true });
    expect(second.decision.reason).toMatch(/^rule 1: response_time \d+(\.\d+)? > 60: \+2 \(aggressive\)$/);
    expect(second.scaled).toEqual({ previousSize: 2, size: 4 });
  });

  it('answers dry runs and MANUAL fleets without resizing', async () => {
    const fleetId = await createFleet(app, {
      name: 'Manual',
      workerTemplate: { role: 'Agent' },
      scaling: { min: 1, max: 3, cooldownSeconds: 0, rules: [{ metric: 'QUEUE_DEPTH', threshold: 0, action: 'SCALE_UP', step: 1 }] },
    });
    await assignWork(app, fleetId, [{ action: 'a' }, { action: 'b' }]);
    const manual = await evaluate(app, fleetId);
    expect(manual).toMatchObject({
      decision: { action: 'SCALE_UP', to: 2, applied: false, reason: 'rule 1: queue_depth 1 > 0: +1 (MANUAL mode: not applied)' },
      fleet: { size: 1 },
      scaled: null,
    });
    await mutate(app, 'updateFleet', 'UpdateFleetInput', { fleetId, scaling: { mode: 'AUTO', min: 1, max: 3, cooldownSeconds: 0, rules: [{ metric: 'QUEUE_DEPTH', threshold: 0, action: 'SCALE_UP', step: 1 }] } }, '__typename');
    expect((await evaluate(app, fleetId, true)).decision).toMatchObject({ applied: false, reason: 'rule 1: queue_depth 1 > 0: +1 (dry run: not applied)' });
    expect((await evaluate(app, fleetId)).decision).toMatchObject({ applied: true, to: 2 });
  });
});

describe('autoscaling schedule', () => {
  // Monday 12 January 2037, 10:00 in New York (EST, UTC−5).
  const clock = new FakeClock('2037-01-12T15:00:00Z');
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ clock });
    // Only explicit ticks: a timer tick between two steps would evaluate AUTO fleets too.
    await app.app.scheduler.stop();
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Sets the fake clock to `instant` and runs the scheduler once. */
  const tickAt = async (instant: string) => {
    clock.set(instant);
    await app.app.scheduler.tick();
  };

  it('follows time-of-day targets in the fleet’s time zone, across midnight', async () => {
    const fleetId = await createFleet(app, {
      name: 'Support',
      workerTemplate: { role: 'CustomerSupportRepresentative' },
      timezone: 'America/New_York',
      scaling: {
        mode: 'AUTO',
        min: 1,
        max: 5,
        cooldownSeconds: 0,
        schedule: [
          { hours: '8:00-20:00', target: 4 },
          { hours: '20:00-8:00', target: 2 },
        ],
      },
    });
    // Created at 10:00 in New York, inside the day window: it starts with that window's 4.
    expect((await readFleet(app, fleetId)).size).toBe(4);
    await scaleTo(app, fleetId, 1);
    const day = await evaluate(app, fleetId);
    expect(day.decision).toMatchObject({ action: 'SCALE_UP', from: 1, to: 4, reason: 'schedule 8:00-20:00 targets 4', applied: true });
    clock.set('2037-01-13T01:30:00Z'); // 20:30 in New York
    expect((await evaluate(app, fleetId)).decision).toMatchObject({ action: 'SCALE_DOWN', from: 4, to: 2, reason: 'schedule 20:00-8:00 targets 2' });
    clock.set('2037-01-13T12:59:00Z'); // 7:59 the next morning: still the night window
    expect((await evaluate(app, fleetId)).decision).toMatchObject({ action: 'NONE', to: 2 });
    clock.set('2037-01-13T13:00:00Z'); // 8:00
    expect((await evaluate(app, fleetId)).decision).toMatchObject({ action: 'SCALE_UP', to: 4 });
  });

  it('resizes a MANUAL fleet when a schedule window begins, and keeps a resize by hand until the next one', async () => {
    clock.set('2037-01-12T15:00:00Z'); // Monday 10:00 in New York
    // The customer support fleet of docs/product/fleets.md "Use Cases": no mode, so MANUAL.
    const fleetId = await createFleet(app, {
      name: 'Customer Support Fleet',
      workerTemplate: { role: '$.CustomerSupportRepresentative', capabilities: ['ticket_triage', 'issue_resolution', 'escalation'] },
      timezone: 'America/New_York',
      scaling: { min: 1, max: 5, schedule: [{ hours: '8:00-20:00', target: 4 }, { hours: '20:00-8:00', target: 2 }] },
    });
    expect((await readFleet(app, fleetId)).size).toBe(4);

    // By hand during the window: the schedule does not undo it.
    await scaleTo(app, fleetId, 3);
    await tickAt('2037-01-12T20:00:00Z'); // 15:00
    expect((await readFleet(app, fleetId)).size).toBe(3);

    // The night window begins: its target, through the scheduler.
    await tickAt('2037-01-13T01:00:00Z'); // 20:00
    expect((await readFleet(app, fleetId)).size).toBe(2);
    expect((await lastDecision(app, fleetId)).lastScalingDecision).toMatchObject({ action: 'SCALE_DOWN', from: 3, to: 2, reason: 'schedule 20:00-8:00 began: targets 2', applied: true });
    await tickAt('2037-01-13T05:00:00Z'); // midnight: the same window
    expect((await readFleet(app, fleetId)).size).toBe(2);
    await tickAt('2037-01-13T13:00:00Z'); // 8:00
    expect((await readFleet(app, fleetId)).size).toBe(4);

    // Rules of a MANUAL fleet are still only reported.
    expect((await evaluate(app, fleetId, true)).decision).toMatchObject({ action: 'NONE' });
  });

  it('sizes by the fleet document’s metric + target form: target queued tasks per worker', async () => {
    clock.set('2037-01-14T15:00:00Z');
    // The quick start's scaling, smaller: no mode (AUTO, as the form implies), 2 queued tasks per worker.
    const fleetId = await createFleet(app, {
      name: 'Sales Development Fleet',
      workerTemplate: { role: '$.SalesDevelopmentRepresentative', capabilities: ['research', 'outreach', 'qualification'] },
      scaling: { min: 0, max: 3, metric: 'QUEUE_DEPTH', target: 2, cooldownSeconds: 0 },
    });
    const { fleet } = await app.data(`query ($id: ID!) { fleet(id: $id) { size scaling { mode metric target } } }`, { id: fleetId });
    expect(fleet).toEqual({ size: 0, scaling: { mode: 'AUTO', metric: 'QUEUE_DEPTH', target: 2 } });

    await assignWork(app, fleetId, [1, 2, 3, 4, 5].map((n) => ({ action: 'qualify_lead', input: { lead: n } })));
    expect((await evaluate(app, fleetId)).decision).toMatchObject({ action: 'SCALE_UP', from: 0, to: 3, reason: 'queue_depth 5 / target 2 per worker: 3 workers' });
  });
});

/** Resizes fleet `fleetId` to `count` by hand. */
async function scaleTo(app: TestApp, fleetId: string, count: number) {
  const scaled = await mutate(app, 'scaleFleet', 'ScaleFleetInput', { fleetId, count }, '... on FleetScaleResult { fleet { size } }');
  expect(scaled.fleet?.size, JSON.stringify(scaled)).toBe(count);
}
