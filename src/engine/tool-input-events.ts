/**
 * The events that show a tool call's arguments (docs/protocol.md sections 11 and 13):
 *
 * - a declared or built-in tool: `tool-input-start{display, title?}` →
 *   `tool-input-delta`… → `tool-input-end` → `tool-input-available{input}`, hidden when
 *   the tool's display is `hidden`;
 * - a worker offered as a tool with `display: stream`: `worker-input-start` →
 *   `worker-input-delta`… → `worker-input-ready{input}` (the worker's events follow);
 *   with any other display nothing (the forwarded `worker-start` says enough).
 *
 * When a provider hands over a call whole instead of streaming its arguments, the
 * missing start, delta and end are emitted with the call, so every call has the same
 * sequence. A tool-call block's call goes through `available` alone.
 */
import { randomUUID } from 'node:crypto';
import type { BlockRun } from './run-context.js';
import type { ToolBinding } from './tool-bindings.js';

interface OpenCall {
  binding: ToolBinding | undefined;
  /** Minted for a worker tool: the id its worker-* events and its child run carry. */
  workerId?: string;
  streamedInput: boolean;
  ended: boolean;
}

/** Writes the argument events of the calls of one model step or one tool-call block. */
export class ToolInputEvents {
  readonly #calls = new Map<string, OpenCall>();

  constructor(
    private readonly run: BlockRun,
    private readonly bindings: ReadonlyMap<string, ToolBinding>,
  ) {}

  /** The model starts call `toolCallId` of `toolName`. */
  start(toolCallId: string, toolName: string): void {
    const binding = this.bindings.get(toolName);
    const call: OpenCall = { binding, streamedInput: false, ended: false };
    this.#calls.set(toolCallId, call);
    if (binding?.runner.kind === 'worker') {
      call.workerId = randomUUID();
      if (binding.display === 'stream') {
        const { description } = binding.runner.worker;
        this.run.emit({ type: 'worker-input-start', workerId: call.workerId, workerSlug: binding.name, ...(description !== undefined ? { description } : {}) });
      }
      return;
    }
    const display = binding?.display ?? 'description';
    this.run.emit(
      { type: 'tool-input-start', toolCallId, toolName, display, ...(display === 'title' && binding?.title !== undefined ? { title: binding.title } : {}) },
      display === 'hidden',
    );
  }

  /** A chunk of the call's JSON arguments. */
  delta(toolCallId: string, text: string): void {
    const call = this.#calls.get(toolCallId);
    if (!call || text === '') return;
    call.streamedInput = true;
    if (call.workerId !== undefined) {
      if (call.binding?.display === 'stream') this.run.emit({ type: 'worker-input-delta', workerId: call.workerId, delta: text });
      return;
    }
    this.run.emit({ type: 'tool-input-delta', toolCallId, inputTextDelta: text }, call.binding?.display === 'hidden');
  }

  /** The call's arguments are complete. */
  end(toolCallId: string): void {
    const call = this.#calls.get(toolCallId);
    if (!call || call.ended) return;
    call.ended = true;
    if (call.workerId === undefined) this.run.emit({ type: 'tool-input-end', toolCallId }, call.binding?.display === 'hidden');
  }

  /**
   * The call with its parsed arguments: completes its events (start, delta and end
   * first when they did not stream) and emits `tool-input-available` or
   * `worker-input-ready`.
   * @returns the worker id minted for a worker tool, else undefined
   */
  available(toolCallId: string, toolName: string, input: unknown): string | undefined {
    if (!this.#calls.has(toolCallId)) this.start(toolCallId, toolName);
    const call = this.#calls.get(toolCallId)!;
    if (!call.streamedInput) this.delta(toolCallId, typeof input === 'string' ? input : JSON.stringify(input ?? {}));
    this.end(toolCallId);
    if (call.workerId !== undefined) {
      if (call.binding?.display === 'stream') this.run.emit({ type: 'worker-input-ready', workerId: call.workerId, input: objectOrEmpty(input) });
      return call.workerId;
    }
    this.run.emit({ type: 'tool-input-available', toolCallId, toolName, input }, call.binding?.display === 'hidden');
    return undefined;
  }
}

function objectOrEmpty(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
