/**
 * Execution of the thread blocks (PROTOCOL.md section 7): start-thread, add-message,
 * next-message and serialize-thread.
 *
 * Choices where the docs are silent (OPEN):
 * - `maxSteps` defaults to 1 (section 7's suggestion; 10 is the interactive `agent`'s).
 * - With several steps in one next-message, `output` is the final step's text.
 * - Until tool execution lands (a later milestone), a thread's `tools` are recorded
 *   but not offered to the model, so a next-message never pauses for tools.
 * - add-message `visible` and `uiContent` only concern a chat UI; a worker has none,
 *   so the engine does not act on them (the LLM sees the prompt either way).
 */
import { jsonSchema, Output, stepCountIs, streamText, type FilePart, type ModelMessage, type TextPart } from 'ai';
import type { StreamEvent } from './events.js';
import { describeError, ExecutionFailure, isTransient, ModelCallError, RunCancelled } from './execution-errors.js';
import type { ExecutionHost, ResolvedModel, RunState, ThreadState } from './execution-types.js';
import { modelCallOptions } from './model-options.js';
import { renderPrompt } from './render.js';
import { typeJsonSchema } from './response-schema.js';
import type { RunScope } from './run-scope.js';
import { serializeThread } from './serialize-thread.js';
import type { BlockOf, Protocol } from './types.js';

/** What a block needs while it runs. */
export interface BlockRun {
  protocol: Protocol;
  state: RunState;
  scope: RunScope;
  host: ExecutionHost;
  emit: (event: StreamEvent) => void;
  /** Prefix of the text and reasoning part ids this block emits. */
  blockId: string;
}

/**
 * Resolves `id` with the host; a thrown error becomes `not_found_error` unless it
 * carries its own valid `errorType`.
 */
export function resolveModel(host: ExecutionHost, id: string): ResolvedModel {
  try {
    return host.resolveModel(id);
  } catch (error) {
    const details = describeError(error);
    throw new ExecutionFailure(details.errorType === 'execution_error' ? 'not_found_error' : details.errorType, details.message);
  }
}

function threadOf(run: BlockRun, name: string): ThreadState {
  const thread = run.state.threads[name];
  if (!thread) throw new ExecutionFailure('execution_error', `Thread "${name}" has not been started.`);
  return thread;
}

/** start-thread: resolves the thread's settings, renders its system prompt, creates an empty history. */
export function startThread(run: BlockRun, block: BlockOf<'start-thread'>): void {
  const { scope } = run;
  const model = scope.model(block.model, 'model');
  if (model === undefined) {
    const name = block.model.kind === 'reference' ? block.model.name : 'model';
    throw new ExecutionFailure('validation_error', `Step "${block.name}" needs a model, but \`${name}\` has no value.`);
  }
  resolveModel(run.host, model);
  const backupModel = scope.model(block.backupModel, 'backupModel');
  const temperature = scope.temperature(block.temperature);
  const thinking = scope.thinking(block.thinking);
  const maxSteps = scope.maxSteps(block.maxSteps) ?? 1;
  const thread: ThreadState = {
    model,
    settings: { maxSteps, tools: [...block.tools] },
    system: renderPrompt(block.system, { prompts: run.protocol.prompts, input: block.input, lookup: scope.lookup }),
    messages: [],
  };
  if (backupModel !== undefined) thread.backupModel = backupModel;
  // "off" disables the setting explicitly: the provider's default applies (section 9).
  if (temperature !== undefined && temperature !== 'off') thread.settings.temperature = temperature;
  if (thinking !== undefined) thread.settings.thinking = thinking;
  if (block.maxOutputTokens !== undefined) thread.settings.maxOutputTokens = block.maxOutputTokens;
  if (block.anthropic) thread.settings.anthropic = block.anthropic;
  run.state.threads[block.thread] = thread;
}

/** add-message: renders the prompt and appends it, with its files, to the thread. */
export function addMessage(run: BlockRun, block: BlockOf<'add-message'>): void {
  const thread = threadOf(run, block.thread);
  const text = renderPrompt(block.prompt, { prompts: run.protocol.prompts, input: block.input, lookup: run.scope.lookup });
  const files = block.files.flatMap((name) => filesOf(run, name));
  if (block.role === 'system') {
    if (files.length > 0) throw new ExecutionFailure('execution_error', `Step "${block.name}": a system message cannot carry files.`);
    thread.messages.push({ role: 'system', content: text });
  } else if (files.length === 0) {
    thread.messages.push({ role: block.role, content: text });
  } else {
    const content: Array<TextPart | FilePart> = [{ type: 'text', text }, ...files];
    thread.messages.push(block.role === 'user' ? { role: 'user', content } : { role: 'assistant', content });
  }
}

/** The `file` / `file[]` value of variable `name` as message file parts (URLs stay strings, so the history stays JSON). */
function filesOf(run: BlockRun, name: string): FilePart[] {
  const entry = run.scope.lookup(name);
  if (entry.state !== 'set') return [];
  const values = Array.isArray(entry.value) ? entry.value : [entry.value];
  return values.map((value) => {
    const file = value as Record<string, unknown>;
    if (typeof file?.url !== 'string' || typeof file.mediaType !== 'string') {
      throw new ExecutionFailure('execution_error', `\`${name}\` does not hold a file ({id, mediaType, url}).`);
    }
    return { type: 'file', data: file.url, mediaType: file.mediaType, ...(typeof file.filename === 'string' ? { filename: file.filename } : {}) };
  });
}

/** serialize-thread: the thread's history as markdown or JSON text into `output`. */
export function serializeThreadBlock(run: BlockRun, block: BlockOf<'serialize-thread'>): void {
  const text = serializeThread(threadOf(run, block.thread).messages, block.format);
  if (block.output !== undefined) run.state.variables[block.output] = text;
}

/**
 * next-message: streams the thread's model with its system prompt and history, emitting
 * text and reasoning events; stores the reply (text, or the parsed object with
 * `responseType`) in `output` and, unless `independent`, appends it to the history.
 * A transient provider error before anything streamed is retried once on the
 * thread's `backupModel`; if that fails too, the first error is reported (section 7).
 * @throws RunCancelled when the host's signal aborts the call.
 */
export async function nextMessage(run: BlockRun, block: BlockOf<'next-message'>): Promise<void> {
  const thread = threadOf(run, block.thread);
  const primary = resolveModel(run.host, thread.model);
  let reply: Reply;
  try {
    reply = await generate(run, block, thread, primary);
  } catch (error) {
    const backup = thread.backupModel;
    const fallBack = error instanceof ModelCallError && !error.streamed && backup !== undefined && isTransient(describeError(error));
    if (!fallBack || run.host.signal?.aborted) throw error;
    try {
      reply = await generate(run, block, thread, resolveModel(run.host, backup));
    } catch (backupError) {
      // Section 7: if the backup fails too, the first error is reported.
      throw backupError instanceof ModelCallError ? error : backupError;
    }
  }
  if (!block.independent) thread.messages.push(...reply.messages);
  if (block.output !== undefined) run.state.variables[block.output] = reply.output;
}

interface Reply {
  output: unknown;
  messages: ModelMessage[];
}

async function generate(run: BlockRun, block: BlockOf<'next-message'>, thread: ThreadState, model: ResolvedModel): Promise<Reply> {
  const { responseType } = block;
  const schema = responseType === undefined ? undefined : typeJsonSchema(responseType, run.protocol.types);
  const ids = new Map<string, string>();
  let parts = 0;
  let streamed = false;
  let failure: { error: unknown } | undefined;
  const ourId = (kind: 'text' | 'reasoning', providerId: string): string => {
    const key = `${kind}:${providerId}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = `${run.blockId}:${kind}-${++parts}`;
      ids.set(key, id);
    }
    return id;
  };
  const options = {
    model: model.model,
    system: thread.system,
    messages: thread.messages,
    allowSystemInMessages: true,
    stopWhen: stepCountIs(thread.settings.maxSteps),
    ...modelCallOptions(thread.settings, model),
    ...(run.host.signal ? { abortSignal: run.host.signal } : {}),
    ...(run.host.maxRetries !== undefined ? { maxRetries: run.host.maxRetries } : {}),
    // Errors arrive as stream parts below; the default handler would also log them.
    onError: () => {},
  };
  const result = schema
    ? streamText({ ...options, output: Output.object({ schema: jsonSchema<Record<string, unknown>>(schema), name: responseType }) })
    : streamText(options);

  for await (const part of result.fullStream) {
    switch (part.type) {
      case 'text-start':
        streamed = true;
        run.emit({ type: 'text-start', id: ourId('text', part.id), ...(responseType ? { responseType } : {}), thread: block.thread });
        break;
      case 'text-delta':
        run.emit({ type: 'text-delta', id: ourId('text', part.id), delta: part.text, thread: block.thread });
        break;
      case 'text-end':
        run.emit({ type: 'text-end', id: ourId('text', part.id) });
        ids.delete(`text:${part.id}`);
        break;
      case 'reasoning-start':
        streamed = true;
        run.emit({ type: 'reasoning-start', id: ourId('reasoning', part.id) });
        break;
      case 'reasoning-delta':
        run.emit({ type: 'reasoning-delta', id: ourId('reasoning', part.id), delta: part.text });
        break;
      case 'reasoning-end':
        run.emit({ type: 'reasoning-end', id: ourId('reasoning', part.id) });
        ids.delete(`reasoning:${part.id}`);
        break;
      case 'finish':
        addUsage(run.state, part.totalUsage);
        break;
      case 'error':
        failure ??= { error: part.error };
        break;
      default:
        break;
    }
  }
  if (run.host.signal?.aborted) throw new RunCancelled();
  if (failure) throw new ModelCallError(failure.error, { provider: model.provider, modelId: model.modelId }, streamed);
  const [response, text] = await Promise.all([result.response, result.text]);
  return { output: schema ? await result.output : text, messages: response.messages };
}

function addUsage(state: RunState, usage: { inputTokens: number | undefined; outputTokens: number | undefined; totalTokens: number | undefined }): void {
  const input = usage.inputTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  state.usage = {
    inputTokens: state.usage.inputTokens + input,
    outputTokens: state.usage.outputTokens + output,
    totalTokens: state.usage.totalTokens + (usage.totalTokens ?? input + output),
  };
}
