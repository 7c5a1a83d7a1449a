/**
 * Running a batch of tool calls (docs/protocol.md sections 6 and 12): the calls of one model
 * step, or the one call of a tool-call block.
 *
 * Each call, in order of checks:
 * 1. an unknown tool, unparsable arguments, or arguments that fail the tool's schema
 *    get an error result at once (the model sees it; nothing runs);
 * 2. a worker tool runs the worker (section 11);
 * 3. a built-in tool runs in the engine;
 * 4. an MCP tool runs on its server (mcp-servers.ts), bounded by `limits.stepTimeoutMs`;
 * 5. a tool with a host handler runs it, bounded by `limits.stepTimeoutMs`;
 * 6. anything else is a client tool: pending (the run pauses), or with
 *    `rejectClientToolCalls` the documented error result.
 * Server calls run in parallel; each emits `tool-output-available` or
 * `tool-output-error` when it settles (worker tools emit `worker-result` instead).
 *
 * OPEN (section 12, step 1): the engine runs server calls itself, inside the same leg, so
 * it does not emit `tool-request` / `finish{tool-calls}` for them; a leg ends only to
 * wait for client tools (`client-tool-request` / `finish{client-tool-calls}`).
 */
import type { JSONValue, ModelMessage } from 'ai';
import type { PendingToolCall, ToolResult } from './events.js';
import type { ToolHandler } from './execution-types.js';
import { runWorkerTool } from './nested-workers.js';
import type { BlockRun } from './run-context.js';
import type { ToolBinding } from './tool-bindings.js';

/** One call as the model (or a tool-call block) made it. */
export interface ToolCallRequest {
  toolCallId: string;
  toolName: string;
  /** The parsed arguments; checked against the tool's schema before anything runs. */
  args: unknown;
  /** Why the model's call could not be parsed (bad JSON, unknown tool), when it could not. */
  parseError?: string;
  /** For a worker tool: the worker id minted when its input started. */
  workerId?: string;
}

/** Where a batch comes from, copied into its pending calls (section 12, `PendingToolCall`). */
export type CallOrigin =
  | { source: 'llm'; thread: string }
  | { source: 'block'; blockIndex: number; outputVariable?: string; thread?: string };

/** What a batch left behind. */
export interface BatchOutcome {
  /** Results of the calls settled in the server (refused ones included), in call order. */
  results: ToolResult[];
  /** The client calls, in call order; the run pauses when there is any. */
  pending: PendingToolCall[];
}

/** The error result of a call without a handler under `rejectClientToolCalls` (section 6). */
export function noHandlerError(toolName: string): string {
  return `Tool "${toolName}" is not available. No handler is registered for this tool.`;
}

/**
 * Runs `calls` against the thread's `bindings` (see the module comment).
 * @throws RunCancelled or the run-timeout failure when the run stops meanwhile; the
 *   depth-limit failure of a worker tool.
 */
export async function runToolCalls(
  run: BlockRun,
  calls: readonly ToolCallRequest[],
  bindings: ReadonlyMap<string, ToolBinding>,
  origin: CallOrigin,
): Promise<BatchOutcome> {
  const settled = await Promise.all(calls.map((call) => settle(run, call, bindings, origin)));
  const results: ToolResult[] = [];
  const pending: PendingToolCall[] = [];
  for (const outcome of settled) {
    if (outcome.kind === 'result') results.push(outcome.result);
    else pending.push(outcome.call);
  }
  return { results, pending };
}

type Settled = { kind: 'result'; result: ToolResult } | { kind: 'pending'; call: PendingToolCall };

async function settle(run: BlockRun, call: ToolCallRequest, bindings: ReadonlyMap<string, ToolBinding>, origin: CallOrigin): Promise<Settled> {
  const binding = bindings.get(call.toolName);
  const answer = (result: ToolResult): Settled => {
    emitToolResult(run, result, binding?.display === 'hidden');
    return { kind: 'result', result };
  };
  const fail = (error: string): Settled => answer({ toolCallId: call.toolCallId, toolName: call.toolName, error });

  if (!binding) return fail(`Unknown tool "${call.toolName}". Available tools: ${[...bindings.keys()].join(', ') || 'none'}.`);
  if (call.parseError !== undefined) return fail(`Invalid arguments for tool "${call.toolName}": ${call.parseError}`);
  const checked = binding.validate(call.args ?? {});
  if (!checked.ok) return fail(`Invalid arguments for tool "${call.toolName}":\n${checked.message}`);
  const args = checked.value as Record<string, unknown>;
  const thread = origin.thread;

  switch (binding.runner.kind) {
    case 'worker':
      return { kind: 'result', result: await runWorkerTool(run, binding.runner.worker, { toolCallId: call.toolCallId, args, ...(call.workerId ? { workerId: call.workerId } : {}) }) };
    case 'engine':
      return answer(await invoke(run, binding.runner.handler, call, args, thread));
    case 'mcp': {
      const { server, tool } = binding.runner;
      return answer(await invoke(run, (mcpArgs, context) => run.exec.mcp.callTool(server, tool, mcpArgs, context), call, args, thread));
    }
    case 'host': {
      const handler = run.exec.handlerFor(call.toolName);
      if (handler) return answer(await invoke(run, handler, call, args, thread));
      if (run.exec.rejectClientToolCalls) return fail(noHandlerError(call.toolName));
      const pending: PendingToolCall = { toolCallId: call.toolCallId, toolName: call.toolName, args, source: origin.source };
      if (thread !== undefined) pending.thread = thread;
      if (origin.source === 'block') {
        pending.blockIndex = origin.blockIndex;
        if (origin.outputVariable !== undefined) pending.outputVariable = origin.outputVariable;
      }
      return { kind: 'pending', call: pending };
    }
  }
}

/**
 * Calls `handler`, bounded by the step time limit. A rejection, a result that is not
 * JSON, or the time limit becomes the call's error result.
 * @throws RunCancelled or the run-timeout failure when the whole run stops meanwhile.
 */
async function invoke(run: BlockRun, handler: ToolHandler, call: ToolCallRequest, args: Record<string, unknown>, thread: string | undefined): Promise<ToolResult> {
  const { clock } = run.exec;
  const signal = clock.stepSignal();
  const base = { toolCallId: call.toolCallId, toolName: call.toolName };
  let stop: (() => void) | undefined;
  const stopped = new Promise<'stopped'>((resolve) => {
    stop = () => resolve('stopped');
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
  const context = { toolCallId: call.toolCallId, toolName: call.toolName, signal, ...(thread !== undefined ? { thread } : {}) };
  // Never rejects, so that a handler failing after the time limit is not an unhandled rejection.
  const running = Promise.resolve()
    .then(() => handler(args, context))
    .then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
  try {
    const outcome = await Promise.race([running, stopped]);
    if (outcome === 'stopped') {
      clock.throwIfStopped();
      return { ...base, error: `Tool "${call.toolName}" did not answer within ${clock.stepTimeoutMs} ms (limits.stepTimeoutMs).` };
    }
    if ('error' in outcome) {
      clock.throwIfStopped();
      return { ...base, error: outcome.error instanceof Error ? outcome.error.message : String(outcome.error) };
    }
    const json = toJsonValue(outcome.value);
    return json.ok ? { ...base, result: json.value } : { ...base, error: `Tool "${call.toolName}" returned a value that is not JSON.` };
  } finally {
    if (stop) signal.removeEventListener('abort', stop);
  }
}

/** `tool-output-available` or `tool-output-error` for `result`, plus a `file-available` per file it carries. */
export function emitToolResult(run: BlockRun, result: ToolResult, hidden: boolean): void {
  if (result.error !== undefined) run.emit({ type: 'tool-output-error', toolCallId: result.toolCallId, error: result.error }, hidden);
  else run.emit({ type: 'tool-output-available', toolCallId: result.toolCallId, output: result.result ?? null }, hidden);
  for (const file of result.files ?? []) run.emit({ type: 'file-available', ...file, toolCallId: result.toolCallId }, hidden);
}

/** A value as JSON (`undefined` is `null`); not ok for values JSON cannot hold (BigInt, cycles). */
export function toJsonValue(value: unknown): { ok: true; value: JSONValue } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(JSON.stringify(value ?? null)) as JSONValue };
  } catch {
    return { ok: false };
  }
}

/**
 * The `tool` message that answers a step's calls, in call order. With the thread's
 * `maxToolOutputTokens` (section 7), a result longer than that many tokens (about 4
 * characters each) is shown to the model as its head and tail with a note.
 */
export function toolResultMessage(results: readonly ToolResult[], maxToolOutputTokens: number | undefined): ModelMessage {
  return {
    role: 'tool',
    content: results.map((result) => {
      const text = result.error ?? JSON.stringify(result.result ?? null);
      const limit = maxToolOutputTokens === undefined ? Infinity : maxToolOutputTokens * 4;
      const output =
        text.length > limit
          ? { type: 'text' as const, value: preview(text, limit) }
          : result.error !== undefined
            ? { type: 'error-text' as const, value: result.error }
            : { type: 'json' as const, value: (result.result ?? null) as JSONValue };
      return { type: 'tool-result' as const, toolCallId: result.toolCallId, toolName: result.toolName ?? '', output };
    }),
  };
}

function preview(text: string, limit: number): string {
  const half = Math.max(1, Math.floor(limit / 2));
  return `${text.slice(0, half)}\n\n[… ${text.length - 2 * half} characters left out: the result is longer than maxToolOutputTokens …]\n\n${text.slice(-half)}`;
}
