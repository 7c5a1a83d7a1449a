/**
 * Reads of one row through drizzle's relational queries, with the SQL built once per
 * shape instead of once per request. The shape is the query's configuration (columns,
 * relations and their columns, as the Pothos drizzle plugin plans them from a GraphQL
 * selection) and which columns the `where` compares; the values compared are bound as
 * parameters. A GraphQL document asked again — the same selection with other IDs —
 * reuses the built statement; postgres.js also prepares it once per connection.
 *
 * Shapes are kept per database, at most {@link SHAPES_KEPT}, least recently used dropped
 * first: a client can multiply shapes by varying its selections, each within the query
 * limits (src/limits/query-limits.ts). A configuration holding anything but plain data
 * (an SQL expression, a function) is not cached: it is built for its request as before.
 */
import { Placeholder, sql } from 'drizzle-orm';

import { LruMap } from '../lru.js';
import type { Database } from './client.js';

/** Shapes kept per database; each holds its SQL text and result mapper (a few kilobytes). */
export const SHAPES_KEPT = 500;

type Tables = Database['query'];
type Row<T extends keyof Tables> = Awaited<ReturnType<Tables[T]['findFirst']>>;
type Prepared = { execute(values: Record<string, unknown>): Promise<unknown> };

const preparedByDatabase = new WeakMap<Database, LruMap<string, Prepared>>();

/**
 * `db.query[table].findFirst(query({ where }))`: the first row of `table` whose columns
 * equal `where`'s values.
 * @param query builds the configuration around the `where` it is given — the Pothos
 *   drizzle plugin's `query` of a `drizzleField` resolver; it is called once
 * @returns the row as drizzle maps it, undefined when none matches
 * @throws Error for an undefined value in `where` (as drizzle does); what drizzle throws
 *   for an invalid configuration or a failed statement
 */
export function findFirstPrepared<T extends keyof Tables>(
  db: Database,
  table: T,
  query: (select: { where: Record<string, Placeholder> }) => object,
  where: Record<string, string | undefined>,
): Promise<Row<T>> {
  const placeholders: Record<string, Placeholder> = {};
  const values: Record<string, string> = {};
  for (const [column, value] of Object.entries(where)) {
    // As drizzle does for a filter value: undefined is a mistake, never "any value".
    if (value === undefined) throw new Error(`Unexpected undefined in the filter value of ${String(table)}.${column}`);
    placeholders[column] = sql.placeholder(column);
    values[column] = value;
  }
  const config = query({ where: placeholders });
  const build = () => (db.query[table] as unknown as { findFirst(config: object): Prepared & { prepare(name: string): Prepared } }).findFirst(config);
  const shape = shapeOf(config);
  if (shape === undefined) return build().execute(values) as Promise<Row<T>>;
  let cache = preparedByDatabase.get(db);
  if (!cache) preparedByDatabase.set(db, (cache = new LruMap(SHAPES_KEPT)));
  const key = `${String(table)} ${shape}`;
  const prepared = cache.get(key) ?? cache.set(key, build().prepare(String(table)));
  return prepared.execute(values) as Promise<Row<T>>;
}

/** A placeholder in a shape (no configuration key contains a NUL). */
const PLACEHOLDER = { '\0placeholder': true };

/** Thrown inside {@link shapeOf} at the first value that is not plain data. */
const NOT_PLAIN = new Error('not plain data');

/** `config` as a string naming its shape; undefined when it holds anything but plain data. */
function shapeOf(config: object): string | undefined {
  try {
    return JSON.stringify(config, (_key, value: unknown) => {
      // Only this module's placeholders, each named after the column it sits under.
      if (value instanceof Placeholder) return PLACEHOLDER;
      if (typeof value === 'function' || typeof value === 'bigint' || typeof value === 'symbol') throw NOT_PLAIN;
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const prototype = Object.getPrototypeOf(value);
        if (prototype !== Object.prototype && prototype !== null) throw NOT_PLAIN;
      }
      return value;
    });
  } catch (error) {
    if (error === NOT_PLAIN) return undefined;
    throw error;
  }
}
