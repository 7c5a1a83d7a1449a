/**
 * Helpers for the protocol engine's tests: loading inline packages, scripted mock
 * models (AI SDK `MockLanguageModelV3`), and a host that records what the engine does.
 */
import { fileURLToPath } from 'node:url';
import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { APICallError } from 'ai';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import type { Diagnostic } from '../../src/engine/diagnostics.js';
import { OfflineImageModel } from '../../src/models/offline-image-model.js';
import type { StreamEvent } from '../../src/engine/events.js';
import type {
  ChildWorker,
  EventMeta,
  ExecutionHost,
  ResolvedImageModel,
  ResolvedModel,
  RunState,
  ToolHandler,
  WorkerOutcome,
  WorkerRequest,
} from '../../src/engine/execute.js';
import { readProtocolPackage } from '../../src/engine/package-files.js';
import { loadProtocolPackage, loadProtocolPackageOrThrow } from '../../src/engine/parse.js';
import type { Protocol, ReferenceFile } from '../../src/engine/types.js';

export const WORKER_SETTINGS = { slug: 'test-worker', name: 'Test worker', format: 'worker' } as const;

/** Names of the example packages under examples/. */
export const EXAMPLES = ['title-generator', 'research-assistant', 'support-chat'] as const;

export function examplePath(name: string): string {
  return fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
}

export async function loadExample(name: string): Promise<Protocol> {
  return loadProtocolPackageOrThrow(await readProtocolPackage(examplePath(name)));
}

/** Prompts given as `{name: content}`. */
export type Prompts = Record<string, string>;

function promptList(prompts: Prompts): Array<{ name: string; content: string }> {
  return Object.entries(prompts).map(([name, content]) => ({ name, content }));
}

/** Loads an inline package; throws with its diagnostics when invalid. */
export function load(source: string, prompts: Prompts = {}, references: ReferenceFile[] = [], settings: unknown = WORKER_SETTINGS): Protocol {
  return loadProtocolPackageOrThrow({ source, settings, prompts: promptList(prompts), references });
}

/** The diagnostics of an inline package. */
export function diagnose(source: string, prompts: Prompts = {}, settings: unknown = WORKER_SETTINGS): Diagnostic[] {
  return loadProtocolPackage({ source, settings, prompts: promptList(prompts) }).diagnostics;
}

const USAGE = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 4, text: 4, reasoning: undefined },
};

/** A tool call of a scripted reply; `input` is sent as JSON unless it is a string. */
export interface ScriptedCall {
  id: string;
  name: string;
  input: unknown;
}

/**
 * The stream parts of a step that calls tools: optional text, then each call with its
 * arguments streamed (`tool-input-start/delta/end`, then `tool-call`) or, with
 * `streamInput: false`, handed over whole (`tool-call` only).
 */
export function toolCallReply(calls: ScriptedCall[], options: { text?: string; streamInput?: boolean } = {}): LanguageModelV3StreamPart[] {
  const text: LanguageModelV3StreamPart[] = options.text
    ? [
        { type: 'text-start', id: 't0' },
        { type: 'text-delta', id: 't0', delta: options.text },
        { type: 'text-end', id: 't0' },
      ]
    : [];
  const parts = calls.flatMap((call): LanguageModelV3StreamPart[] => {
    const input = typeof call.input === 'string' ? call.input : JSON.stringify(call.input);
    const streamed: LanguageModelV3StreamPart[] = [
      { type: 'tool-input-start', id: call.id, toolName: call.name },
      { type: 'tool-input-delta', id: call.id, delta: input },
      { type: 'tool-input-end', id: call.id },
    ];
    return [...(options.streamInput === false ? [] : streamed), { type: 'tool-call', toolCallId: call.id, toolName: call.name, input }];
  });
  return [{ type: 'stream-start', warnings: [] }, ...text, ...parts, { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_calls' }, usage: USAGE }];
}

/** The stream parts of a reply: one text part split into `chunks`, then finish. */
export function textReply(chunks: string[], options: { reasoning?: string[] } = {}): LanguageModelV3StreamPart[] {
  const reasoning: LanguageModelV3StreamPart[] = options.reasoning
    ? [
        { type: 'reasoning-start', id: 'r0' },
        ...options.reasoning.map((delta): LanguageModelV3StreamPart => ({ type: 'reasoning-delta', id: 'r0', delta })),
        { type: 'reasoning-end', id: 'r0' },
      ]
    : [];
  return [
    { type: 'stream-start', warnings: [] },
    ...reasoning,
    { type: 'text-start', id: 't0' },
    ...chunks.map((delta): LanguageModelV3StreamPart => ({ type: 'text-delta', id: 't0', delta })),
    { type: 'text-end', id: 't0' },
    { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: USAGE },
  ];
}

/**
 * A mock model answering each call with the next scripted reply (the last one repeats).
 * A reply is stream parts, or an error thrown by `doStream`.
 */
export function scriptedModel(replies: Array<LanguageModelV3StreamPart[] | Error>, options: { chunkDelayInMs?: number; modelId?: string } = {}): MockLanguageModelV3 {
  let call = 0;
  return new MockLanguageModelV3({
    modelId: options.modelId ?? 'mock-model',
    doStream: async () => {
      const reply = replies[Math.min(call, replies.length - 1)]!;
      call += 1;
      if (reply instanceof Error) throw reply;
      return {
        stream: simulateReadableStream({ chunks: reply, initialDelayInMs: null, chunkDelayInMs: options.chunkDelayInMs ?? null }),
      };
    },
  });
}

/** An HTTP error from a provider, as @ai-sdk/openai raises it. */
export function providerError(statusCode: number, options: { retryAfter?: string; data?: unknown } = {}): APICallError {
  return new APICallError({
    message: `Provider answered ${statusCode}`,
    url: 'https://api.example.test/v1/chat/completions',
    requestBodyValues: {},
    statusCode,
    responseHeaders: { 'x-request-id': 'req-1', ...(options.retryAfter ? { 'retry-after': options.retryAfter } : {}) },
    isRetryable: statusCode === 429 || statusCode >= 500,
    data: options.data,
  });
}

/** A nested worker the host started, and how it ended. */
export interface StartedChild {
  request: WorkerRequest;
  host: RecordingHost;
  outcome?: WorkerOutcome;
}

/**
 * A host that records events (with their `hidden` flag) and checkpoints; models are
 * looked up by id, image ids resolve to the offline image model, tool handlers and
 * nested workers' protocols come from the options.
 */
export class RecordingHost implements ExecutionHost {
  readonly events: StreamEvent[] = [];
  /** The meta of each event, index for index. */
  readonly metas: EventMeta[] = [];
  readonly checkpoints: RunState[] = [];
  /** Nested workers started through this host, in order. */
  readonly children: StartedChild[] = [];
  signal?: AbortSignal;
  /** No retry with backoff: a provider error fails the call at once. */
  maxRetries = 0;
  /** Called after each event is recorded (e.g. to abort at a given point). */
  onEvent?: (event: StreamEvent) => void;
  /** Connects to remote MCP servers when set (e.g. src/tools/mcp.ts, or a fake). */
  connectMcpServer?: ExecutionHost['connectMcpServer'];

  constructor(
    private readonly models: Record<string, MockLanguageModelV3>,
    readonly options: { handlers?: Record<string, ToolHandler>; workers?: Record<string, Protocol> } = {},
  ) {}

  resolveModel(id: string): ResolvedModel {
    const model = this.models[id];
    if (!model) throw new Error(`Cannot resolve model "${id}"`);
    return { model, provider: 'mock', modelId: model.modelId, offline: false };
  }

  resolveImageModel(id: string): ResolvedImageModel {
    if (!id.startsWith('offline/')) throw new Error(`Cannot resolve image model "${id}"`);
    return { model: new OfflineImageModel(), provider: 'offline', modelId: 'offline-image', offline: true };
  }

  emit(event: StreamEvent, meta: EventMeta): void {
    this.events.push(event);
    this.metas.push(meta);
    this.onEvent?.(event);
  }

  async checkpoint(state: RunState): Promise<void> {
    this.checkpoints.push(JSON.parse(JSON.stringify(state)) as RunState);
  }

  toolHandler(name: string): ToolHandler | undefined {
    return this.options.handlers?.[name];
  }

  async workerProtocol(slug: string): Promise<Protocol> {
    const protocol = this.options.workers?.[slug];
    if (!protocol) throw new Error(`No worker "${slug}"`);
    return protocol;
  }

  async startWorker(request: WorkerRequest): Promise<ChildWorker> {
    const protocol = await this.workerProtocol(request.slug);
    const host = new RecordingHost(this.models, { workers: this.options.workers ?? {} });
    if (this.connectMcpServer) host.connectMcpServer = this.connectMcpServer;
    const child: StartedChild = { request, host };
    this.children.push(child);
    return {
      protocol,
      host,
      executionId: `child-${this.children.length}`,
      finish: async (outcome) => {
        child.outcome = outcome;
      },
    };
  }

  /** The event types, in order. */
  get types(): string[] {
    return this.events.map((event) => event.type);
  }

  /** The events a client may see (meta.hidden false), in order. */
  get visible(): StreamEvent[] {
    return this.events.filter((_, index) => !this.metas[index]!.hidden);
  }

  /** The events of one type. */
  ofType<T extends StreamEvent['type']>(type: T): Array<Extract<StreamEvent, { type: T }>> {
    return this.events.filter((event): event is Extract<StreamEvent, { type: T }> => event.type === type);
  }
}
