/**
 * Fleet rows and the fleet lock. Every decision about a fleet's work or size (assign,
 * drain the queue, rebalance, scale) is taken under its row lock, `FOR NO KEY UPDATE`:
 * decisions of one fleet are serialised across processes, while inserting a task or a
 * worker that references the fleet (a foreign-key check takes `FOR KEY SHARE`) never
 * waits for them. Lock order everywhere: fleet, then workers by id, then tasks.
 */
import { and, eq } from 'drizzle-orm';

import type { Database, Executor, Transaction } from '../../db/client.js';
import { fleets } from '../../db/schema.js';
import { NotFoundError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { findProtocolId } from '../../protocols/service.js';
import type { Bus } from '../../realtime/bus.js';
import type { RunExecutor } from '../../runs/executor.js';
import type { Clock } from '../../scheduler/clock.js';

export type FleetRow = typeof fleets.$inferSelect;

/** What fleet services need; the clock times decisions (cooldowns, schedules, shifts, SLAs). */
export interface FleetDeps {
  db: Database;
  bus: Bus;
  runs: RunExecutor;
  logger: Logger;
  clock: Clock;
}

/**
 * Reads fleet `fleetId` of `organizationId` and holds its balancer lock until the
 * transaction ends.
 * @throws NotFoundError
 */
export async function lockFleet(tx: Transaction, organizationId: string, fleetId: string): Promise<FleetRow> {
  const [fleet] = await tx
    .select()
    .from(fleets)
    .where(and(eq(fleets.organizationId, organizationId), eq(fleets.id, fleetId)))
    .for('no key update');
  if (!fleet) throw new NotFoundError('Fleet', fleetId);
  return fleet;
}

/**
 * Fleet `fleetId` of `organizationId`, unlocked.
 * @throws NotFoundError
 */
export async function findFleet(db: Executor, organizationId: string, fleetId: string): Promise<FleetRow> {
  const [fleet] = await db
    .select()
    .from(fleets)
    .where(and(eq(fleets.organizationId, organizationId), eq(fleets.id, fleetId)));
  if (!fleet) throw new NotFoundError('Fleet', fleetId);
  return fleet;
}

/**
 * The id of protocol `slug` of `organizationId`.
 * @throws NotFoundError
 */
export async function protocolIdOf(db: Executor, organizationId: string, slug: string): Promise<string> {
  const id = await findProtocolId(db, organizationId, slug);
  if (!id) throw new NotFoundError('Protocol', slug);
  return id;
}
