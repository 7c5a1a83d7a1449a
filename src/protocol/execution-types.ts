/**
 * The contract between the engine and whoever runs an execution (the server's run
 * executor, a test): the host it calls, the state it checkpoints, the outcome it
 * returns. Everything in `RunState` is JSON-serialisable so that a run survives a
 * restart (DESIGN.md "Layers").
 */
import type { LanguageModel, ModelMessage } from 'ai';
import type { ErrorType, StreamEvent, TokenUsage } from './events.js';
import type { ThinkingLevel } from './types.js';

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

/** What the engine needs from its caller. */
export interface ExecutionHost {
  /**
   * Resolves a `provider/model-id`. Throws for an unknown or unsupported id; the engine
   * reports it as an `error` event (`not_found_error`, or the thrown error's own
   * `errorType` when it carries a valid one).
   */
  resolveModel(id: string): ResolvedModel;
  /**
   * Receives every event, in order; the host stores and numbers them. Events of hidden
   * blocks are emitted too: `block-start.display` tells the host what a client may see.
   */
  emit(event: StreamEvent): void;
  /** Called after every completed block with the whole state; awaited before the next block. */
  checkpoint(state: RunState): Promise<void>;
  /** Aborting it cancels the run (between blocks, or inside a model call). */
  signal?: AbortSignal;
  /** Retries of a failed model call before it counts as failed (AI SDK `maxRetries`; default 2). */
  maxRetries?: number;
}

/** LLM settings of a thread, fixed by its start-thread (section 7) with references resolved. */
export interface ThreadSettings {
  /** 0–2; absent when unset or `"off"` (provider default). */
  temperature?: number;
  thinking?: ThinkingLevel;
  /** Tool-loop steps per next-message; 1 unless start-thread says otherwise. */
  maxSteps: number;
  maxOutputTokens?: number;
  /** Declared tools offered in this thread (executed in a later milestone). */
  tools: string[];
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
}

/** Where a run stands; checkpointed after every block, accepted back to resume. */
export interface RunState {
  /** Index of the next step to run. */
  nextStep: number;
  /** Variable values; a variable without a value is absent. */
  variables: Record<string, unknown>;
  threads: Record<string, ThreadState>;
  /** Tokens used by this run so far, every leg included. */
  usage: TokenUsage;
}

/** How `executeWorker` ended. */
export type WorkerOutcome =
  | { status: 'completed'; output?: unknown; usage: TokenUsage }
  | { status: 'failed'; error: { errorType: ErrorType; message: string }; usage: TokenUsage }
  | { status: 'cancelled'; usage: TokenUsage };
