/**
 * The autoscaler (docs/product/fleets.md `scaling: { mode: 'auto', rules, cooldown,
 * schedule, aggressive }`). {@link decideScaling} is the policy as a pure function;
 * {@link evaluateFleetScaling} measures the fleet, decides, and resizes it (AUTO mode);
 * the scheduler evaluates every AUTO fleet each {@link AUTOSCALE_INTERVAL_MS}.
 * docs/autoscaling.md sets the semantics beside Kubernetes' HorizontalPodAutoscaler.
 *
 * A decision, in order:
 * 1. below `min` or above `max` (the policy changed): back inside, whatever else;
 * 2. a SCALE_UP rule fires (metric > threshold), or the target form (`metric` + `target`,
 *    {@link targetSize}) wants more workers: grow to the largest of them (a rule by its
 *    step, with `aggressive` by at least the current size: doubling);
 * 3. a schedule window is active and the fleet is smaller than its target: grow to it;
 * 4. a SCALE_DOWN rule fires (metric < threshold), or the target form wants fewer workers:
 *    shrink to the larger of them (the smaller move), not below the active schedule target;
 * 5. a schedule window is active and the fleet is larger than its target: shrink to it;
 * 6. otherwise nothing.
 * The result is clamped to [min, max]. Within `cooldownSeconds` of the last resize (by
 * hand, shift or autoscaler) the decision is held — except an aggressive scale-up.
 *
 * In MANUAL mode the decision is only reported, except a schedule window's: when a window
 * began after the fleet's last resize, the fleet is sized to its target
 * ({@link scheduleBoundary}), as a shift boundary does.
 */
import { eq } from 'drizzle-orm';

import type { FleetScaling, ScalingDecision, ScalingMetrics, ScalingRule } from '../../db/documents.js';
import { fleets } from '../../db/schema.js';
import { transactionWithEvents } from '../../events/outbox.js';
import { countMembers } from '../core/members.js';
import { resize, type ScaleOutcome } from './resize.js';
import { readFleetStatus } from '../monitoring/status.js';
import { lockFleet, type FleetDeps, type FleetRow } from '../core/store.js';
import { instantAt, isWithin, localTime, parseHours } from '../core/time-of-day.js';

/**
 * How often the scheduler evaluates each AUTO fleet, in ms: Kubernetes' HPA default sync
 * period (kube-controller-manager `--horizontal-pod-autoscaler-sync-period`, 15 s).
 */
export const AUTOSCALE_INTERVAL_MS = 15_000;

/** What a decision is made from. */
export interface ScalingInput {
  scaling: FleetScaling;
  size: number;
  metrics: ScalingMetrics;
  now: Date;
  lastScaledAt: Date | null;
  /** The schedule window active now, if any, and when its current occurrence began. */
  scheduled: ActiveSchedule | null;
}

/** A schedule window active now. */
export interface ActiveSchedule {
  hours: string;
  target: number;
  startedAt: Date;
}

/** A decision before it is applied. */
export type Decision = Omit<ScalingDecision, 'at' | 'applied'>;

const METRIC_OF: Record<ScalingRule['metric'], keyof ScalingMetrics> = {
  QUEUE_DEPTH: 'queueDepth',
  AVG_UTILIZATION: 'avgUtilization',
  RESPONSE_TIME: 'responseTimeSeconds',
};

/**
 * The size the target form of `scaling` asks for, or null without one. QUEUE_DEPTH's
 * target is per worker: ceil(queue depth / target) (KEDA's and the HorizontalPodAutoscaler's
 * `AverageValue` target); AVG_UTILIZATION and RESPONSE_TIME scale the current size
 * proportionally: ceil(size × value / target) (the HPA's `Utilization` formula). Not clamped.
 */
export function targetSize(scaling: FleetScaling, size: number, metrics: ScalingMetrics): { to: number; reason: string } | null {
  if (!scaling.metric || !scaling.target) return null;
  const value = metrics[METRIC_OF[scaling.metric]];
  const name = scaling.metric.toLowerCase();
  if (scaling.metric === 'QUEUE_DEPTH') {
    const to = Math.ceil(value / scaling.target);
    return { to, reason: `${name} ${value} / target ${scaling.target} per worker: ${to} workers` };
  }
  const to = Math.ceil((size * value) / scaling.target);
  return { to, reason: `${name} ${round(value)} × ${size} workers / target ${scaling.target}: ${to} workers` };
}

/** The move of `input`'s fleet to `to` (clamped to [min, max]) for `reason`, or NONE when clamping leaves it where it is. */
function moveTo(input: Pick<ScalingInput, 'scaling' | 'size' | 'metrics'>, to: number, reason: string, ruleIndex: number | null): Decision {
  const { scaling, size, metrics } = input;
  const bounded = Math.min(scaling.max, Math.max(scaling.min, to));
  if (bounded === size) return noMove(input, `${reason}, but the fleet is at its ${to > size ? 'max' : 'min'} of ${size}`);
  return {
    action: bounded > size ? 'SCALE_UP' : 'SCALE_DOWN',
    from: size,
    to: bounded,
    reason: bounded === to ? reason : `${reason} (stopped at ${bounded > size ? 'max' : 'min'} ${bounded})`,
    ruleIndex,
    rule: ruleIndex === null ? null : scaling.rules[ruleIndex]!,
    metrics,
  };
}

function noMove({ size, metrics }: Pick<ScalingInput, 'size' | 'metrics'>, reason: string): Decision {
  return { action: 'NONE', from: size, to: size, reason, ruleIndex: null, rule: null, metrics };
}

/**
 * MANUAL mode's one automatic move: the schedule window active now began after the fleet's
 * last resize (or it was never resized), so the fleet is sized to the window's target
 * (clamped to [min, max]); a resize by hand during the window holds until the next one
 * begins. Null when there is nothing to do.
 */
export function scheduleBoundary(input: ScalingInput): Decision | null {
  const { scheduled, lastScaledAt, size } = input;
  if (!scheduled || (lastScaledAt && lastScaledAt >= scheduled.startedAt)) return null;
  const decision = moveTo(input, scheduled.target, `schedule ${scheduled.hours} began: targets ${scheduled.target}`, null);
  return decision.action === 'NONE' || decision.to === size ? null : decision;
}

/** Decides one scaling action; see the module comment for the order of the rules. */
export function decideScaling(input: ScalingInput): Decision {
  const { scaling, size, metrics, scheduled } = input;
  const none = (reason: string): Decision => noMove(input, reason);
  const move = (to: number, reason: string, ruleIndex: number | null): Decision => moveTo(input, to, reason, ruleIndex);

  if (size < scaling.min) return move(scaling.min, `${size} workers are below min ${scaling.min}`, null);
  if (size > scaling.max) return move(scaling.max, `${size} workers are above max ${scaling.max}`, null);

  const firing = scaling.rules
    .map((rule, index) => ({ rule, index, value: metrics[METRIC_OF[rule.metric]] }))
    .filter(({ rule, value }) => (rule.action === 'SCALE_UP' ? value > rule.threshold : value < rule.threshold));
  const strongest = (action: ScalingRule['action']) =>
    firing.filter((f) => f.rule.action === action).reduce<(typeof firing)[number] | undefined>((a, b) => (a && a.rule.step >= b.rule.step ? a : b), undefined);
  const describe = (f: (typeof firing)[number]) =>
    `rule ${f.index + 1}: ${f.rule.metric.toLowerCase()} ${round(f.value)} ${f.rule.action === 'SCALE_UP' ? '>' : '<'} ${f.rule.threshold}`;

  const up = strongest('SCALE_UP');
  const wanted = targetSize(scaling, size, metrics);
  const upStep = up ? (scaling.aggressive ? Math.max(up.rule.step, size) : up.rule.step) : 0;
  let decision: Decision;
  if (wanted && wanted.to > size + upStep) {
    decision = move(wanted.to, wanted.reason, null);
  } else if (up) {
    decision = move(size + upStep, `${describe(up)}: +${upStep}${upStep > up.rule.step ? ' (aggressive)' : ''}`, up.index);
  } else if (scheduled && size < scheduled.target) {
    decision = move(scheduled.target, `schedule ${scheduled.hours} targets ${scheduled.target}`, null);
  } else {
    const down = strongest('SCALE_DOWN');
    const floor = scheduled?.target ?? scaling.min;
    const byRule = down ? size - down.rule.step : -Infinity;
    const byTarget = wanted && wanted.to < size ? wanted.to : -Infinity;
    if (size > floor && byTarget > byRule && byTarget !== -Infinity) {
      decision = move(Math.max(floor, byTarget), wanted!.reason, null);
    } else if (down && size > floor) {
      decision = move(Math.max(floor, size - down.rule.step), `${describe(down)}: -${down.rule.step}`, down.index);
    } else if (scheduled && size > scheduled.target) {
      decision = move(scheduled.target, `schedule ${scheduled.hours} targets ${scheduled.target}`, null);
    } else {
      const quiet = `no rule fired (queue ${metrics.queueDepth}, utilization ${round(metrics.avgUtilization)}, response ${round(metrics.responseTimeSeconds)} s)`;
      decision = none(down ? `${describe(down)}, but the fleet is at its floor of ${floor}` : quiet);
    }
  }

  if (decision.action === 'NONE' || !input.lastScaledAt) return decision;
  const sinceMs = input.now.getTime() - input.lastScaledAt.getTime();
  const cooldownMs = scaling.cooldownSeconds * 1000;
  if (sinceMs >= cooldownMs || (decision.action === 'SCALE_UP' && scaling.aggressive)) return decision;
  return {
    ...none(`cooldown: ${decision.action} to ${decision.to} held (${decision.reason}); ${Math.ceil((cooldownMs - sinceMs) / 1000)} s of ${scaling.cooldownSeconds} s left`),
    ruleIndex: decision.ruleIndex,
    rule: decision.rule,
  };
}

/** The schedule window of `scaling` active at `now` in `zone` (the first listed wins), with when it began. */
export function activeSchedule(scaling: FleetScaling, zone: string, now: Date): ActiveSchedule | null {
  const { date, minutes } = localTime(now, zone);
  for (const entry of scaling.schedule) {
    const window = parseHours(entry.hours);
    if (!isWithin(window, minutes)) continue;
    // Before the start on the local clock: the window began yesterday and crosses midnight.
    const startedAt = instantAt(minutes >= window.start ? date : date.subtract({ days: 1 }), window.start, zone);
    return { ...entry, startedAt };
  }
  return null;
}

/** An evaluation: the decision, and the resize when it was applied. */
export interface ScalingEvaluation {
  fleet: FleetRow;
  decision: ScalingDecision;
  outcome: ScaleOutcome | null;
}

/**
 * Measures fleet `fleetId`, decides, and — in AUTO mode, or at a schedule window's start in
 * MANUAL mode, unless `dryRun` — resizes it
 * (`Fleet.scaled`, whose reason is the decision's). The decision is kept as the fleet's
 * last one.
 * @throws NotFoundError
 */
export async function evaluateFleetScaling(
  deps: FleetDeps,
  organizationId: string,
  fleetId: string,
  options: { dryRun: boolean },
): Promise<ScalingEvaluation> {
  return transactionWithEvents(deps, async (tx, outbox) => {
    const fleet = await lockFleet(tx, organizationId, fleetId);
    const now = deps.clock.now();
    const status = await readFleetStatus(tx, fleet.id, now);
    const input: ScalingInput = {
      scaling: fleet.scaling,
      size: await countMembers(tx, fleet.id),
      metrics: { queueDepth: status.queueDepth, avgUtilization: status.utilization, responseTimeSeconds: status.avgWaitTimeMs / 1000 },
      now,
      lastScaledAt: fleet.lastScaledAt,
      scheduled: activeSchedule(fleet.scaling, fleet.timezone, now),
    };
    const boundary = fleet.scaling.mode === 'MANUAL' ? scheduleBoundary(input) : null;
    const made = boundary ?? decideScaling(input);
    const applied = made.action !== 'NONE' && !options.dryRun && (fleet.scaling.mode === 'AUTO' || boundary !== null);
    const note = made.action === 'NONE' || applied ? '' : options.dryRun ? ' (dry run: not applied)' : ' (MANUAL mode: not applied)';
    const decision: ScalingDecision = { ...made, reason: made.reason + note, at: now.toISOString(), applied };
    const outcome = applied ? await resize(tx, outbox, fleet, decision.to, `autoscaler: ${made.reason}`, now) : null;
    const [updated] = await tx.update(fleets).set({ lastScalingDecision: decision }).where(eq(fleets.id, fleet.id)).returning();
    return { fleet: updated!, decision, outcome };
  });
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
