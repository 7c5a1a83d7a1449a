/**
 * What the blocks of one leg share: the protocol, the state they change, the names they
 * read, the host and its events, the limits and the clock (`Execution`); and, per block,
 * its id, its display and its attempt (`BlockRun`).
 */
import { defaultBlockDisplay } from './blocks.js';
import type { StreamEvent, ToolResult } from './events.js';
import { ExecutionFailure } from './execution-errors.js';
import type {
  ExecuteWorkerOptions,
  ExecutionHost,
  ExecutionLimits,
  PendingBatch,
  RunState,
  ThreadState,
  ToolHandler,
  WorkerOutcome,
} from './execution-types.js';
import type { RunClock } from './limits.js';
import type { McpConnections } from './mcp-servers.js';
import type { RunScope } from './run-scope.js';
import type { Block, Protocol } from './types.js';

/**
 * The engine's calls into the host that may fail for the host's own reasons (a lost
 * lease, a database error): `emit` and `checkpoint`. Such an error is remembered, so
 * that the run can tell it from a failing step and let it propagate unchanged.
 *
 * A checkpoint is either waited for (`checkpoint`: before the run calls out, pauses or
 * goes on from inside a block) or handed over and left to complete (`defer`: after a
 * block; the run goes on to the next block at once). Every deferred checkpoint is waited
 * for by the next waited one and before the leg ends, so nothing leaves the engine — a
 * model or tool call, a pause, the run's outcome — before the host has stored every
 * state that came before it, and a host error of a deferred checkpoint still propagates.
 * A host may store checkpoints that arrive while it is still writing an earlier one in
 * one write (the later state supersedes), e.g. the states after several blocks that do
 * not call out.
 */
export class HostChannel {
  #failure: { error: unknown } | undefined;
  /** Deferred checkpoints not waited for yet. */
  #deferred: Array<Promise<void>> = [];

  constructor(private readonly host: ExecutionHost) {}

  emit(event: StreamEvent, hidden: boolean): void {
    try {
      this.host.emit(event, { hidden });
    } catch (error) {
      this.#failure ??= { error };
      throw error;
    }
  }

  /** Hands a copy of `state` to the host and waits until it and every deferred checkpoint are stored. */
  async checkpoint(state: RunState): Promise<void> {
    this.defer(state);
    await this.settle();
    this.rethrowHostFailure();
  }

  /** Hands a copy of `state` to the host without waiting; a failure is remembered (see `settle`). */
  defer(state: RunState): void {
    let stored: Promise<void>;
    try {
      stored = this.host.checkpoint(structuredClone(state));
    } catch (error) {
      this.#failure ??= { error };
      throw error;
    }
    this.#deferred.push(
      stored.catch((error: unknown) => {
        this.#failure ??= { error };
      }),
    );
  }

  /** Waits for every deferred checkpoint; never rejects (a failure is remembered for `rethrowHostFailure`). */
  async settle(): Promise<void> {
    while (this.#deferred.length > 0) {
      const pending = this.#deferred;
      this.#deferred = [];
      await Promise.all(pending);
    }
  }

  /** Throws the host's own error if `emit` or `checkpoint` ever failed. */
  rethrowHostFailure(): void {
    if (this.#failure) throw this.#failure.error;
  }
}

/** `executeWorker`, handed to the blocks that run nested workers. */
export type ExecuteFunction = (protocol: Protocol, options: ExecuteWorkerOptions) => Promise<WorkerOutcome>;

/** One leg of an execution, shared by its blocks. */
export class Execution {
  constructor(
    readonly protocol: Protocol,
    readonly state: RunState,
    readonly scope: RunScope,
    readonly options: ExecuteWorkerOptions,
    readonly channel: HostChannel,
    readonly clock: RunClock,
    readonly limits: Required<ExecutionLimits>,
    /** Runs a nested worker's protocol (section 11). */
    readonly executeNested: ExecuteFunction,
    /** This leg's MCP server connections, closed when the leg ends. */
    readonly mcp: McpConnections,
  ) {}

  get host(): ExecutionHost {
    return this.options.host;
  }

  get executionId(): string {
    return this.options.executionId;
  }

  /** Nesting depth: 0 for a standalone run. */
  get depth(): number {
    return this.options.depth ?? 0;
  }

  /** Section 6: whether a call without a handler is an error result rather than a pause. */
  get rejectClientToolCalls(): boolean {
    return this.options.rejectClientToolCalls ?? false;
  }

  emit(event: StreamEvent, hidden: boolean): void {
    this.channel.emit(event, hidden);
  }

  /** Hands a copy of the state to the host, with the active time so far, and waits until it is stored (see `HostChannel`). */
  async checkpoint(): Promise<void> {
    this.state.activeMs = this.clock.activeMs;
    await this.channel.checkpoint(this.state);
  }

  /** Hands a copy of the state to the host, with the active time so far, without waiting (see `HostChannel`). */
  deferCheckpoint(): void {
    this.state.activeMs = this.clock.activeMs;
    this.channel.defer(this.state);
  }

  /** The host's server-side handler for `toolName`, if any. */
  handlerFor(toolName: string): ToolHandler | undefined {
    return this.host.toolHandler?.(toolName);
  }

  /**
   * The started thread `name`.
   * @throws ExecutionFailure when no start-thread created it (validation prevents this).
   */
  thread(name: string): ThreadState {
    const thread = this.state.threads[name];
    if (!thread) throw new ExecutionFailure('execution_error', `Thread "${name}" has not been started.`);
    return thread;
  }

  /**
   * Counts one model step that ended in tool calls.
   * @throws ExecutionFailure when the run's `limits.maxToolSteps` is used up.
   */
  countToolStep(): void {
    const steps = (this.state.toolSteps ?? 0) + 1;
    if (steps > this.limits.maxToolSteps) {
      throw new ExecutionFailure('execution_error', `The run reached its limit of ${this.limits.maxToolSteps} tool steps (limits.maxToolSteps).`);
    }
    this.state.toolSteps = steps;
  }
}

/** Client results for the batch a block paused on, handed back to that block. */
export interface Resumption {
  batch: PendingBatch;
  /** In the batch's call order (checked by `checkToolResults`). */
  results: ToolResult[];
}

/** A block's answer: done, or paused waiting for client tools. */
export type BlockOutcome = { status: 'done' } | { status: 'paused'; batch: PendingBatch };

/** One block being run (or continued after a pause) in a leg. */
export class BlockRun {
  /** `<executionId>:<step index>`; the same for every attempt and leg of the block. */
  readonly blockId: string;
  /** Whether the block's display is `hidden`: all its events are then hidden. */
  readonly hidden: boolean;
  readonly #partPrefix: string;

  constructor(
    readonly exec: Execution,
    readonly block: Block,
    /** 1 for the first attempt; 2 when the block is retried after an interruption. */
    attempt: number,
  ) {
    this.blockId = `${exec.executionId}:${block.index}`;
    this.hidden = (block.display ?? defaultBlockDisplay(block.kind)) === 'hidden';
    this.#partPrefix = attempt > 1 ? `${this.blockId}.${attempt}` : this.blockId;
  }

  /**
   * The id of the `n`th text, reasoning or file part (or tool call) of this block. A retried block
   * gets new ids (`<blockId>.2:text-1`), so that a client does not append the retry to
   * the interrupted attempt's text.
   */
  partId(kind: 'text' | 'reasoning' | 'file' | 'call', n: number): string {
    return `${this.#partPrefix}:${kind}-${n}`;
  }

  /** Emits an event of this block; hidden when the block is, or when `hidden` says so. */
  emit(event: StreamEvent, hidden = false): void {
    this.exec.emit(event, this.hidden || hidden);
  }
}
