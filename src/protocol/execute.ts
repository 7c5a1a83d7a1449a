/**
 * Executing a worker protocol (PROTOCOL.md sections 7–10, 13 and 14): input checks,
 * steps in order with a checkpoint after each, the event stream, the output value.
 *
 * The stream of one run, as this engine emits it:
 *
 *   start{executionId} → worker-start{workerId, workerSlug, models}
 *   (block-start … block-end)*          one pair per step, from `state.nextStep`
 *   then one of
 *     worker-result{output?} → finish{stop} → usage               completed
 *     worker-result{error} → error                                failed
 *     worker-result{cancelled: true} → finish{stop} → usage       cancelled
 *
 * A failing block gets no block-end. Errors thrown by the host (`emit`, `checkpoint`)
 * are not run failures: they propagate unchanged, so the host can tell a lost lease
 * from a failed step.
 *
 * OPEN (section 13): `workerId` is set on the worker-* events only, not on every event
 * of a standalone run.
 */
import { defaultBlockDisplay } from './blocks.js';
import type { BlockStartEvent, ResolvedModelInfo, StreamEvent, TokenUsage, UsageCost } from './events.js';
import { describeError, ExecutionFailure, RunCancelled } from './execution-errors.js';
import type { ExecutionHost, RunState, WorkerOutcome } from './execution-types.js';
import { prepareInput } from './run-input.js';
import { RunScope } from './run-scope.js';
import { addMessage, nextMessage, resolveModel, serializeThreadBlock, startThread, type BlockRun } from './thread-blocks.js';
import type { Block, BlockKind, Protocol } from './types.js';

export type { ExecutionHost, ResolvedModel, RunState, ThreadSettings, ThreadState, WorkerOutcome } from './execution-types.js';

/** Options of `executeWorker`. */
export interface ExecuteWorkerOptions {
  /** The caller's input, checked per section 4 before any step. */
  input: Record<string, unknown>;
  host: ExecutionHost;
  /** Identifies this execution in `start` and `finish`. */
  executionId: string;
  /** Identifies this worker invocation in `worker-start` and `worker-result`. */
  workerId: string;
  /** A checkpoint to resume from: steps before `state.nextStep` are not run again. */
  state?: RunState;
}

/** Block kinds this milestone executes; the others validate but fail at run start. */
export const EXECUTABLE_BLOCK_KINDS: readonly BlockKind[] = ['start-thread', 'add-message', 'next-message', 'serialize-thread'];

/**
 * We have no price table: fees are reported as 0, and `byok` is true because the
 * server's operator supplies the provider keys.
 */
const NO_COST: UsageCost = { currency: 'USD', bandwidthFee: 0, providerFee: 0, totalFee: 0, byok: true };

/** A fresh run's state: step 0, variables at their declared defaults, no threads. */
export function initialRunState(protocol: Protocol): RunState {
  const variables: Record<string, unknown> = {};
  for (const variable of protocol.variables) if (variable.default !== undefined) variables[variable.name] = variable.default;
  return { nextStep: 0, variables, threads: {}, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } };
}

/**
 * The events that end a cancelled execution (section 13: an aborted run ends with
 * `finish{stop}`; the worker reports `cancelled: true`; `usage` follows `finish`). Also
 * used by hosts that cancel an execution that is not running (queued or paused).
 */
export function cancellationEvents(options: { workerId: string; executionId: string; usage: TokenUsage }): StreamEvent[] {
  return [
    { type: 'worker-result', workerId: options.workerId, cancelled: true },
    { type: 'finish', finishReason: 'stop', executionId: options.executionId },
    { type: 'usage', tokens: options.usage, cost: NO_COST },
  ];
}

/**
 * Runs `protocol` (a valid worker, from `loadProtocolPackage`) to its end, or resumes
 * it from `options.state`. Emits every event through `host.emit` (stream shape in the
 * module comment) and checkpoints after each block.
 *
 * Resolves with the outcome; never rejects for a failing run (that is a `failed`
 * outcome with its `error` event). Rejects only with errors thrown by the host itself.
 */
export async function executeWorker(protocol: Protocol, options: ExecuteWorkerOptions): Promise<WorkerOutcome> {
  const { host, executionId, workerId } = options;
  const state: RunState = options.state ? structuredClone(options.state) : initialRunState(protocol);
  let hostFailure: { error: unknown } | undefined;
  const emit = (event: StreamEvent): void => {
    try {
      host.emit(event);
    } catch (error) {
      hostFailure ??= { error };
      throw error;
    }
  };

  const fail = (error: unknown): WorkerOutcome => {
    if (hostFailure) throw hostFailure.error;
    if (error instanceof RunCancelled || host.signal?.aborted) return cancel();
    const details = describeError(error);
    emit({ type: 'worker-result', workerId, error: details.message });
    emit({ type: 'error', ...details });
    return { status: 'failed', error: { errorType: details.errorType, message: details.message }, usage: state.usage };
  };
  const cancel = (): WorkerOutcome => {
    for (const event of cancellationEvents({ workerId, executionId, usage: state.usage })) emit(event);
    return { status: 'cancelled', usage: state.usage };
  };

  emit({ type: 'start', executionId });
  const models = listModels(protocol, host, options.input);
  emit({
    type: 'worker-start',
    workerId,
    workerSlug: protocol.settings.slug,
    ...(protocol.settings.description ? { description: protocol.settings.description } : {}),
    models: models.resolved,
  });

  let scope: RunScope;
  try {
    if (models.failure) throw models.failure.error;
    checkExecutable(protocol, state.nextStep);
    scope = new RunScope(protocol, prepareInput(protocol, options.input), state);
  } catch (error) {
    return fail(error);
  }

  for (let index = state.nextStep; index < protocol.steps.length; index++) {
    if (host.signal?.aborted) return cancel();
    const block = protocol.steps[index]!;
    const blockId = `${executionId}:${index}`;
    try {
      emit(blockStartEvent(block, blockId));
      await runBlock({ protocol, state, scope, host, emit, blockId }, block);
      emit({ type: 'block-end', blockId });
    } catch (error) {
      return fail(error);
    }
    state.nextStep = index + 1;
    await host.checkpoint(structuredClone(state));
  }

  const hasOutput = protocol.output !== undefined;
  const output = hasOutput ? outputValue(protocol, state) : undefined;
  emit({ type: 'worker-result', workerId, ...(hasOutput ? { output } : {}) });
  emit({ type: 'finish', finishReason: 'stop', executionId });
  emit({ type: 'usage', tokens: state.usage, cost: NO_COST });
  return { status: 'completed', ...(hasOutput ? { output } : {}), usage: state.usage };
}

/** Section 10: the output variable's value; a variable never set gives null (OPEN; its default is already in place). */
function outputValue(protocol: Protocol, state: RunState): unknown {
  const name = protocol.output!;
  return Object.hasOwn(state.variables, name) ? state.variables[name] : null;
}

async function runBlock(run: BlockRun, block: Block): Promise<void> {
  switch (block.kind) {
    case 'start-thread':
      return startThread(run, block);
    case 'add-message':
      return addMessage(run, block);
    case 'next-message':
      return nextMessage(run, block);
    case 'serialize-thread':
      return serializeThreadBlock(run, block);
    default:
      throw new ExecutionFailure('unsupported_error', `Block kind \`${block.kind}\` is not supported yet.`);
  }
}

/** Fails before any step when a step still to run has a kind this milestone cannot execute. */
function checkExecutable(protocol: Protocol, from: number): void {
  const unsupported = protocol.steps.slice(from).filter((block) => !EXECUTABLE_BLOCK_KINDS.includes(block.kind));
  if (unsupported.length === 0) return;
  const list = unsupported.map((block) => `"${block.name}" (${block.kind})`).join(', ');
  throw new ExecutionFailure('unsupported_error', `This server cannot execute these steps yet: ${list}. Supported blocks: ${EXECUTABLE_BLOCK_KINDS.join(', ')}.`);
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
 * The models of `worker-start` (DESIGN.md: which model really answers is never
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
