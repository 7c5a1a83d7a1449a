/**
 * Resuming a paused run with the client's tool results (docs/protocol.md section 12, step 4):
 * checking that they answer exactly the pending batch, and delivering them to the
 * paused block.
 */
import type { ToolResult } from './events.js';
import type { PendingBatch, RunState } from './execution-types.js';
import type { BlockRun } from './run-context.js';
import { emitToolResult, toJsonValue } from './tool-calls.js';

/** Why tool results cannot resume a run. */
export type ToolResultsProblem =
  /** Results were given, but the state is not paused for tools. */
  | 'not-paused'
  /** The state is paused for tools, but no results were given. */
  | 'no-results'
  /** Some pending calls have no result (`toolCallIds` lists them). */
  | 'missing'
  /** Some results answer no pending call (`toolCallIds` lists them). */
  | 'unknown'
  /** Some calls are answered twice (`toolCallIds` lists them). */
  | 'duplicate';

/**
 * Tool results that do not match the paused batch. Thrown by `executeWorker` before it
 * emits anything (a caller error, not a run failure), and by `checkToolResults`.
 */
export class ToolResultsError extends Error {
  override readonly name = 'ToolResultsError';

  constructor(
    readonly problem: ToolResultsProblem,
    message: string,
    /** The call ids concerned. */
    readonly toolCallIds: string[] = [],
  ) {
    super(message);
  }
}

/**
 * Checks that `results` answer every call of `state.pending` exactly once. Results
 * for the batch's server calls (echoed back from `serverToolResults`) are accepted and
 * ignored. A host may call it on each submitted result to refuse bad ones early.
 * @returns the results of the pending calls, in the batch's order
 * @throws ToolResultsError
 */
export function checkToolResults(state: RunState, results: readonly ToolResult[] | undefined): ToolResult[] {
  const batch = state.pending;
  if (!batch) {
    if (results === undefined) return [];
    throw new ToolResultsError('not-paused', 'The run is not waiting for tool results.');
  }
  if (results === undefined) {
    throw new ToolResultsError('no-results', `The run is waiting for tool results: ${batch.calls.map((call) => call.toolCallId).join(', ')}.`, batch.calls.map((call) => call.toolCallId));
  }
  const pending = new Set(batch.calls.map((call) => call.toolCallId));
  const server = new Set(batch.serverResults.map((result) => result.toolCallId));
  const byId = new Map<string, ToolResult>();
  const duplicates: string[] = [];
  const unknown: string[] = [];
  for (const result of results) {
    if (server.has(result.toolCallId)) continue;
    if (!pending.has(result.toolCallId)) unknown.push(result.toolCallId);
    else if (byId.has(result.toolCallId)) duplicates.push(result.toolCallId);
    else byId.set(result.toolCallId, result);
  }
  if (unknown.length > 0) throw new ToolResultsError('unknown', `No pending tool call has the id ${unknown.map((id) => `"${id}"`).join(', ')}.`, unknown);
  if (duplicates.length > 0) throw new ToolResultsError('duplicate', `Tool call ${duplicates.map((id) => `"${id}"`).join(', ')} is answered twice.`, duplicates);
  const missing = batch.calls.filter((call) => !byId.has(call.toolCallId)).map((call) => call.toolCallId);
  if (missing.length > 0) throw new ToolResultsError('missing', `Tool results are missing for ${missing.map((id) => `"${id}"`).join(', ')}.`, missing);
  return batch.calls.map((call) => byId.get(call.toolCallId)!);
}

/**
 * Hands the client's results to the block that paused: emits `tool-output-available`
 * or `tool-output-error` (and `file-available` for their files) for each, and returns
 * every result of the batch, server ones included, by call id. A result is normalised:
 * `error` wins over `result`; a missing `result` is `null`; a value JSON cannot hold is
 * an error.
 */
export function deliverToolResults(run: BlockRun, batch: PendingBatch, results: readonly ToolResult[]): Map<string, ToolResult> {
  const delivered = new Map(batch.serverResults.map((result) => [result.toolCallId, result]));
  batch.calls.forEach((call, index) => {
    const given = results[index]!;
    const json = toJsonValue(given.result);
    const result: ToolResult = { toolCallId: call.toolCallId, toolName: call.toolName };
    if (given.error !== undefined) result.error = given.error;
    else if (json.ok) result.result = json.value;
    else result.error = `The result of tool "${call.toolName}" is not JSON.`;
    if (given.files?.length) result.files = given.files;
    const hidden = run.exec.protocol.tools.find((tool) => tool.name === call.toolName)?.display === 'hidden';
    emitToolResult(run, result, hidden);
    delivered.set(call.toolCallId, result);
  });
  return delivered;
}
