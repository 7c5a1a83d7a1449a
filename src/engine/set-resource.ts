/**
 * set-resource (docs/protocol.md section 7, deprecated; validation warns): writes the value
 * of a variable to a resource and emits `resource-update {name, value}`.
 */
import type { BlockOutcome, BlockRun } from './run-context.js';
import type { BlockOf } from './types.js';

/** Runs a set-resource block; a variable without a value writes `null`. */
export function setResource(run: BlockRun, block: BlockOf<'set-resource'>): BlockOutcome {
  const { state, scope } = run.exec;
  const entry = scope.lookup(block.value);
  const value = entry.state === 'set' ? entry.value : null;
  state.resources = { ...state.resources, [block.resource]: value };
  run.emit({ type: 'resource-update', name: block.resource, value });
  return { status: 'done' };
}
