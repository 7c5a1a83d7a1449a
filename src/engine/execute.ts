/**
 * Executing a worker protocol (docs/protocol.md sections 7–14): input checks, steps in order
 * with checkpoints, pauses for client tools and their resumption, crash recovery, the
 * event stream, the output value. The contract with the host is execution-types.ts.
 *
 * The stream of one leg, as this engine emits it:
 *
 *   start{executionId}
 *   worker-start{workerId, workerSlug, models}         first leg only (no `state` given)
 *   (block-start … block-end)*                          one pair per step, from `state.nextStep`
 *   then one of
 *     worker-result{output?, usage} → finish{stop} → usage                     completed
 *     worker-result{error, usage} → error                                      failed
 *     worker-result{cancelled: true, usage} → finish{stop} → usage             cancelled
 *     client-tool-request{executionId, toolCalls, serverToolResults?}
 *       → finish{client-tool-calls, executionId}                               paused
 *
 * Legs after the first (issue 3): a leg resumed with tool results starts with `start`
 * and goes on inside the paused block (no second `block-start`; the client results'
 * `tool-output-*` come first). A leg resumed after a crash starts with `start`; a
 * block that calls out (`BLOCK_SPECS[kind].callsOut`) and was interrupted is retried
 * once, visibly: a second `block-start` with the same `blockId`, its text under new part
 * ids; interrupted a second time, the run fails (`execution_error`). An agentic turn
 * checkpointed between steps is continued, not restarted.
 *
 * A failing block gets no block-end. Errors thrown by the host (`emit`, `checkpoint`)
 * are not run failures: they propagate unchanged, so the host can tell a lost lease
 * from a failed step. Tool results that do not answer the paused batch reject with
 * `ToolResultsError` before any event.
 *
 * OPEN (section 13): `workerId` is set on the worker-* events only, not on every event
 * of a standalone run; nested workers' forwarded events carry theirs.
 */
import { BLOCK_SPECS, defaultBlockDisplay } from './blocks.js';
import type { BlockStartEvent, ResolvedModelInfo, StreamEvent, TokenUsage, UsageCost } from './events.js';
import { describeError, ExecutionFailure, RunCancelled } from './execution-errors.js';
import type { ExecuteWorkerOptions, ExecutionHost, ExecutionLimits, PendingBatch, RunState, RunTotals, WorkerOutcome } from './execution-types.js';
import { RunClock, resolveLimits } from './limits.js';
import { McpConnections } from './mcp-servers.js';
import { generateImageBlock } from './media-blocks.js';
import { resolveModel } from './model-resolution.js';
import { runWorkerBlock } from './nested-workers.js';
import { nextMessage } from './next-message.js';
import { BlockRun, Execution, HostChannel, type BlockOutcome, type Resumption } from './run-context.js';
import { prepareInput } from './run-input.js';
import { RunScope } from './run-scope.js';
import { setResource } from './set-resource.js';
import { addMessage, serializeThreadBlock, startThread } from './thread-blocks.js';
import { toolCallBlock } from './tool-call-block.js';
import { checkToolResults } from './tool-results.js';
import { traceBlock } from './tracing.js';
import type { Block, BlockKind, Protocol } from './types.js';
import { totalsOf, zeroUsage } from './usage.js';

export type * from './execution-types.js';

/** Block kinds this server executes; the others validate (with a warning) but fail at run start. */
export const EXECUTABLE_BLOCK_KINDS: readonly BlockKind[] = [
  'start-thread',
  'add-message',
  'next-message',
  'tool-call',
  'serialize-thread',
  'set-resource',
  'generate-image',
  'run-worker',
];

/** Times a block that calls out may be started before an interruption fails the run. */
const MAX_ATTEMPTS = 2;

/**
 * The `usage` event's cost of `fee` USD (the host's price of the run's tokens): all of it
 * is the provider's fee, and `byok` is true because the server's operator supplies the
 * provider keys. `fee` null (a model without a price) gives fees of 0 marked `unpriced`;
 * undefined (the host prices nothing) fees of 0.
 */
export function usageCost(fee: number | null | undefined): UsageCost {
  const cost: UsageCost = { currency: 'USD', bandwidthFee: 0, providerFee: fee ?? 0, totalFee: fee ?? 0, byok: true };
  return fee === null ? { ...cost, unpriced: true } : cost;
}

/** A fresh run's state: step 0, variables at their declared defaults, no threads. */
export function initialRunState(protocol: Protocol): RunState {
  const variables: Record<string, unknown> = {};
  for (const variable of protocol.variables) if (variable.default !== undefined) variables[variable.name] = variable.default;
  return { nextStep: 0, variables, threads: {}, usage: zeroUsage() };
}

/**
 * The events that end a cancelled execution (section 13: an aborted run ends with
 * `finish{stop}`; the worker reports `cancelled: true`; `usage` follows `finish`). Also
 * used by hosts that cancel an execution that is not running (queued or paused).
 */
export function cancellationEvents(options: { workerId: string; executionId: string; usage: TokenUsage; cost: UsageCost }): StreamEvent[] {
  return [
    { type: 'worker-result', workerId: options.workerId, cancelled: true, usage: options.usage },
    { type: 'finish', finishReason: 'stop', executionId: options.executionId },
    { type: 'usage', tokens: options.usage, cost: options.cost },
  ];
}

/**
 * Runs `protocol` (a valid worker, from `loadProtocolPackage`) for one leg: from the
 * start, from `options.state` after a crash, or from a paused `options.state` with
 * `options.toolResults`. Emits every event through `host.emit` (stream shape in the
 * module comment) and checkpoints through `host.checkpoint`.
 *
 * Resolves with the outcome; never rejects for a failing run (that is a `failed`
 * outcome with its `error` event).
 * @throws ToolResultsError when `toolResults` do not answer the paused batch exactly
 *   (before any event); any error thrown by the host itself.
 */
export async function executeWorker(protocol: Protocol, options: ExecuteWorkerOptions): Promise<WorkerOutcome> {
  const state: RunState = options.state ? structuredClone(options.state) : initialRunState(protocol);
  const results = checkToolResults(state, options.toolResults);
  const resumption: Resumption | undefined = state.pending ? { batch: state.pending, results } : undefined;
  const limits = resolveLimits(options.limits);
  const clock = new RunClock(options.host.signal, limits, state.activeMs ?? 0);
  const mcp = new McpConnections(protocol, options.host, clock);
  try {
    return await runLeg(protocol, options, state, resumption, new HostChannel(options.host), clock, limits, mcp);
  } finally {
    // Every way a leg ends (completed, failed, paused, cancelled) passes here.
    await mcp.close();
    clock.dispose();
  }
}

async function runLeg(
  protocol: Protocol,
  options: ExecuteWorkerOptions,
  state: RunState,
  resumption: Resumption | undefined,
  channel: HostChannel,
  clock: RunClock,
  limits: Required<ExecutionLimits>,
  mcp: McpConnections,
): Promise<WorkerOutcome> {
  const { host, executionId, workerId } = options;
  const emit = (event: StreamEvent): void => channel.emit(event, false);
  const totals = (): RunTotals => totalsOf(state);

  const cancel = (): WorkerOutcome => {
    for (const event of cancellationEvents({ workerId, executionId, usage: state.usage, cost: usageCost(host.costOf?.(state.models ?? {})) })) emit(event);
    return { status: 'cancelled', ...totals() };
  };
  const fail = async (error: unknown): Promise<WorkerOutcome> => {
    await channel.settle();
    channel.rethrowHostFailure();
    if (error instanceof RunCancelled || host.signal?.aborted) return cancel();
    const details = describeError(error);
    emit({ type: 'worker-result', workerId, error: details.message, usage: state.usage });
    emit({ type: 'error', ...details });
    return { status: 'failed', error: { errorType: details.errorType, message: details.message }, ...totals() };
  };

  emit({ type: 'start', executionId });
  let exec: Execution;
  try {
    if (!options.state) {
      const models = listModels(protocol, host, options.input);
      emit({
        type: 'worker-start',
        workerId,
        workerSlug: protocol.settings.slug,
        ...(protocol.settings.description ? { description: protocol.settings.description } : {}),
        models: models.resolved,
      });
      if (models.failure) throw models.failure.error;
    }
    checkExecutable(protocol, state.nextStep);
    const scope = new RunScope(protocol, prepareInput(protocol, options.input), state);
    exec = new Execution(protocol, state, scope, options, channel, clock, limits, executeWorker, mcp);
  } catch (error) {
    return fail(error);
  }

  for (let index = state.nextStep; index < protocol.steps.length; index++) {
    const block = protocol.steps[index]!;
    const resume = resumption?.batch.blockIndex === index ? resumption : undefined;
    let outcome: BlockOutcome;
    try {
      clock.throwIfStopped();
      const attempt = countAttempt(state, block, resume !== undefined);
      const run = new BlockRun(exec, block, attempt);
      outcome = await traceBlock(run, attempt, async () => {
        if (!resume) {
          run.emit(blockStartEvent(block, run.blockId));
          // Stored with its block-start, before the block calls out: an interruption from
          // here on is noticed on resume, and the interrupted attempt stays visible.
          if (BLOCK_SPECS[block.kind].callsOut) await exec.checkpoint();
        }
        const result = await runBlock(run, block, resume);
        if (result.status === 'done') run.emit({ type: 'block-end', blockId: run.blockId });
        return result;
      });
    } catch (error) {
      return fail(error);
    }
    if (outcome.status === 'paused') return pause(exec, outcome.batch);
    delete state.attempt;
    state.nextStep = index + 1;
    // Not waited for here: the next block that calls out, or the end below, waits for it.
    exec.deferCheckpoint();
  }

  await channel.settle();
  channel.rethrowHostFailure();
  const hasOutput = protocol.output !== undefined;
  const output = hasOutput ? outputValue(protocol, state) : undefined;
  emit({ type: 'worker-result', workerId, ...(hasOutput ? { output } : {}), usage: state.usage });
  emit({ type: 'finish', finishReason: 'stop', executionId });
  emit({ type: 'usage', tokens: state.usage, cost: usageCost(host.costOf?.(state.models ?? {})) });
  return { status: 'completed', ...(hasOutput ? { output } : {}), ...totals() };
}

/**
 * Counts a start of `block` in `state.attempt` (issue 3, "Durable execution"). A block
 * that calls out is checkpointed with its attempt number as it starts; finding that
 * number on resume means the block was interrupted. A block continued after a pause
 * starts a fresh count.
 * @returns the attempt number (1, or 2 for the retry)
 * @throws ExecutionFailure when the block was already interrupted `MAX_ATTEMPTS` times.
 */
function countAttempt(state: RunState, block: Block, resumingPause: boolean): number {
  if (!resumingPause && !BLOCK_SPECS[block.kind].callsOut) return 1;
  const previous = !resumingPause && state.attempt?.step === block.index ? state.attempt.count : 0;
  if (previous >= MAX_ATTEMPTS) {
    throw new ExecutionFailure('execution_error', `Step "${block.name}" was interrupted ${previous} times (the server stopped while it ran); it is not tried again.`);
  }
  state.attempt = { step: block.index, count: previous + 1 };
  return previous + 1;
}

/** Section 12, step 3: announces the client calls, ends the leg, checkpoints the pause. */
async function pause(exec: Execution, batch: PendingBatch): Promise<WorkerOutcome> {
  const { state, executionId } = exec;
  state.pending = batch;
  // Never hidden: whoever answers the calls must see them, whatever the tool's display.
  exec.emit(
    { type: 'client-tool-request', executionId, toolCalls: batch.calls, ...(batch.serverResults.length > 0 ? { serverToolResults: batch.serverResults } : {}) },
    false,
  );
  exec.emit({ type: 'finish', finishReason: 'client-tool-calls', executionId }, false);
  await exec.checkpoint();
  return { status: 'paused', pendingToolCalls: batch.calls, ...totalsOf(state) };
}

/** Section 10: the output variable's value; a variable never set gives null (OPEN; its default is already in place). */
function outputValue(protocol: Protocol, state: RunState): unknown {
  const name = protocol.output!;
  return Object.hasOwn(state.variables, name) ? state.variables[name] : null;
}

function runBlock(run: BlockRun, block: Block, resume: Resumption | undefined): BlockOutcome | Promise<BlockOutcome> {
  switch (block.kind) {
    case 'start-thread':
      return startThread(run, block);
    case 'add-message':
      return addMessage(run, block);
    case 'next-message':
      return nextMessage(run, block, resume);
    case 'tool-call':
      return toolCallBlock(run, block, resume);
    case 'serialize-thread':
      return serializeThreadBlock(run, block);
    case 'set-resource':
      return setResource(run, block);
    case 'generate-image':
      return generateImageBlock(run, block);
    case 'run-worker':
      return runWorkerBlock(run, block);
    case 'generate-speech':
    case 'transcribe-audio':
      throw new ExecutionFailure('unsupported_error', `Block kind \`${block.kind}\` is not supported by this server.`);
  }
}

/** Fails before any step when a step still to run has a kind this server cannot execute. */
function checkExecutable(protocol: Protocol, from: number): void {
  const unsupported = protocol.steps.slice(from).filter((block) => !EXECUTABLE_BLOCK_KINDS.includes(block.kind));
  if (unsupported.length === 0) return;
  const list = unsupported.map((block) => `"${block.name}" (${block.kind})`).join(', ');
  throw new ExecutionFailure('unsupported_error', `This server cannot execute these steps: ${list}. Supported blocks: ${EXECUTABLE_BLOCK_KINDS.join(', ')}.`);
}

/** The `block-start` of `block`, with its display default (section 7). */
export function blockStartEvent(block: Block, blockId: string): BlockStartEvent {
  const event: BlockStartEvent = {
    type: 'block-start',
    blockId,
    blockName: block.name,
    blockType: block.kind,
    display: block.display ?? defaultBlockDisplay(block.kind),
  };
  if (block.description !== undefined) event.description = block.description;
  if (block.kind === 'next-message') event.outputToChat = !block.independent;
  if ('thread' in block && block.thread !== undefined) event.thread = block.thread;
  return event;
}

/**
 * The models of `worker-start` (docs/architecture.md: which model really answers is never
 * silent): every distinct start-thread `model`/`backupModel` written literally, plus
 * those that name an input the caller supplied, in step order. Stops at the first id
 * the host cannot resolve and returns it as `failure`.
 */
function listModels(
  protocol: Protocol,
  host: ExecutionHost,
  input: Record<string, unknown>,
): { resolved: ResolvedModelInfo[]; failure?: { error: unknown } } {
  const inputs = new Set(protocol.input.map((declaration) => declaration.name));
  const ids: string[] = [];
  for (const block of protocol.steps) {
    if (block.kind !== 'start-thread') continue;
    for (const source of [block.model, block.backupModel]) {
      if (!source) continue;
      const supplied = source.kind === 'reference' && inputs.has(source.name) ? input[source.name] : undefined;
      const id = source.kind === 'literal' ? source.value : supplied;
      if (typeof id === 'string' && !ids.includes(id)) ids.push(id);
    }
  }
  const resolved: ResolvedModelInfo[] = [];
  for (const requested of ids) {
    try {
      const model = resolveModel(host, requested);
      resolved.push({ requested, provider: model.provider, modelId: model.modelId, offline: model.offline });
    } catch (error) {
      return { resolved, failure: { error } };
    }
  }
  return { resolved };
}
