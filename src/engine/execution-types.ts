/**
 * The contract between the engine and whoever runs an execution (the server's run
 * executor, a test): the host it calls, the options it takes, the state it checkpoints,
 * the outcome it returns. Everything in `RunState` is JSON-serialisable so that a run
 * survives a restart (docs/architecture.md "Layers").
 *
 * One execution is a sequence of *legs* (docs/protocol.md section 12): the first leg starts
 * the worker; a leg ends when the worker ends, or pauses for client tools
 * (`finish{client-tool-calls}`); the next leg is `executeWorker` again with the
 * checkpointed `state` and the `toolResults`. A host that crashed calls `executeWorker`
 * with its last checkpoint and no results: the interrupted block is retried once.
 */
import type { Tracer } from '@opentelemetry/api';
import type { ImageModel, JSONSchema7, LanguageModel, ModelMessage } from 'ai';
import type { DisplayMode, ErrorType, PendingToolCall, StreamEvent, TodoItem, TokenUsage, ToolResult } from './events.js';
import type { McpTransport, Protocol, ThinkingLevel } from './types.js';

/** A protocol model id resolved by the host's model registry. */
export interface ResolvedModel {
  /** The model that answers (an AI SDK `LanguageModelV3`). */
  model: LanguageModel;
  /** Registry provider that answers, e.g. `openai` or `offline`. */
  provider: string;
  /** Model id sent to that provider. */
  modelId: string;
  /** True for the built-in deterministic offline model. */
  offline: boolean;
}

/** An image model id (generate-image `imageModel`, start-thread `imageModel`) resolved by the host. */
export interface ResolvedImageModel {
  /** The model that draws (an AI SDK `ImageModelV3`). */
  model: ImageModel;
  provider: string;
  modelId: string;
  offline: boolean;
}

/**
 * What the host learns about each event besides the event itself.
 *
 * `hidden` (docs/protocol.md section 13: "hidden blocks/tools are filtered out before the
 * client"): the event belongs to a block or tool whose display is `hidden` (a nested
 * worker with display `hidden` forwards nothing at all). OPEN, our choice: the engine
 * emits hidden events too, flagged, and "filtered" is the host's duty: it must never
 * deliver a hidden event to a client, and decides whether to store it (a complete log
 * for audit) or drop it (a stored stream equal to what clients receive). Every other
 * display mode is a presentation hint carried by `block-start.display` and
 * `tool-input-start.display`/`title`; nothing else is filtered. `start`, `worker-start`,
 * the ending events and `client-tool-request` are never hidden.
 */
export interface EventMeta {
  hidden: boolean;
}

/** What a server-side tool handler receives besides its arguments. */
export interface ToolContext {
  toolCallId: string;
  /** The tool's name as the protocol (or, for a mapped nested-worker tool, the child) declares it. */
  toolName: string;
  /** The thread whose model called the tool, or the tool-call block's `thread`. */
  thread?: string;
  /**
   * Aborts when the run is cancelled, when the run's time limit passes, or when this
   * call exceeds `limits.stepTimeoutMs`. The engine stops waiting at that moment either
   * way; a handler should stop its work too.
   */
  signal: AbortSignal;
}

/**
 * Runs one tool call server-side (docs/protocol.md section 6). `args` have already been
 * validated against the tool's `parameters`. Resolves with any JSON value (the tool's
 * result, seen by the model and stored in a tool-call block's `output`); a rejection
 * becomes the call's error result: the model sees the message, `tool-output-error` is
 * emitted, and the run goes on.
 */
export type ToolHandler = (args: Record<string, unknown>, context: ToolContext) => Promise<unknown>;

/** A remote MCP server a thread uses, as the engine asks the host to connect to it (`mcpServers:`). */
export interface McpServerRequest {
  /** The declaration's name (the namespace of its tools), for messages. */
  name: string;
  /** Absolute http(s) URL of the MCP endpoint. */
  url: string;
  /** Sent with every request. */
  headers: Record<string, string>;
  /** `http` (Streamable HTTP) or `sse` (the older HTTP+SSE transport). */
  transport: McpTransport;
}

/** A tool a connected MCP server lists (MCP `tools/list`). */
export interface McpTool {
  /** The server's own name for it; the model sees `<server>__<name>`. */
  name: string;
  description?: string;
  /** JSON Schema of its arguments (an object schema), as the server gives it. */
  inputSchema: JSONSchema7;
}

/**
 * An open connection to an MCP server, made by the host. The engine opens at most one
 * per server and leg, and always closes it when the leg ends.
 */
export interface McpConnection {
  /** Every tool the server lists. */
  tools: McpTool[];
  /**
   * Calls tool `name` (the server's name, without the namespace) with arguments already
   * checked against its `inputSchema`. Resolves with the result as a JSON value; rejects
   * with a message for the model when the server reports an error.
   */
  callTool(name: string, args: Record<string, unknown>, context: { toolCallId: string; signal: AbortSignal }): Promise<unknown>;
  /** Ends the session. Should not reject; the engine bounds how long it waits. */
  close(): Promise<void>;
}

/** What the engine asks of the host to start a nested worker (section 11). */
export interface WorkerRequest {
  /** The worker's slug, a key of the parent's `workers:`. */
  slug: string;
  /**
   * Minted by the engine (a UUID) before the child exists, because `worker-input-*`
   * events name the worker while the model is still writing its input. The child's
   * events carry it; the host may use it as the child run's id.
   */
  workerId: string;
  /** The input for the child, unchecked: the child validates it (section 4). */
  input: Record<string, unknown>;
  /** The declaration's display (default `stream`, section 11). */
  display: DisplayMode;
  /** The declaration's description. */
  description?: string;
  /** The child's depth: 1 for a worker started by a standalone run. */
  depth: number;
  /** Set when the parent's model called the worker as a tool. */
  toolCallId?: string;
}

/**
 * A nested worker created by the host (`startWorker`): the engine runs `protocol` with
 * `host` (its tool handlers filled in per the parent's `tools` mapping), forwards its
 * events to the parent per display mode, then calls `finish` with the outcome. A child
 * never pauses: its client tools are error results (see `ExecuteWorkerOptions.rejectClientToolCalls`).
 */
export interface ChildWorker {
  protocol: Protocol;
  /** The child's own host: its events, checkpoints and handlers (a child run of its own). */
  host: ExecutionHost;
  /** The child execution's id, for its `start` and `finish`. */
  executionId: string;
  /** Called once with the child's final outcome (completed, failed or cancelled). */
  finish(outcome: WorkerOutcome): Promise<void>;
}

/** What the engine needs from its caller. */
export interface ExecutionHost {
  /**
   * Resolves a `provider/model-id`. Throws for an unknown or unsupported id; the engine
   * reports it as an `error` event (`not_found_error`, or the thrown error's own
   * `errorType` when it carries a valid one).
   */
  resolveModel(id: string): ResolvedModel;
  /**
   * Resolves an image model id, like `resolveModel`. Without it, generate-image and the
   * `octavus_generate_image` tool fail with `unsupported_error`.
   */
  resolveImageModel?(id: string): ResolvedImageModel;
  /**
   * Receives every event, in order; the host stores and numbers them. `meta.hidden`
   * marks events clients must not see (see `EventMeta`).
   */
  emit(event: StreamEvent, meta: EventMeta): void;
  /**
   * Called with the whole state after every completed block, after every completed
   * agentic step, as a block that calls out (model, tool, image, worker) starts (after
   * its `block-start`, so that an interruption is counted and stays visible), once the
   * results of a paused batch are taken in (the state then has no `pending`), and when
   * the run pauses; in that order, each with a state of its own. The engine waits for it
   * before the run goes on, except after a completed block: then the next block starts at
   * once, and the checkpoint is waited for by the next one waited for — before anything
   * calls out, pauses or the leg ends. So several checkpoints may be in the host's hands
   * at once; a host may store those that wait behind a write in one write (the latest
   * state supersedes the others). Events emitted before a checkpoint should be stored
   * with it.
   */
  checkpoint(state: RunState): Promise<void>;
  /**
   * The USD cost of `usage` (the run's tokens per model that answered), for the `usage`
   * event's `cost`; null when some model has no price. Without it the fees are 0.
   */
  costOf?(usage: ModelUsage): number | null;
  /** Aborting it cancels the run (between blocks, or inside a model or tool call). */
  signal?: AbortSignal;
  /**
   * Retries of a failed model request before it counts as failed (AI SDK `maxRetries`:
   * exponential backoff from 2 s, honouring `retry-after` up to 60 s; default 2).
   */
  maxRetries?: number;
  /**
   * The server-side handler of a declared tool, or undefined: the call is then a client
   * tool (the run pauses) unless `rejectClientToolCalls`. Also asked for the built-in
   * `octavus_web_search` (section 6), which the engine cannot run itself.
   */
  toolHandler?(toolName: string): ToolHandler | undefined;
  /**
   * Creates a child run for a nested worker (run-worker block, or a worker the model
   * calls as a tool). Without it, nested workers fail with `unsupported_error`.
   */
  startWorker?(request: WorkerRequest): Promise<ChildWorker>;
  /**
   * Connects to a remote MCP server of a thread's `mcpServers` (the network is the host's
   * business: which addresses it may reach, timeouts, the client library). Rejects when
   * the server cannot be reached; `signal` aborts the attempt. Without it, a thread with
   * MCP servers fails at its start-thread with `unsupported_error`.
   */
  connectMcpServer?(server: McpServerRequest, signal: AbortSignal): Promise<McpConnection>;
  /**
   * The protocol of worker `slug`, for the tool schema of a worker offered to a model
   * (its `input:` becomes the tool's parameters). Without it, or when it rejects, the
   * tool takes any object and the child checks its input when it starts.
   */
  workerProtocol?(slug: string): Promise<Protocol>;
  /**
   * Where the engine reports spans (OpenTelemetry): one per block it runs, and the AI
   * SDK's spans of each model call beneath it (src/engine/tracing.ts). Without it the
   * engine makes no span.
   */
  telemetry?: EngineTelemetry;
}

/** The tracer of an execution's spans and whether model-call spans carry prompts and answers. */
export interface EngineTelemetry {
  tracer: Tracer;
  /** The AI SDK's `recordInputs` and `recordOutputs`: prompts, messages and answers as span attributes. */
  recordContent: boolean;
}

/**
 * Bounds on one execution. Every limit is checked by the engine and fails the run with
 * a clear `error` event when exceeded; see `DEFAULT_LIMITS` for the values used when a
 * field is absent.
 */
export interface ExecutionLimits {
  /**
   * Active time of the run across all its legs, in ms (time paused for client tools does
   * not count). Exceeded: the current call is aborted and the run fails (`execution_error`).
   */
  runTimeoutMs?: number;
  /**
   * One model call, image generation or tool handler call, in ms. A model call that
   * exceeds it fails like a provider timeout (`provider_timeout`, eligible for the
   * `backupModel`); a tool handler that exceeds it gives the call an error result.
   */
  stepTimeoutMs?: number;
  /**
   * Model steps that end in tool calls, counted over the whole run. Exceeded: the run
   * fails (`execution_error`). A guard against runaway agent loops, on top of each
   * thread's `maxSteps`.
   */
  maxToolSteps?: number;
  /** Nesting depth of workers (a standalone run is depth 0). Exceeded: `execution_error`. */
  maxDepth?: number;
}

/** Options of `executeWorker`. */
export interface ExecuteWorkerOptions {
  /** The caller's input, checked per section 4 before any step. */
  input: Record<string, unknown>;
  host: ExecutionHost;
  /** Identifies this execution in `start` and `finish`. */
  executionId: string;
  /** Identifies this worker invocation in `worker-start` and `worker-result`. */
  workerId: string;
  /**
   * A checkpoint to resume from. Steps before `state.nextStep` are not run again. A
   * state paused for tools needs `toolResults`; any other state is a crash resume.
   */
  state?: RunState;
  /**
   * Answers to every call of `state.pending.calls` (section 12), in any order. Results
   * for the batch's server calls (`serverToolResults`) may be echoed back and are
   * ignored: the checkpoint already holds them.
   * @see ToolResultsError for what is refused
   */
  toolResults?: ToolResult[];
  /**
   * Section 6: a call without a handler gets the error result `Tool "<name>" is not
   * available. No handler is registered for this tool.` instead of pausing the run.
   * Always true for nested workers.
   */
  rejectClientToolCalls?: boolean;
  limits?: ExecutionLimits;
  /** Nesting depth of this execution: 0 (default) standalone, 1 for its children, … */
  depth?: number;
}

/** LLM settings of a thread, fixed by its start-thread (section 7) with references resolved. */
export interface ThreadSettings {
  /** 0–2; absent when unset or `"off"` (provider default). */
  temperature?: number;
  thinking?: ThinkingLevel;
  /** Tool-loop steps per next-message; 1 unless start-thread says otherwise. */
  maxSteps: number;
  maxOutputTokens?: number;
  /** Tool results longer than this many tokens reach the model as a head-and-tail preview. */
  maxToolOutputTokens?: number;
  /** Declared tools offered in this thread. */
  tools: string[];
  /** Worker slugs offered as tools in this thread (section 11). */
  workers?: string[];
  /**
   * Remote MCP servers whose tools this thread offers (names from `mcpServers:`). Only
   * names: the connections belong to a leg, and are opened again by the next one.
   */
  mcpServers?: string[];
  /** Reference names readable through `octavus_reference_*` in this thread. */
  references?: string[];
  /** Image model id enabling `octavus_generate_image` (references resolved). */
  imageModel?: string;
  /** Enables `octavus_web_search` (needs a host handler). */
  webSearch?: boolean;
  /** Enables `octavus_todo_write`. */
  todoList?: boolean;
  /** start-thread `anthropic` options, passed to an Anthropic provider. */
  anthropic?: Record<string, unknown>;
}

/** One thread: its model, settings, rendered system prompt and history. */
export interface ThreadState {
  /** The `provider/model-id` the thread asks for (references resolved). */
  model: string;
  backupModel?: string;
  settings: ThreadSettings;
  /** The rendered system prompt. */
  system: string;
  /** The conversation, in AI SDK message form. */
  messages: ModelMessage[];
  /** Tokens used by this thread's model calls, all legs included. */
  usage?: TokenUsage;
  /** The todo list written through `octavus_todo_write`. */
  todos?: TodoItem[];
}

/**
 * A next-message in progress (an agentic turn): what a pause or a mid-turn checkpoint
 * must keep to go on with the loop.
 */
export interface TurnState {
  /** Index of the next-message block. */
  blockIndex: number;
  /** Model steps already taken in this turn. */
  steps: number;
  /** The turn's messages so far (assistant steps and tool results), not yet in the thread. */
  messages: ModelMessage[];
  /** Text of the last completed step (section 7 OPEN: `output` is the final step's text). */
  text: string;
  /** Number of text and reasoning parts emitted so far, so that part ids stay unique. */
  parts: number;
}

/** A batch of tool calls the run waits for (section 12). */
export interface PendingBatch {
  /** Index of the block that made the calls (a next-message or a tool-call). */
  blockIndex: number;
  /** The calls without a server handler; `toolResults` must answer all of them. */
  calls: PendingToolCall[];
  /** Results of the batch's server calls, already run (section 12, `serverToolResults`). */
  serverResults: ToolResult[];
}

/** Where a run stands; checkpointed as it goes, accepted back to resume. */
export interface RunState {
  /** Index of the next step to run (or of the step in progress, with `turn`/`pending`/`attempt`). */
  nextStep: number;
  /** Variable values; a variable without a value is absent. */
  variables: Record<string, unknown>;
  /** Resource values (set-resource, deprecated); absent ones read their declared default. */
  resources?: Record<string, unknown>;
  threads: Record<string, ThreadState>;
  /** Tokens used by this run's own model calls (not its nested workers'), every leg included. */
  usage: TokenUsage;
  /** The same tokens per model that answered (absent in checkpoints of older versions). */
  models?: ModelUsage;
  /** The agentic turn in progress, when a pause or a mid-turn checkpoint cut it. */
  turn?: TurnState;
  /** Set while the run waits for client tools. */
  pending?: PendingBatch;
  /**
   * How many times the block at `step` has been started. Set as a block that calls out
   * starts, cleared when it completes: finding it on resume means the block was interrupted.
   */
  attempt?: { step: number; count: number };
  /** Model steps that ended in tool calls, for `limits.maxToolSteps`. */
  toolSteps?: number;
  /** Active time spent by previous legs, in ms, for `limits.runTimeoutMs`. */
  activeMs?: number;
}

/** Tokens per thread name (the threads of this run). */
export type ThreadUsage = Record<string, TokenUsage>;

/** Tokens of one model's calls; `cachedInputTokens` (read from the provider's prompt cache) are part of `inputTokens`. */
export interface ModelTokens {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

/** Tokens per model that answered, keyed `provider/modelId` as resolved (`openai/gpt-4o-mini`), for pricing. */
export type ModelUsage = Record<string, ModelTokens>;

/** A run's token counts: in total, per thread and per model that answered. */
export interface RunTotals {
  usage: TokenUsage;
  threadUsage: ThreadUsage;
  modelUsage: ModelUsage;
}

/** How `executeWorker` ended. `usage` counts this run's own model calls. */
export type WorkerOutcome = RunTotals &
  (
    | { status: 'completed'; output?: unknown }
    | { status: 'failed'; error: { errorType: ErrorType; message: string } }
    | { status: 'cancelled' }
    /**
     * Waiting for client tools: `client-tool-request` and `finish{client-tool-calls}` were
     * emitted and the state (with `pending`) checkpointed. Resume with `toolResults`.
     */
    | { status: 'paused'; pendingToolCalls: PendingToolCall[] }
  );
