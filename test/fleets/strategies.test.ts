/** The assignment strategies and the autoscaler's policy as pure functions. */
import { describe, expect, it } from 'vitest';

import type { FleetBalancing, FleetScaling } from '../../src/db/documents.js';
import { decideScaling, scheduleBoundary } from '../../src/fleets/scaling/autoscaler.js';
import { planWork, type Candidate, type WorkItem } from '../../src/fleets/handout/strategies.js';

const balancing = (strategy: FleetBalancing['strategy'], extra: Partial<FleetBalancing> = {}): FleetBalancing => ({
  strategy,
  skillMatching: { required: [], preferred: [] },
  priorityRules: [],
  ...extra,
});

const worker = (id: string, extra: Partial<Candidate> = {}): Candidate => ({
  id,
  name: id,
  skills: [],
  capabilities: [],
  concurrency: 1,
  open: 0,
  completed: 0,
  quotaUsed: [],
  budgetSpent: null,
  ...extra,
});

const item = (key: string, extra: Partial<WorkItem> = {}): WorkItem => ({
  key,
  action: 'work',
  priority: 'NORMAL',
  requiredSkills: [],
  balancing: balancing('LEAST_LOADED'),
  ...extra,
});

const placed = (plan: ReturnType<typeof planWork>) => Object.fromEntries(plan.placements.map((p) => [p.key, p.workerId]));

describe('planWork', () => {
  it('never exceeds a worker’s concurrency and queues the rest', () => {
    const plan = planWork([item('a'), item('b'), item('c')], [worker('w1', { concurrency: 2, open: 1 }), worker('w2')], { quotas: [], roundRobinCursor: null });
    expect(placed(plan)).toEqual({ a: 'w2', b: 'w1', c: null });
  });

  it('plans the most urgent first, keeping the given order within a priority', () => {
    const plan = planWork([item('low', { priority: 'LOW' }), item('n1'), item('crit', { priority: 'CRITICAL' }), item('n2')], [worker('w1', { concurrency: 2 })], {
      quotas: [],
      roundRobinCursor: null,
    });
    expect(plan.placements.map((p) => [p.key, p.workerId])).toEqual([
      ['crit', 'w1'],
      ['n1', 'w1'],
      ['n2', null],
      ['low', null],
    ]);
  });

  it('continues ROUND_ROBIN after the cursor, wrapping around', () => {
    const rr = { balancing: balancing('ROUND_ROBIN') };
    const plan = planWork([item('a', rr), item('b', rr), item('c', rr)], ['w1', 'w2', 'w3'].map((id) => worker(id, { concurrency: 5 })), {
      quotas: [],
      roundRobinCursor: 'w2',
    });
    expect(placed(plan)).toEqual({ a: 'w3', b: 'w1', c: 'w2' });
    expect(plan.roundRobinCursor).toBe('w2');
  });

  it('counts quotas per action and period usage', () => {
    const quotas = [{ name: 'leads', action: 'qualify', limit: 1, period: 'DAILY' as const }];
    const plan = planWork([item('q1', { action: 'qualify' }), item('q2', { action: 'qualify' }), item('other')], [worker('w1', { concurrency: 5, quotaUsed: [0] })], {
      quotas,
      roundRobinCursor: null,
    });
    expect(placed(plan)).toEqual({ q1: 'w1', q2: null, other: 'w1' });
  });

  it('falls back to LEAST_LOADED when the distributor’s answer cannot be used, saying why', () => {
    const custom = balancing('CUSTOM');
    const plan = planWork(
      [item('good', { balancing: custom, answer: { workerId: 'w2' } }), item('gone', { balancing: custom, answer: { workerId: 'w9' } }), item('late', { balancing: custom, answer: { error: 'timed out' } })],
      [worker('w1', { concurrency: 3 }), worker('w2', { concurrency: 3 })],
      { quotas: [], roundRobinCursor: null },
    );
    expect(plan.placements).toEqual([
      { key: 'good', workerId: 'w2' },
      { key: 'gone', workerId: 'w1', fallback: 'the distributor chose w9, which cannot take the task now' },
      { key: 'late', workerId: 'w1', fallback: 'timed out' },
    ]);
  });

  it('gives a worker that spent a WAIT budget nothing, and one that spent a FAIL budget only what no other can take', () => {
    const pool = [worker('w1', { budgetSpent: 'WAIT', concurrency: 5 }), worker('w2', { budgetSpent: 'FAIL', concurrency: 5 }), worker('w3')];
    // w3 is the only one within budget: the least loaded of all would be w1.
    const plan = planWork([item('a'), item('b'), item('c')], pool, { quotas: [], roundRobinCursor: null });
    expect(placed(plan)).toEqual({ a: 'w3', b: 'w2', c: 'w2' });
    // With every worker past a WAIT budget, the work waits in the queue.
    expect(placed(planWork([item('a')], [worker('w1', { budgetSpent: 'WAIT' })], { quotas: [], roundRobinCursor: null }))).toEqual({ a: null });
  });

  it('matches SKILL_BASED skills against capabilities too', () => {
    const skills = { balancing: balancing('SKILL_BASED', { skillMatching: { required: [], preferred: ['sql'] } }) };
    const plan = planWork([item('etl', { ...skills, requiredSkills: ['etl'] })], [worker('w1', { capabilities: ['etl'] }), worker('w2', { capabilities: ['etl', 'sql'] })], {
      quotas: [],
      roundRobinCursor: null,
    });
    expect(placed(plan)).toEqual({ etl: 'w2' });
  });
});

describe('decideScaling', () => {
  const scaling: FleetScaling = {
    mode: 'AUTO',
    min: 2,
    max: 10,
    cooldownSeconds: 300,
    aggressive: false,
    schedule: [],
    rules: [
      { metric: 'QUEUE_DEPTH', threshold: 50, action: 'SCALE_UP', step: 5 },
      { metric: 'AVG_UTILIZATION', threshold: 0.3, action: 'SCALE_DOWN', step: 2 },
      { metric: 'RESPONSE_TIME', threshold: 300, action: 'SCALE_UP', step: 10 },
    ],
  };
  const now = new Date('2030-01-01T12:00:00Z');
  const decide = (size: number, metrics: { queueDepth?: number; avgUtilization?: number; responseTimeSeconds?: number }, extra: Partial<Parameters<typeof decideScaling>[0]> = {}) =>
    decideScaling({
      scaling,
      size,
      metrics: { queueDepth: 0, avgUtilization: 0.5, responseTimeSeconds: 0, ...metrics },
      now,
      lastScaledAt: null,
      scheduled: null,
      ...extra,
    });

  it('takes the largest firing scale-up step, clamped to max', () => {
    expect(decide(4, { queueDepth: 80, responseTimeSeconds: 400 })).toMatchObject({ action: 'SCALE_UP', to: 10, ruleIndex: 2, reason: 'rule 3: response_time 400 > 300: +10 (stopped at max 10)' });
  });

  it('scales down only when no scale-up rule fires, not below min', () => {
    expect(decide(3, { avgUtilization: 0.1 })).toMatchObject({ action: 'SCALE_DOWN', to: 2 });
    expect(decide(3, { avgUtilization: 0.1, queueDepth: 60 })).toMatchObject({ action: 'SCALE_UP', to: 8 });
    expect(decide(2, { avgUtilization: 0.1 })).toMatchObject({ action: 'NONE', reason: 'rule 2: avg_utilization 0.1 < 0.3, but the fleet is at its floor of 2' });
  });

  it('holds within the cooldown, except an aggressive scale-up', () => {
    const recently = new Date(now.getTime() - 100_000);
    expect(decide(4, { queueDepth: 80 }, { lastScaledAt: recently })).toMatchObject({ action: 'NONE', reason: 'cooldown: SCALE_UP to 9 held (rule 1: queue_depth 80 > 50: +5); 200 s of 300 s left' });
    expect(decide(4, { avgUtilization: 0.1 }, { lastScaledAt: recently, scaling: { ...scaling, aggressive: true } })).toMatchObject({ action: 'NONE' });
    expect(decide(6, { queueDepth: 80 }, { lastScaledAt: recently, scaling: { ...scaling, aggressive: true } })).toMatchObject({ action: 'SCALE_UP', to: 10, reason: 'rule 1: queue_depth 80 > 50: +6 (aggressive) (stopped at max 10)' });
  });

  it('moves to the schedule target when no rule says otherwise, and keeps it as a floor', () => {
    const scheduled = { hours: '8:00-20:00', target: 6, startedAt: new Date('2030-01-01T08:00:00Z') };
    expect(decide(3, {}, { scheduled })).toMatchObject({ action: 'SCALE_UP', to: 6, reason: 'schedule 8:00-20:00 targets 6' });
    expect(decide(8, {}, { scheduled })).toMatchObject({ action: 'SCALE_DOWN', to: 6 });
    expect(decide(7, { avgUtilization: 0.1 }, { scheduled })).toMatchObject({ action: 'SCALE_DOWN', to: 6, ruleIndex: 1 });
  });

  it('sizes by the target form: queued tasks per worker, or the other metrics proportionally, beside the rules', () => {
    const byQueue = { ...scaling, rules: [], metric: 'QUEUE_DEPTH' as const, target: 10 };
    expect(decide(3, { queueDepth: 41 }, { scaling: byQueue })).toMatchObject({ action: 'SCALE_UP', to: 5, reason: 'queue_depth 41 / target 10 per worker: 5 workers' });
    expect(decide(5, { queueDepth: 25 }, { scaling: byQueue })).toMatchObject({ action: 'SCALE_DOWN', to: 3 });
    expect(decide(5, { queueDepth: 0 }, { scaling: byQueue })).toMatchObject({ action: 'SCALE_DOWN', to: 2 }); // min
    expect(decide(3, { queueDepth: 30 }, { scaling: byQueue })).toMatchObject({ action: 'NONE' });
    // A firing rule that grows further wins; the target form's larger size wins over a smaller step.
    expect(decide(3, { queueDepth: 60 }, { scaling: { ...scaling, metric: 'QUEUE_DEPTH', target: 30 } })).toMatchObject({ action: 'SCALE_UP', to: 8, ruleIndex: 0 });
    expect(decide(3, { queueDepth: 90 }, { scaling: { ...scaling, metric: 'QUEUE_DEPTH', target: 10 } })).toMatchObject({ action: 'SCALE_UP', to: 9, ruleIndex: null });
    const byUtilization = { ...scaling, rules: [], metric: 'AVG_UTILIZATION' as const, target: 0.5 };
    expect(decide(4, { avgUtilization: 0.9 }, { scaling: byUtilization })).toMatchObject({ action: 'SCALE_UP', to: 8, reason: 'avg_utilization 0.9 × 4 workers / target 0.5: 8 workers' });
  });

  it('in MANUAL mode resizes only when a schedule window began after the last resize', () => {
    const manual = { ...scaling, mode: 'MANUAL' as const };
    const scheduled = { hours: '8:00-20:00', target: 6, startedAt: new Date('2030-01-01T08:00:00Z') };
    const input = { scaling: manual, size: 3, metrics: { queueDepth: 0, avgUtilization: 0.5, responseTimeSeconds: 0 }, now, scheduled };
    expect(scheduleBoundary({ ...input, lastScaledAt: new Date('2030-01-01T07:59:00Z') })).toMatchObject({ action: 'SCALE_UP', to: 6, reason: 'schedule 8:00-20:00 began: targets 6' });
    expect(scheduleBoundary({ ...input, lastScaledAt: null })).toMatchObject({ to: 6 });
    expect(scheduleBoundary({ ...input, lastScaledAt: new Date('2030-01-01T09:00:00Z') })).toBeNull();
    expect(scheduleBoundary({ ...input, size: 6, lastScaledAt: null })).toBeNull();
  });

  it('returns inside [min, max] whatever the rules say', () => {
    expect(decide(1, { queueDepth: 0 })).toMatchObject({ action: 'SCALE_UP', to: 2, reason: '1 workers are below min 2' });
    expect(decide(12, { queueDepth: 90 })).toMatchObject({ action: 'SCALE_DOWN', to: 10 });
  });
});
