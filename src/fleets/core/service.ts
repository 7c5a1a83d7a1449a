/**
 * Fleets: pools of workers made from a template (docs/product/fleets.md "Fleet Creation and
 * Scaling"). Creating a fleet hires its `min` workers at once (its schedule window's target
 * when one is active); changing its policies
 * keeps its size inside the new [min, max].
 */
import { and, eq } from 'drizzle-orm';
import type { z } from 'zod';

import { fleets, tasks, taskSchedules, teams, triggers, workers } from '../../db/schema.js';
import { ValidationError } from '../../errors.js';
import { interestChanged } from '../../events/interest.js';
import type { ModelRegistry } from '../../models/registry.js';
import { transactionWithEvents } from '../../events/outbox.js';
import { isQueued } from '../../tasks/predicates.js';
import { stopRuns } from '../../tasks/transitions.js';
import { cancelOpenTasks } from '../../tasks/work-state.js';
import { parseInput } from '../../validation.js';
import { modelOfNewWorker } from '../../workers/service.js';
import { workersNeeded } from '../teams/model.js';
import { dissolveTeam, formTeam } from '../teams/service.js';
import { lockMembers } from './members.js';
import { CreateFleetModel, MAX_FLEET_SIZE, requiresDistributor, UpdateFleetModel, WorkerTemplateModel, type CreateFleetInput, type UpdateFleetInput } from './policy.js';
import { activeSchedule } from '../scaling/autoscaler.js';
import { resize } from '../scaling/resize.js';
import { lockFleet, protocolIdOf, type FleetDeps, type FleetRow } from './store.js';

export type { CreateFleetInput, FleetRow, UpdateFleetInput };

/** What storing a worker template needs besides the fleet's services: the server's default model. */
type TemplateDeps = { models: Pick<ModelRegistry, 'defaultModel'> };

/**
 * A worker template as stored: a model and a protocol slug, or null; a template naming
 * neither gets the server's default model (`modelOfNewWorker`), like a worker hired so.
 */
function templateOf(template: z.output<typeof WorkerTemplateModel>, deps: TemplateDeps): FleetRow['workerTemplate'] {
  return { ...template, model: modelOfNewWorker(template.model, template.protocolSlug, deps.models.defaultModel), protocolSlug: template.protocolSlug ?? null };
}

/**
 * Creates a fleet, hires `scaling.min` workers from its template (ACTIVE at once), or the
 * target of the scaling schedule window active now in the fleet's time zone, forms its
 * declared `teams` (hiring what they need; without `scaling.max` the teams' total is the
 * max when it is above the default), and
 * appends `Fleet.created` (and `Fleet.scaled` when it hired).
 * @throws ValidationError naming each bad path; NotFoundError for a protocol the template
 *   or the distributor names
 */
export async function createFleet(deps: FleetDeps & TemplateDeps, organizationId: string, input: CreateFleetInput): Promise<FleetRow> {
  const parsed = parseInput(CreateFleetModel, input);
  const needed = workersNeeded(parsed.teams);
  // Teams declared without a scaling max (the fleet document's SDR fleet) set it.
  const maxGiven = input.scaling?.max !== null && input.scaling?.max !== undefined;
  const data = maxGiven || needed <= parsed.scaling.max ? parsed : { ...parsed, scaling: { ...parsed.scaling, max: needed } };
  if (needed > data.scaling.max) {
    throw new ValidationError([{ path: ['teams'], message: `the teams need ${needed} workers, more than scaling.max ${data.scaling.max}` }]);
  }
  if (needed > MAX_FLEET_SIZE) throw new ValidationError([{ path: ['teams'], message: `the teams need ${needed} workers; a fleet has at most ${MAX_FLEET_SIZE}` }]);
  return transactionWithEvents(deps, async (tx, outbox) => {
    if (data.workerTemplate.protocolSlug) await protocolIdOf(tx, organizationId, data.workerTemplate.protocolSlug);
    if (data.distributor) await protocolIdOf(tx, organizationId, data.distributor);
    const [created] = await tx
      .insert(fleets)
      .values({
        organizationId,
        name: data.name,
        description: data.description ?? null,
        workerTemplate: templateOf(data.workerTemplate, deps),
        scaling: data.scaling,
        sla: data.sla ? compactSla(data.sla) : null,
        quotas: data.quotas.map((quota) => ({ ...quota, action: quota.action ?? null })),
        balancing: data.balancing,
        distributor: data.distributor ?? null,
        resourceLimits: data.resourceLimits ?? null,
        timezone: data.timezone,
        retry: data.retry ?? null,
      })
      .returning();
    await outbox.append({ organizationId, type: 'Fleet.created', subjectId: created!.id, payload: { name: created!.name, min: data.scaling.min } });
    const now = deps.clock.now();
    const window = activeSchedule(data.scaling, data.timezone, now);
    const reason = window ? `created in schedule ${window.hours}, which targets ${window.target}` : `created with min ${data.scaling.min}`;
    let { fleet } = await resize(tx, outbox, created!, window?.target ?? data.scaling.min, reason, now);
    for (const team of data.teams) {
      await formTeam(tx, outbox, fleet, team, now);
      fleet = await lockFleet(tx, organizationId, fleet.id);
    }
    return fleet;
  });
}

/**
 * Replaces the policies given (omitted ones stay) and appends `Fleet.updated` naming
 * them. A new [min, max] that excludes the current size resizes the fleet to the nearer
 * bound (`Fleet.scaled`). A new template applies to workers hired from now on.
 * @throws ValidationError; NotFoundError (fleet, protocols named)
 */
export async function updateFleet(deps: FleetDeps & TemplateDeps, organizationId: string, input: UpdateFleetInput): Promise<FleetRow> {
  const data = parseInput(UpdateFleetModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const fleet = await lockFleet(tx, organizationId, data.fleetId);
    const template = data.workerTemplate ? templateOf(data.workerTemplate, deps) : undefined;
    if (template?.protocolSlug) await protocolIdOf(tx, organizationId, template.protocolSlug);
    if (data.distributor) await protocolIdOf(tx, organizationId, data.distributor);
    const changes: Partial<typeof fleets.$inferInsert> = {
      ...(data.name ? { name: data.name } : {}),
      ...(data.description !== undefined && data.description !== null ? { description: data.description } : {}),
      ...(template ? { workerTemplate: template } : {}),
      ...(data.scaling ? { scaling: data.scaling } : {}),
      ...(data.sla ? { sla: compactSla(data.sla) } : {}),
      ...(data.quotas ? { quotas: data.quotas.map((quota) => ({ ...quota, action: quota.action ?? null })) } : {}),
      ...(data.balancing ? { balancing: data.balancing } : {}),
      ...(data.distributor ? { distributor: data.distributor } : {}),
      ...(data.resourceLimits ? { resourceLimits: data.resourceLimits } : {}),
      ...(data.timezone ? { timezone: data.timezone } : {}),
      ...(data.retry ? { retry: data.retry } : {}),
    };
    if (requiresDistributor(changes.balancing ?? fleet.balancing, changes.distributor ?? fleet.distributor)) {
      throw new ValidationError([{ path: ['distributor'], message: 'the CUSTOM strategy needs a distributor protocol' }]);
    }
    const fields = Object.keys(changes);
    if (fields.length === 0) return fleet;
    // Row locks before the first event (the outbox lock is held from then on); a resize needs the members'.
    const size = (await lockMembers(tx, fleet.id)).length;
    const [updated] = await tx.update(fleets).set(changes).where(eq(fleets.id, fleet.id)).returning();
    await outbox.append({ organizationId, type: 'Fleet.updated', subjectId: fleet.id, payload: { fields } });
    const { min, max } = updated!.scaling;
    const bounded = Math.min(max, Math.max(min, size));
    if (bounded === size) return updated!;
    return (await resize(tx, outbox, updated!, bounded, `bounds changed to [${min}, ${max}]`, deps.clock.now())).fleet;
  });
}

/** What deleting a fleet did. */
export interface FleetDeletion {
  fleet: FleetRow;
  /** Tasks that waited in its queue (PENDING), cancelled. */
  tasksCancelled: number;
  /** Its workers, released: they stay in their lifecycle with the tasks they hold, without a fleet. */
  workersReleased: string[];
  teamsDeleted: number;
  schedulesDeleted: number;
  triggersDeleted: number;
}

/**
 * Deletes fleet `fleetId`. Its open work is settled first: tasks waiting in its queue
 * (PENDING) are cancelled (`Fleet.task.cancelled`); its teams are deleted as
 * `deleteTeam` deletes them (their running pipelines stop, each one's open stage task is
 * cancelled; `Team.deleted`). Its workers are released, not offboarded: each keeps its
 * lifecycle and the tasks it holds (ASSIGNED, RUNNING and WAITING work goes on) and
 * becomes a worker without a fleet, team or shift; a retiring worker's retirement is
 * called off (offboard it with `offboardWorker`). Its shifts, alerts, recurring schedules
 * and triggers go with it; tasks it made keep existing without a fleet. Appends
 * `Fleet.deleted`. Runs of cancelled tasks are stopped after commit.
 * @throws NotFoundError
 */
export async function deleteFleet(deps: FleetDeps, organizationId: string, fleetId: string): Promise<FleetDeletion> {
  const reason = 'its fleet was deleted';
  const { deletion, runIds } = await transactionWithEvents(deps, async (tx, outbox) => {
    const fleet = await lockFleet(tx, organizationId, fleetId);
    const runIds: string[] = [];
    const fleetTeams = await tx.select().from(teams).where(eq(teams.fleetId, fleet.id)).for('update');
    for (const team of fleetTeams) runIds.push(...(await dissolveTeam(tx, outbox, team, reason)).runIds);
    const queued = await tx.select({ id: tasks.id }).from(tasks).where(and(eq(tasks.fleetId, fleet.id), isQueued));
    const cancelled = await cancelOpenTasks(tx, outbox, organizationId, queued.map((task) => task.id), reason);
    runIds.push(...cancelled.runIds);
    const released = await tx
      .update(workers)
      .set({ fleetId: null, teamId: null, shiftId: null })
      .where(eq(workers.fleetId, fleet.id))
      .returning({ id: workers.id });
    const schedulesDeleted = await tx.$count(taskSchedules, eq(taskSchedules.fleetId, fleet.id));
    const triggersDeleted = await tx.$count(triggers, eq(triggers.fleetId, fleet.id));
    await tx.delete(fleets).where(eq(fleets.id, fleet.id));
    const deletion: FleetDeletion = {
      fleet,
      tasksCancelled: cancelled.cancelled.length,
      workersReleased: released.map((worker) => worker.id),
      teamsDeleted: fleetTeams.length,
      schedulesDeleted,
      triggersDeleted,
    };
    await outbox.append({
      organizationId,
      type: 'Fleet.deleted',
      subjectId: fleet.id,
      payload: {
        name: fleet.name,
        tasksCancelled: deletion.tasksCancelled,
        workerIds: deletion.workersReleased,
        teamsDeleted: deletion.teamsDeleted,
        schedulesDeleted,
        triggersDeleted,
      },
    });
    return { deletion, runIds };
  });
  // Its triggers went with it: what the organisation's triggers want changed.
  if (deletion.triggersDeleted > 0) interestChanged(deps.bus, organizationId);
  await stopRuns(deps, runIds);
  return deletion;
}

function compactSla(sla: { responseTimeSeconds?: number | null | undefined; resolutionTimeSeconds?: number | null | undefined }) {
  return {
    ...(sla.responseTimeSeconds ? { responseTimeSeconds: sla.responseTimeSeconds } : {}),
    ...(sla.resolutionTimeSeconds ? { resolutionTimeSeconds: sla.resolutionTimeSeconds } : {}),
  };
}
