/**
 * Stream events of a protocol execution (docs/protocol.md section 13, after
 * `core/src/stream/types.ts` of the Octavus agent SDK).
 *
 * Names and fields are the protocol's, one interface per event `type`. Four fields are
 * ours and say so where they are declared: `worker-start.models` (docs/architecture.md: the model
 * that really answers is never silent), `text-start.thread`, `text-delta.thread` and
 * `worker-result.usage`.
 *
 * `workerId?` marks an event as coming from a nested worker (section 11); it appears
 * exactly on the events where section 13 lists it. OPEN (section 13): a standalone run
 * does not set `workerId` on its events, only on the `worker-*` events it owns.
 */

/** Why a stream (or one leg of it) ended (section 13, `finish`). */
export type FinishReason =
  | 'stop'
  | 'tool-calls'
  | 'client-tool-calls'
  | 'length'
  | 'content-filter'
  | 'error'
  | 'other';

/** Every `finish.finishReason`, in declaration order. */
export const FINISH_REASONS = [
  'stop',
  'tool-calls',
  'client-tool-calls',
  'length',
  'content-filter',
  'error',
  'other',
] as const satisfies readonly FinishReason[];

/** Classification of an error for clients (section 14). */
export type ErrorType =
  | 'authentication_error'
  | 'permission_error'
  | 'validation_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'quota_exceeded_error'
  | 'provider_error'
  | 'provider_overloaded'
  | 'provider_timeout'
  | 'unsupported_error'
  | 'execution_error'
  | 'tool_error'
  | 'protocol_error'
  | 'internal_error'
  | 'unknown_error';

/** Every `ErrorType`, in declaration order. */
export const ERROR_TYPES = [
  'authentication_error',
  'permission_error',
  'validation_error',
  'not_found_error',
  'rate_limit_error',
  'quota_exceeded_error',
  'provider_error',
  'provider_overloaded',
  'provider_timeout',
  'unsupported_error',
  'execution_error',
  'tool_error',
  'protocol_error',
  'internal_error',
  'unknown_error',
] as const satisfies readonly ErrorType[];

/** Where an error originated (section 14). */
export type ErrorSource = 'platform' | 'provider' | 'tool' | 'client';

/** Every `ErrorSource`, in declaration order. */
export const ERROR_SOURCES = ['platform', 'provider', 'tool', 'client'] as const satisfies readonly ErrorSource[];

/** How much of a block, tool or worker reaches the client (section 6, "Display modes"). */
export type DisplayMode = 'hidden' | 'name' | 'description' | 'stream' | 'title';

/** Every `DisplayMode`, in declaration order. */
export const DISPLAY_MODES = ['hidden', 'name', 'description', 'stream', 'title'] as const satisfies readonly DisplayMode[];

/** Provider details of an error whose `source` is `provider` (section 13, `error.provider`). */
export interface ProviderErrorInfo {
  /** Provider name, e.g. `openai`. */
  name: string;
  model?: string;
  statusCode?: number;
  /** The provider's own error type string, e.g. `rate_limit_exceeded`. */
  errorType?: string;
  requestId?: string;
  details?: unknown;
}

/** Tool details of an error whose `source` is `tool` (section 13, `error.tool`). */
export interface ToolErrorInfo {
  name: string;
  callId?: string;
}

/** A tool call that someone outside the engine must run (section 12). */
export interface PendingToolCall {
  toolCallId: string;
  toolName: string;
  /** Arguments are always an object (section 6). */
  args: Record<string, unknown>;
  /** `llm` when the model asked for it, `block` for a tool-call block. */
  source: 'llm' | 'block';
  /** Block calls: the variable that receives the result. */
  outputVariable?: string;
  /** Block calls: the index of the block to resume after. */
  blockIndex?: number;
  /** Thread the call came from. */
  thread?: string;
  /** Nested-worker origin. */
  workerId?: string;
  /** Opaque provider data to round-trip with the result. */
  providerMetadata?: Record<string, unknown>;
}

/** The answer to a `PendingToolCall` (section 12). */
export interface ToolResult {
  toolCallId: string;
  toolName?: string;
  result?: unknown;
  error?: string;
  files?: GeneratedFile[];
  outputVariable?: string;
  blockIndex?: number;
  thread?: string;
  workerId?: string;
}

/** A file produced during a run (section 13, `file-available`). */
export interface GeneratedFile {
  id: string;
  mediaType: string;
  url: string;
  filename?: string;
  size?: number;
}

/** One entry of a todo list (section 13, `todo-update`). */
export interface TodoItem {
  id: string;
  content: string;
  status: 'pending' | 'in_progress' | 'completed' | 'cancelled';
}

/** Token counts of a run (section 13, `usage.tokens`). */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** Cost of a run (section 13, `usage.cost`). */
export interface UsageCost {
  currency: 'USD';
  bandwidthFee: number;
  providerFee: number;
  totalFee: number;
  /** True when the caller's own provider key paid for the tokens. */
  byok: boolean;
  estimatedProviderFee?: number;
  /** Ours: a model the run used has no price, so the fees count only the priced ones (README "Cost and budgets"). */
  unpriced?: true;
}

/**
 * Ours (docs/architecture.md "Models"): for one model a protocol names, the model that answers.
 * `requested` is the id as written (`anthropic/claude-sonnet-4-5`), `provider`/`modelId`
 * what the registry resolved it to, `offline` true for the built-in deterministic model.
 */
export interface ResolvedModelInfo {
  requested: string;
  provider: string;
  modelId: string;
  offline: boolean;
}

// ------------------------------------------------------------------ lifecycle

export interface StartEvent {
  type: 'start';
  messageId?: string;
  /** Identifies the execution, for continuing after client tools. */
  executionId?: string;
  lastMessageId?: string;
  sessionId?: string;
}

export interface FinishEvent {
  type: 'finish';
  finishReason: FinishReason;
  /** Present when the execution completes or pauses for client tools. */
  executionId?: string;
}

export interface ErrorEvent {
  type: 'error';
  errorType: ErrorType;
  message: string;
  retryable: boolean;
  source: ErrorSource;
  /** Suggested delay in seconds before a retry. */
  retryAfter?: number;
  /** Machine-readable code, e.g. `OPENAI_429`. */
  code?: string;
  provider?: ProviderErrorInfo;
  tool?: ToolErrorInfo;
}

// ----------------------------------------------------------------------- text

export interface TextStartEvent {
  type: 'text-start';
  id: string;
  /** The text is JSON matching this type (next-message `responseType`, section 5). */
  responseType?: string;
  /** Ours: the thread whose model produces this text. */
  thread?: string;
  workerId?: string;
}

export interface TextDeltaEvent {
  type: 'text-delta';
  id: string;
  delta: string;
  /** Ours: the thread, as on `text-start`. */
  thread?: string;
  workerId?: string;
}

export interface TextEndEvent {
  type: 'text-end';
  id: string;
  workerId?: string;
}

// ------------------------------------------------------------------ reasoning

export interface ReasoningStartEvent {
  type: 'reasoning-start';
  id: string;
  workerId?: string;
}

export interface ReasoningDeltaEvent {
  type: 'reasoning-delta';
  id: string;
  delta: string;
  workerId?: string;
}

export interface ReasoningEndEvent {
  type: 'reasoning-end';
  id: string;
  workerId?: string;
}

// ----------------------------------------------------------------------- tools

export interface ToolInputStartEvent {
  type: 'tool-input-start';
  toolCallId: string;
  toolName: string;
  title?: string;
  display?: DisplayMode;
  workerId?: string;
}

export interface ToolInputDeltaEvent {
  type: 'tool-input-delta';
  toolCallId: string;
  inputTextDelta: string;
  workerId?: string;
}

export interface ToolInputEndEvent {
  type: 'tool-input-end';
  toolCallId: string;
  workerId?: string;
}

export interface ToolInputAvailableEvent {
  type: 'tool-input-available';
  toolCallId: string;
  toolName: string;
  input: unknown;
  workerId?: string;
}

export interface ToolOutputAvailableEvent {
  type: 'tool-output-available';
  toolCallId: string;
  output: unknown;
  workerId?: string;
}

export interface ToolOutputErrorEvent {
  type: 'tool-output-error';
  toolCallId: string;
  error: string;
  workerId?: string;
}

// --------------------------------------------------------------------- sources

export interface SourceUrlEvent {
  type: 'source';
  sourceType: 'url';
  id: string;
  url: string;
  title?: string;
  workerId?: string;
}

export interface SourceDocumentEvent {
  type: 'source';
  sourceType: 'document';
  id: string;
  mediaType: string;
  title: string;
  filename?: string;
  workerId?: string;
}

/** A `source` event; `sourceType` tells the two shapes apart. */
export type SourceEvent = SourceUrlEvent | SourceDocumentEvent;

export interface TodoUpdateEvent {
  type: 'todo-update';
  todos: TodoItem[];
  workerId?: string;
}

// ---------------------------------------------------------------------- blocks

export interface BlockStartEvent {
  type: 'block-start';
  blockId: string;
  /** The step name (the `steps` key). */
  blockName: string;
  /** The block kind, e.g. `next-message`. */
  blockType: string;
  display: DisplayMode;
  description?: string;
  /** `false` for an `independent` next-message. */
  outputToChat?: boolean;
  thread?: string;
  workerId?: string;
}

export interface BlockEndEvent {
  type: 'block-end';
  blockId: string;
  summary?: string;
  workerId?: string;
}

/** Deprecated with resources (section 7, set-resource). */
export interface ResourceUpdateEvent {
  type: 'resource-update';
  name: string;
  value: unknown;
}

export interface ToolRequestEvent {
  type: 'tool-request';
  toolCalls: PendingToolCall[];
  workerId?: string;
}

export interface ClientToolRequestEvent {
  type: 'client-tool-request';
  executionId: string;
  toolCalls: PendingToolCall[];
  /** Results of the server tools already run in this batch; the caller sends them back. */
  serverToolResults?: ToolResult[];
}

export interface FileAvailableEvent {
  type: 'file-available';
  id: string;
  mediaType: string;
  url: string;
  filename?: string;
  size?: number;
  toolCallId?: string;
  workerId?: string;
}

// --------------------------------------------------------------------- workers

export interface WorkerStartEvent {
  type: 'worker-start';
  workerId: string;
  workerSlug: string;
  description?: string;
  /** The worker's input; only for `display: stream` (section 11). */
  input?: Record<string, unknown>;
  /**
   * Ours (docs/architecture.md): one entry per distinct start-thread `model`/`backupModel` id, in
   * step order: those written literally, and those naming an input the caller supplied.
   * Ids held by variables are only known when their start-thread runs.
   */
  models: ResolvedModelInfo[];
}

export interface WorkerResultEvent {
  type: 'worker-result';
  workerId: string;
  /** Absent when the protocol has no `output` (section 10). */
  output?: unknown;
  /** The error message when the worker failed. */
  error?: string;
  cancelled?: boolean;
  /**
   * Ours (issue 3): tokens used by this worker's own model calls, every leg included
   * (its nested workers report theirs in their own `worker-result`).
   */
  usage?: TokenUsage;
}

export interface WorkerInputStartEvent {
  type: 'worker-input-start';
  workerId: string;
  workerSlug: string;
  description?: string;
}

export interface WorkerInputDeltaEvent {
  type: 'worker-input-delta';
  workerId: string;
  /** A chunk of the input's JSON text. */
  delta: string;
}

export interface WorkerInputReadyEvent {
  type: 'worker-input-ready';
  workerId: string;
  input: Record<string, unknown>;
}

// ----------------------------------------------------------------------- usage

/** Tokens and cost of a standalone run; the one event allowed after `finish`. */
export interface UsageEvent {
  type: 'usage';
  tokens: TokenUsage;
  cost: UsageCost;
}

/** Every event a protocol execution can emit (section 13). */
export type StreamEvent =
  | StartEvent
  | FinishEvent
  | ErrorEvent
  | TextStartEvent
  | TextDeltaEvent
  | TextEndEvent
  | ReasoningStartEvent
  | ReasoningDeltaEvent
  | ReasoningEndEvent
  | ToolInputStartEvent
  | ToolInputDeltaEvent
  | ToolInputEndEvent
  | ToolInputAvailableEvent
  | ToolOutputAvailableEvent
  | ToolOutputErrorEvent
  | SourceEvent
  | TodoUpdateEvent
  | BlockStartEvent
  | BlockEndEvent
  | ResourceUpdateEvent
  | ToolRequestEvent
  | ClientToolRequestEvent
  | FileAvailableEvent
  | WorkerStartEvent
  | WorkerResultEvent
  | WorkerInputStartEvent
  | WorkerInputDeltaEvent
  | WorkerInputReadyEvent
  | UsageEvent;

/** The `type` of any stream event. */
export type StreamEventType = StreamEvent['type'];

/** The event whose `type` is `T`. */
export type StreamEventOf<T extends StreamEventType> = Extract<StreamEvent, { type: T }>;

/**
 * Every event type with a one-line description, in section 13's order; the keys are
 * checked against `StreamEventType` both ways, so a new event cannot be forgotten here.
 */
export const STREAM_EVENT_TYPES = {
  start: 'A run (or one leg of it, after a pause) starts.',
  finish: 'A run or leg ends; finishReason says why.',
  error: 'A run failed; errorType, source and retryable classify it.',
  'text-start': 'The model starts a text part.',
  'text-delta': 'A chunk of a text part.',
  'text-end': 'A text part is complete.',
  'reasoning-start': 'The model starts a reasoning (thinking) part.',
  'reasoning-delta': 'A chunk of a reasoning part.',
  'reasoning-end': 'A reasoning part is complete.',
  'tool-input-start': 'The model starts a tool call; its arguments stream next.',
  'tool-input-delta': 'A chunk of a tool call’s JSON arguments.',
  'tool-input-end': 'A tool call’s arguments are complete.',
  'tool-input-available': 'A tool call with its parsed arguments.',
  'tool-output-available': 'The result of a tool call.',
  'tool-output-error': 'A tool call failed; the model sees the error and the run goes on.',
  source: 'A URL or document the answer relies on.',
  'todo-update': 'The todo list of the thread changed.',
  'block-start': 'A protocol block (step) starts.',
  'block-end': 'A protocol block (step) ends.',
  'resource-update': 'A resource changed (deprecated).',
  'tool-request': 'Tool calls the caller must run before the run goes on.',
  'client-tool-request': 'Tool calls without a server handler: the run pauses for the client.',
  'file-available': 'A file produced during the run.',
  'worker-start': 'A worker starts; models says which model answers each protocol model id.',
  'worker-result': 'A worker ends with its output, an error, or cancelled.',
  'worker-input-start': 'The model starts writing a worker call’s input.',
  'worker-input-delta': 'A chunk of a worker call’s input JSON.',
  'worker-input-ready': 'A worker call’s input is complete.',
  usage: 'Tokens and cost of a standalone run; the one event after finish.',
} as const satisfies Record<StreamEventType, string>;

/** Every event type name, in section 13's order. */
export const STREAM_EVENT_TYPE_NAMES = Object.keys(STREAM_EVENT_TYPES) as StreamEventType[];

/**
 * Event types that end a stream (section 13: "every stream ends with `finish` or
 * `error`"). The one exception: `usage` may follow `finish`; see `endsStream`.
 */
export const TERMINAL_EVENT_TYPES = ['finish', 'error'] as const satisfies readonly StreamEventType[];

/** Whether `event` is a `finish` or an `error` (`TERMINAL_EVENT_TYPES`). */
export function isTerminalEvent(event: StreamEvent): boolean {
  return event.type === 'finish' || event.type === 'error';
}

/**
 * Whether nothing follows `event` in the stream of one leg of a standalone run, as
 * this engine emits it:
 * - completed or cancelled: `worker-result` → `finish{stop}` → `usage` (ends here);
 * - failed: `worker-result{error}` → `error` (ends here);
 * - paused for tools: `tool-request`/`client-tool-request` → `finish{tool-calls |
 *   client-tool-calls}` (ends the leg; a later leg starts with `start` again).
 * A subscriber completes its subscription on the first event for which this is true.
 */
export function endsStream(event: StreamEvent): boolean {
  switch (event.type) {
    case 'error':
    case 'usage':
      return true;
    case 'finish':
      return event.finishReason === 'tool-calls' || event.finishReason === 'client-tool-calls';
    default:
      return false;
  }
}
