/**
 * tool-call (docs/protocol.md section 7): calls a declared tool deterministically, through
 * the same handler, validation and pause machinery as a model's calls (its pending call
 * has `source: 'block'`, `outputVariable` and `blockIndex`).
 *
 * Arguments: a literal as written, a reference (section 9) by its value; a reference
 * without a value (an unset variable, an omitted optional input) leaves the argument
 * out, and the tool's schema decides whether that is allowed.
 *
 * OPEN (ours), section 14 "tool_error when fatal": a tool-call block has no model to
 * show an error to, so an error result (a handler that throws, invalid arguments, a
 * client's `error`) fails the step with `tool_error` after its `tool-output-error`.
 * The block's `thread` only tags its events and pending call; nothing joins the
 * thread's history.
 */
import type { ToolResult } from './events.js';
import { ExecutionFailure, ToolCallFailure } from './execution-errors.js';
import type { BlockOutcome, BlockRun, Resumption } from './run-context.js';
import { declaredToolBinding } from './tool-bindings.js';
import { runToolCalls } from './tool-calls.js';
import { ToolInputEvents } from './tool-input-events.js';
import { deliverToolResults } from './tool-results.js';
import type { BlockOf } from './types.js';

/**
 * Runs a tool-call block, or finishes it with the client's result.
 * @throws ToolCallFailure for an error result; RunCancelled or the run-timeout failure.
 */
export async function toolCallBlock(run: BlockRun, block: BlockOf<'tool-call'>, resume?: Resumption): Promise<BlockOutcome> {
  const { exec } = run;
  if (resume) {
    const call = resume.batch.calls[0]!;
    const result = deliverToolResults(run, resume.batch, resume.results).get(call.toolCallId)!;
    // The batch is answered: a checkpoint that still held it would read as a new pause.
    delete exec.state.pending;
    return finish(run, block, result);
  }
  const declaration = exec.protocol.tools.find((tool) => tool.name === block.tool);
  if (!declaration) throw new ExecutionFailure('execution_error', `Tool "${block.tool}" is not declared.`);
  const binding = declaredToolBinding(declaration, exec.protocol.types);
  const args: Record<string, unknown> = {};
  for (const { parameter, value } of block.input) {
    if (value.kind === 'literal') args[parameter] = value.value;
    else {
      const entry = exec.scope.lookup(value.name);
      if (entry.state === 'set') args[parameter] = entry.value;
    }
  }
  const toolCallId = run.partId('call', 1);
  const bindings = new Map([[binding.name, binding]]);
  new ToolInputEvents(run, bindings).available(toolCallId, binding.name, args);
  const origin = {
    source: 'block' as const,
    blockIndex: block.index,
    ...(block.output !== undefined ? { outputVariable: block.output } : {}),
    ...(block.thread !== undefined ? { thread: block.thread } : {}),
  };
  const batch = await runToolCalls(run, [{ toolCallId, toolName: binding.name, args }], bindings, origin);
  if (batch.pending.length > 0) return { status: 'paused', batch: { blockIndex: block.index, calls: batch.pending, serverResults: [] } };
  return finish(run, block, batch.results[0]!);
}

function finish(run: BlockRun, block: BlockOf<'tool-call'>, result: ToolResult): BlockOutcome {
  if (result.error !== undefined) throw new ToolCallFailure(`Step "${block.name}": tool "${block.tool}" failed: ${result.error}`, { name: block.tool, callId: result.toolCallId });
  if (block.output !== undefined) run.exec.state.variables[block.output] = result.result ?? null;
  return { status: 'done' };
}
