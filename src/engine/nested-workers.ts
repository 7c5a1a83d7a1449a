/**
 * Workers calling workers (docs/protocol.md section 11): the run-worker block, workers offered
 * to a model as tools, tool mapping, display modes and the depth limit.
 *
 * The host creates the child run (`startWorker`); the engine runs the child protocol with
 * the child's host, in this process, and forwards the child's events to this run's
 * stream per the declaration's display (default `stream`):
 * - `hidden`: nothing;
 * - `name`, `description`, `title`: the child's `worker-start` (no input; `description`
 *   is the declaration's description, or its title for `title`, none for `name`) and its
 *   `worker-result`;
 * - `stream`: every event that can carry `workerId` (text, reasoning, tools, blocks,
 *   files, todo, nested workers…), tagged with the child's `workerId` unless it already
 *   names a deeper worker; `worker-start` carries the input. Not forwarded: the child's
 *   `start`, `finish`, `usage` and `error` (its leg's lifecycle: the failure is in
 *   `worker-result.error`), `resource-update` and `client-tool-request`.
 *
 * Tool mapping: a child's call of tool `t` runs the parent's handler of the tool the
 * declaration maps `t` to; an unmapped tool uses the child host's own handler. A nested
 * worker never pauses: a call with no handler on either side gets the "not available"
 * error result (`rejectClientToolCalls`), since the parent's client cannot answer
 * inside a child run. OPEN (ours): a child's failure fails the parent's run-worker step
 * (with the child's error type); for a worker tool it is the call's error result.
 */
import { randomUUID } from 'node:crypto';
import type { JSONSchema7 } from 'ai';
import type { DisplayMode, StreamEvent, StreamEventType, ToolResult } from './events.js';
import { ExecutionFailure } from './execution-errors.js';
import type { ChildWorker, EventMeta, ExecutionHost, WorkerOutcome } from './execution-types.js';
import type { BlockOutcome, BlockRun, Execution } from './run-context.js';
import { toolBinding, type ToolBinding } from './tool-bindings.js';
import { inputsJsonSchema } from './type-schemas.js';
import type { BlockOf, WorkerDeclaration } from './types.js';

/** Events a `stream` display forwards: those that can carry `workerId` (section 13). */
const FORWARDED: ReadonlySet<StreamEventType> = new Set<StreamEventType>([
  'text-start',
  'text-delta',
  'text-end',
  'reasoning-start',
  'reasoning-delta',
  'reasoning-end',
  'tool-input-start',
  'tool-input-delta',
  'tool-input-end',
  'tool-input-available',
  'tool-output-available',
  'tool-output-error',
  'source',
  'todo-update',
  'block-start',
  'block-end',
  'tool-request',
  'file-available',
  'worker-start',
  'worker-result',
  'worker-input-start',
  'worker-input-delta',
  'worker-input-ready',
]);

/** What starting a nested worker needs besides its declaration. */
export interface NestedWorkerCall {
  input: Record<string, unknown>;
  /** Minted already when the model streamed the input of a worker tool. */
  workerId?: string;
  /** Set when the parent's model called the worker as a tool. */
  toolCallId?: string;
}

/** The declaration's display (section 11: default `stream`). */
export function workerDisplay(declaration: WorkerDeclaration): DisplayMode {
  return declaration.display ?? 'stream';
}

/**
 * Runs `declaration`'s worker to its end as a child of this run (see the module
 * comment), then reports its outcome to the host (`ChildWorker.finish`).
 * @throws ExecutionFailure `execution_error` beyond `limits.maxDepth`,
 *   `unsupported_error` when the host cannot start workers; RunCancelled or the
 *   run-timeout failure when this run stops meanwhile.
 */
export async function runNestedWorker(run: BlockRun, declaration: WorkerDeclaration, call: NestedWorkerCall): Promise<WorkerOutcome> {
  const { exec } = run;
  const depth = exec.depth + 1;
  if (depth > exec.limits.maxDepth) {
    throw new ExecutionFailure(
      'execution_error',
      `Worker "${declaration.slug}" would run at nesting depth ${depth}, beyond the limit of ${exec.limits.maxDepth} (limits.maxDepth).`,
    );
  }
  if (!exec.host.startWorker) throw new ExecutionFailure('unsupported_error', `This server cannot start nested workers (worker "${declaration.slug}").`);
  const display = workerDisplay(declaration);
  const workerId = call.workerId ?? randomUUID();
  const child = await exec.host.startWorker({
    slug: declaration.slug,
    workerId,
    input: call.input,
    display,
    depth,
    ...(declaration.description !== undefined ? { description: declaration.description } : {}),
    ...(call.toolCallId !== undefined ? { toolCallId: call.toolCallId } : {}),
  });
  const forward = forwarder(run, declaration, child, workerId, call.input);
  const outcome = await exec.executeNested(child.protocol, {
    input: call.input,
    host: childHost(exec, declaration, child, forward),
    executionId: child.executionId,
    workerId,
    rejectClientToolCalls: true,
    depth,
    ...(exec.options.limits ? { limits: exec.options.limits } : {}),
  });
  await child.finish(outcome);
  exec.clock.throwIfStopped();
  return outcome;
}

/**
 * The child's host as the child sees it: the host's own, with events also forwarded to
 * the parent, the parent's handlers for mapped tools, and the parent's cancellation.
 */
function childHost(exec: Execution, declaration: WorkerDeclaration, child: ChildWorker, forward: (event: StreamEvent, meta: EventMeta) => void): ExecutionHost {
  const own = child.host;
  const mapping = new Map(declaration.tools.map((entry) => [entry.workerTool, entry.parentTool]));
  const host: ExecutionHost = {
    resolveModel: (id) => own.resolveModel(id),
    emit: (event, meta) => {
      own.emit(event, meta);
      forward(event, meta);
    },
    checkpoint: (state) => own.checkpoint(state),
    signal: own.signal ? AbortSignal.any([exec.clock.signal, own.signal]) : exec.clock.signal,
    toolHandler: (name) => {
      const parentTool = mapping.get(name);
      return parentTool === undefined ? own.toolHandler?.(name) : exec.handlerFor(parentTool);
    },
  };
  const maxRetries = own.maxRetries ?? exec.host.maxRetries;
  if (maxRetries !== undefined) host.maxRetries = maxRetries;
  if (own.resolveImageModel) host.resolveImageModel = (id) => own.resolveImageModel!(id);
  if (own.startWorker) host.startWorker = (request) => own.startWorker!(request);
  if (own.workerProtocol) host.workerProtocol = (slug) => own.workerProtocol!(slug);
  // Section 11: a worker resolves its own MCP servers (its own connections, closed when it ends).
  if (own.connectMcpServer) host.connectMcpServer = (server, signal) => own.connectMcpServer!(server, signal);
  return host;
}

/** Forwards the child's events to this run per the declaration's display (module comment). */
function forwarder(run: BlockRun, declaration: WorkerDeclaration, child: ChildWorker, workerId: string, input: Record<string, unknown>) {
  const display = workerDisplay(declaration);
  const description =
    display === 'name' ? undefined : display === 'title' ? (declaration.title ?? declaration.description) : (declaration.description ?? child.protocol.settings.description);
  return (event: StreamEvent, meta: EventMeta): void => {
    if (display === 'hidden') return;
    if (event.type === 'worker-start' && event.workerId === workerId) {
      const { workerSlug, models } = event;
      run.emit(
        { type: 'worker-start', workerId, workerSlug, ...(description !== undefined ? { description } : {}), ...(display === 'stream' ? { input } : {}), models },
        meta.hidden,
      );
    } else if (event.type === 'worker-result' && event.workerId === workerId) {
      run.emit(event, meta.hidden);
    } else if (display === 'stream' && FORWARDED.has(event.type)) {
      const origin = 'workerId' in event && typeof event.workerId === 'string' ? event.workerId : workerId;
      run.emit({ ...event, workerId: origin } as StreamEvent, meta.hidden);
    }
  };
}

/**
 * run-worker (section 11): maps the input (label = the worker's input name, source =
 * this protocol's name; sources without a value are left out, so the child applies its
 * defaults), runs the worker, stores its output.
 * @throws ExecutionFailure when the worker fails (its error type) or is cancelled on its own.
 */
export async function runWorkerBlock(run: BlockRun, block: BlockOf<'run-worker'>): Promise<BlockOutcome> {
  const { exec } = run;
  const declaration = exec.protocol.workers.find((worker) => worker.slug === block.worker);
  if (!declaration) throw new ExecutionFailure('execution_error', `Worker "${block.worker}" is not declared.`);
  const input: Record<string, unknown> = {};
  for (const entry of block.input) {
    const value = exec.scope.lookup(entry.source);
    if (value.state === 'set') input[entry.label] = value.value;
  }
  const outcome = await runNestedWorker(run, declaration, { input });
  switch (outcome.status) {
    case 'completed':
      if (block.output !== undefined) exec.state.variables[block.output] = outcome.output ?? null;
      return { status: 'done' };
    case 'failed':
      throw new ExecutionFailure(outcome.error.errorType, `Worker "${block.worker}" failed: ${outcome.error.message}`);
    default:
      throw new ExecutionFailure('execution_error', `Worker "${block.worker}" ended without a result (${outcome.status}).`);
  }
}

/**
 * A model's call of a worker offered as a tool (section 11): the arguments are the
 * worker's input, the result its output (null without one); a failed or cancelled
 * worker is the call's error result. No tool-output event: the forwarded
 * `worker-result` reports the end.
 * @throws the depth-limit failure, and RunCancelled or the run-timeout failure.
 */
export async function runWorkerTool(
  run: BlockRun,
  declaration: WorkerDeclaration,
  call: { toolCallId: string; args: Record<string, unknown>; workerId?: string },
): Promise<ToolResult> {
  const base = { toolCallId: call.toolCallId, toolName: declaration.slug };
  const outcome = await runNestedWorker(run, declaration, { input: call.args, toolCallId: call.toolCallId, ...(call.workerId ? { workerId: call.workerId } : {}) });
  switch (outcome.status) {
    case 'completed':
      return { ...base, result: outcome.output ?? null };
    case 'failed':
      return { ...base, error: `Worker "${declaration.slug}" failed: ${outcome.error.message}` };
    default:
      return { ...base, error: `Worker "${declaration.slug}" ended without a result (${outcome.status}).` };
  }
}

/**
 * A worker offered to a model as a tool: its `input:` as parameters (from
 * `host.workerProtocol`; any object when the host cannot tell), the declaration's
 * description (or the worker's own) as the tool's description.
 */
export async function workerToolBinding(exec: Execution, declaration: WorkerDeclaration): Promise<ToolBinding> {
  const protocol = exec.host.workerProtocol ? await exec.host.workerProtocol(declaration.slug).catch(() => undefined) : undefined;
  const schema: JSONSchema7 = protocol ? inputsJsonSchema(protocol.input, protocol.types) : { type: 'object', additionalProperties: true };
  return toolBinding({
    name: declaration.slug,
    description: declaration.description ?? protocol?.settings.description ?? `Runs the worker "${declaration.slug}" and returns its output.`,
    schema,
    display: workerDisplay(declaration),
    ...(declaration.title !== undefined ? { title: declaration.title } : {}),
    runner: { kind: 'worker', worker: declaration },
  });
}
