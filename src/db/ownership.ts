/** Tenant-scoped existence checks shared by the domain services. */
import { and, eq } from 'drizzle-orm';

import { NotFoundError } from '../errors.js';
import type { Executor } from './client.js';
import { fleets, protocols, runs, tasks, teams, workers } from './schema.js';

type OwnedTable = typeof workers | typeof fleets | typeof tasks | typeof teams | typeof runs | typeof protocols;

/**
 * Checks that row `id` of `table` exists in `organizationId`; another organisation's row
 * answers exactly like a missing one.
 * @throws NotFoundError naming `entity` and `id`
 */
export async function requireOwned(
  db: Executor,
  table: OwnedTable,
  organizationId: string,
  id: string,
  entity: string,
): Promise<void> {
  const [row] = await db
    .select({ id: table.id })
    .from(table)
    .where(and(eq(table.organizationId, organizationId), eq(table.id, id)));
  if (!row) throw new NotFoundError(entity, id);
}
