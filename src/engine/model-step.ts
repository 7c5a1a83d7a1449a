/**
 * One model step of a next-message (docs/protocol.md section 7): one streamed generation of
 * the thread's model over its system prompt, history and the turn so far, with the
 * thread's tools offered. The step's text, reasoning and tool-call arguments become
 * events as they stream; its tool calls are returned, not run (next-message.ts runs them).
 *
 * Failures: a provider error (after the AI SDK's retries with backoff), or the step
 * exceeding `limits.stepTimeoutMs`, is a `ModelCallError`; when it is transient and
 * nothing streamed yet, the step is tried once on the thread's `backupModel`, and if
 * that fails too the first error is reported (section 7). A cancelled or timed-out run
 * throws `RunCancelled` or the run-timeout failure.
 */
import { jsonSchema, Output, streamText, type JSONSchema7, type ModelMessage } from 'ai';
import { describeError, isTransient, ModelCallError, StepTimeoutError } from './execution-errors.js';
import type { ResolvedModel, TurnState } from './execution-types.js';
import { modelCallOptions } from './model-options.js';
import { resolveModel } from './model-resolution.js';
import type { BlockRun } from './run-context.js';
import { modelCallTelemetry } from './tracing.js';
import { modelToolSet, type ToolBinding } from './tool-bindings.js';
import type { ToolCallRequest } from './tool-calls.js';
import { ToolInputEvents } from './tool-input-events.js';
import { recordUsage } from './usage.js';

/** What one step needs. */
export interface StepRequest {
  threadName: string;
  /** The turn so far; its messages follow the thread's history, its part counter advances. */
  turn: TurnState;
  bindings: ReadonlyMap<string, ToolBinding>;
  /** Section 5: the reply must be JSON of this type (the model is given its schema). */
  responseType?: { name: string; schema: JSONSchema7 };
}

/** What one step produced. */
export interface StepResult {
  /** The step's text (for `responseType`, the JSON text). */
  text: string;
  /** The tool calls the model made, in order; empty when it answered. */
  toolCalls: ToolCallRequest[];
  /** The step's assistant message (text, reasoning, tool calls), for the turn's history. */
  messages: ModelMessage[];
}

/**
 * Runs one step, with the backup-model failover (module comment).
 * @throws ModelCallError, ExecutionFailure (model resolution), RunCancelled, the run-timeout failure.
 */
export async function runModelStep(run: BlockRun, request: StepRequest): Promise<StepResult> {
  const thread = run.exec.thread(request.threadName);
  const primary = resolveModel(run.exec.host, thread.model);
  try {
    return await streamStep(run, request, primary);
  } catch (error) {
    const backup = thread.backupModel;
    const fallBack = error instanceof ModelCallError && !error.streamed && backup !== undefined && isTransient(describeError(error));
    if (!fallBack) throw error;
    try {
      return await streamStep(run, request, resolveModel(run.exec.host, backup));
    } catch (backupError) {
      // Section 7: if the backup fails too, the first error is reported.
      throw backupError instanceof ModelCallError ? error : backupError;
    }
  }
}

async function streamStep(run: BlockRun, request: StepRequest, model: ResolvedModel): Promise<StepResult> {
  const { exec } = run;
  const { threadName, turn, bindings, responseType } = request;
  const thread = exec.thread(threadName);
  const signal = exec.clock.stepSignal();
  const inputs = new ToolInputEvents(run, bindings);
  const toolCalls: ToolCallRequest[] = [];
  const partIds = new Map<string, string>();
  let streamed = false;
  let failure: { error: unknown } | undefined;
  const partId = (kind: 'text' | 'reasoning', providerId: string): string => {
    const key = `${kind}:${providerId}`;
    let id = partIds.get(key);
    if (id === undefined) {
      id = run.partId(kind, ++turn.parts);
      partIds.set(key, id);
    }
    return id;
  };

  const options = {
    model: model.model,
    system: thread.system,
    messages: [...thread.messages, ...turn.messages],
    allowSystemInMessages: true,
    ...(bindings.size > 0 ? { tools: modelToolSet(bindings.values()) } : {}),
    ...modelCallOptions(thread.settings, model),
    abortSignal: signal,
    ...(exec.host.maxRetries !== undefined ? { maxRetries: exec.host.maxRetries } : {}),
    experimental_telemetry: modelCallTelemetry(run, threadName),
    // Errors arrive as stream parts below; the default handler would also log them.
    onError: () => {},
  };
  const result = responseType
    ? streamText({ ...options, output: Output.object({ schema: jsonSchema<Record<string, unknown>>(responseType.schema), name: responseType.name }) })
    : streamText(options);

  for await (const part of result.fullStream) {
    switch (part.type) {
      case 'text-start':
        streamed = true;
        run.emit({ type: 'text-start', id: partId('text', part.id), ...(responseType ? { responseType: responseType.name } : {}), thread: threadName });
        break;
      case 'text-delta':
        run.emit({ type: 'text-delta', id: partId('text', part.id), delta: part.text, thread: threadName });
        break;
      case 'text-end':
        run.emit({ type: 'text-end', id: partId('text', part.id) });
        partIds.delete(`text:${part.id}`);
        break;
      case 'reasoning-start':
        streamed = true;
        run.emit({ type: 'reasoning-start', id: partId('reasoning', part.id) });
        break;
      case 'reasoning-delta':
        run.emit({ type: 'reasoning-delta', id: partId('reasoning', part.id), delta: part.text });
        break;
      case 'reasoning-end':
        run.emit({ type: 'reasoning-end', id: partId('reasoning', part.id) });
        partIds.delete(`reasoning:${part.id}`);
        break;
      case 'tool-input-start':
        streamed = true;
        inputs.start(part.id, part.toolName);
        break;
      case 'tool-input-delta':
        inputs.delta(part.id, part.delta);
        break;
      case 'tool-input-end':
        inputs.end(part.id);
        break;
      case 'tool-call': {
        streamed = true;
        const workerId = inputs.available(part.toolCallId, part.toolName, part.input);
        const call: ToolCallRequest = { toolCallId: part.toolCallId, toolName: part.toolName, args: part.input };
        if (part.invalid) call.parseError = part.error instanceof Error ? part.error.message : String(part.error);
        if (workerId !== undefined) call.workerId = workerId;
        toolCalls.push(call);
        break;
      }
      case 'finish':
        recordUsage(exec.state, threadName, `${model.provider}/${model.modelId}`, part.totalUsage);
        break;
      case 'error':
        failure ??= { error: part.error };
        break;
      default:
        break;
    }
  }
  const failed = { provider: model.provider, modelId: model.modelId };
  if (signal.aborted) {
    exec.clock.throwIfStopped();
    throw new ModelCallError(new StepTimeoutError(exec.clock.stepTimeoutMs), failed, streamed);
  }
  if (failure) throw new ModelCallError(failure.error, failed, streamed);
  const [response, text] = await Promise.all([result.response, result.text]);
  return { text, toolCalls, messages: response.messages.filter((message) => message.role === 'assistant') };
}
