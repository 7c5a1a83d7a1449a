/**
 * Payload paths for triggers: a filter is a map from dot-separated paths to the value
 * each must equal (`{"source": "web", "lead.country": "DE"}`), an input mapping a map
 * from task input fields to paths (`{"COMPANY": "lead.company"}`).
 */
import { isDeepStrictEqual } from 'node:util';

/** The value at dot-separated `path` inside `value`, or undefined. */
export function valueAt(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Whether every path of `filter` holds its value in `payload` (an empty filter matches all). */
export function matchesFilter(payload: unknown, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([path, expected]) => isDeepStrictEqual(valueAt(payload, path), expected));
}

/**
 * The task input made from `payload` by `mapping`: each field takes the value at its
 * path (missing values become null). An empty mapping passes the whole payload on.
 */
export function mapInput(payload: Record<string, unknown>, mapping: Record<string, string>): Record<string, unknown> {
  const entries = Object.entries(mapping);
  if (entries.length === 0) return payload;
  return Object.fromEntries(entries.map(([field, path]) => [field, valueAt(payload, path) ?? null]));
}
