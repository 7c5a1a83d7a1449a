/**
 * Manual scaling (docs/product/fleets.md "fleet.scale({ count })", "scaleUp(5)",
 * "scaleDown(3)") and the resize every other path uses (creation, policy changes, the
 * autoscaler, shifts). A fleet's size is always inside [min, max]: `scaleFleet` refuses
 * a count outside, `scaleFleetUp`/`Down` stop at the bound.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';

import type { Transaction } from '../../db/client.js';
import { fleets } from '../../db/schema.js';
import { ValidationError } from '../../errors.js';
import { transactionWithEvents, type Outbox } from '../../events/outbox.js';
import { parseInput } from '../../validation.js';
import type { WorkerRow } from '../../workers/lifecycle.js';
import { dispatch } from '../handout/dispatch.js';
import { countMembers, hireFromTemplate, keepRetiring, lockMembers, retire, retirementOrder } from '../core/members.js';
import { lockFleet, type FleetDeps, type FleetRow } from '../core/store.js';

/** What a resize did. */
export interface ScaleOutcome {
  fleet: FleetRow;
  from: number;
  to: number;
  /** New workers from the template. */
  hired: WorkerRow[];
  /** Retiring workers taken back instead of hiring. */
  kept: WorkerRow[];
  /** Workers offboarded now (they were idle). */
  retired: WorkerRow[];
  /** Workers finishing their running tasks before they are offboarded. */
  draining: WorkerRow[];
  reason: string;
}

/**
 * Resizes the locked `fleet` to `target` members in the caller's transaction. Growing
 * takes back retiring workers first, then hires from the template, then hands queued
 * work to the newcomers; shrinking retires in {@link retirementOrder}. Records the time
 * (the autoscaler's cooldown starts from it) and appends `Fleet.scaled` with `reason`
 * when the size changes. The caller keeps `target` inside [min, max].
 */
export async function resize(tx: Transaction, outbox: Outbox, fleet: FleetRow, target: number, reason: string, now: Date): Promise<ScaleOutcome> {
  const members = await lockMembers(tx, fleet.id);
  const from = members.length;
  const outcome: ScaleOutcome = { fleet, from, to: target, hired: [], kept: [], retired: [], draining: [], reason };
  if (target === from) return outcome;
  if (target > from) {
    outcome.kept = await keepRetiring(tx, outbox, fleet.id, target - from);
    outcome.hired = await hireFromTemplate(tx, outbox, fleet, target - from - outcome.kept.length, now);
  } else {
    const leaving = [...members].sort(retirementOrder).slice(0, from - target);
    Object.assign(outcome, await retire(tx, outbox, leaving, `fleet scaled down: ${reason}`, now));
  }
  const [updated] = await tx.update(fleets).set({ lastScaledAt: now }).where(eq(fleets.id, fleet.id)).returning();
  outcome.fleet = updated!;
  await outbox.append({
    organizationId: fleet.organizationId,
    type: 'Fleet.scaled',
    subjectId: fleet.id,
    payload: {
      from,
      to: target,
      direction: target > from ? 'up' : 'down',
      reason,
      hired: outcome.hired.map((w) => w.id),
      kept: outcome.kept.map((w) => w.id),
      retired: outcome.retired.map((w) => w.id),
      draining: outcome.draining.map((w) => w.id),
    },
  });
  // Newcomers serve the queue at once; a CUSTOM fleet's queue waits for the drain
  // after commit, which asks its distributor outside any lock.
  if (target > from && fleet.balancing.strategy !== 'CUSTOM') {
    await dispatch(tx, outbox, updated!, { newTasks: [], balancing: fleet.balancing }, now);
  }
  return outcome;
}

export const ScaleFleetModel = z.object({ fleetId: z.uuid(), count: z.number().int().nonnegative() });
export const ScaleFleetByModel = z.object({ fleetId: z.uuid(), by: z.number().int().min(1, 'must be at least 1') });

/**
 * Scales fleet `fleetId` to `count` workers.
 * @throws ValidationError when `count` lies outside [min, max]; NotFoundError
 */
export function scaleFleet(deps: FleetDeps, organizationId: string, input: z.input<typeof ScaleFleetModel>): Promise<ScaleOutcome> {
  const data = parseInput(ScaleFleetModel, input);
  return scaleWith(deps, organizationId, data.fleetId, (fleet) => {
    const { min, max } = fleet.scaling;
    if (data.count < min || data.count > max) {
      throw new ValidationError([{ path: ['count'], message: `must lie within the fleet's bounds [${min}, ${max}]` }]);
    }
    return { target: data.count, reason: `scaled to ${data.count} by hand` };
  });
}

/**
 * Adds `by` workers to fleet `fleetId`, stopping at `max`.
 * @throws ValidationError; NotFoundError
 */
export function scaleFleetUp(deps: FleetDeps, organizationId: string, input: z.input<typeof ScaleFleetByModel>): Promise<ScaleOutcome> {
  const data = parseInput(ScaleFleetByModel, input);
  return scaleWith(deps, organizationId, data.fleetId, (fleet, size) => ({
    target: Math.min(fleet.scaling.max, size + data.by),
    reason: `scaled up by ${data.by} by hand${size + data.by > fleet.scaling.max ? ` (stopped at max ${fleet.scaling.max})` : ''}`,
  }));
}

/**
 * Retires `by` workers of fleet `fleetId`, stopping at `min`.
 * @throws ValidationError; NotFoundError
 */
export function scaleFleetDown(deps: FleetDeps, organizationId: string, input: z.input<typeof ScaleFleetByModel>): Promise<ScaleOutcome> {
  const data = parseInput(ScaleFleetByModel, input);
  return scaleWith(deps, organizationId, data.fleetId, (fleet, size) => ({
    target: Math.max(fleet.scaling.min, size - data.by),
    reason: `scaled down by ${data.by} by hand${size - data.by < fleet.scaling.min ? ` (stopped at min ${fleet.scaling.min})` : ''}`,
  }));
}

function scaleWith(
  deps: FleetDeps,
  organizationId: string,
  fleetId: string,
  decide: (fleet: FleetRow, size: number) => { target: number; reason: string },
): Promise<ScaleOutcome> {
  return transactionWithEvents(deps, async (tx, outbox) => {
    const fleet = await lockFleet(tx, organizationId, fleetId);
    const size = await countMembers(tx, fleet.id);
    const { target, reason } = decide(fleet, size);
    return resize(tx, outbox, fleet, target, reason, deps.clock.now());
  });
}
