/**
 * Errors during execution and their `error` events (docs/protocol.md section 14): the
 * engine's own failures, and provider failures (AI SDK `APICallError`, possibly wrapped
 * in a `RetryError`) classified by HTTP status.
 */
import { APICallError, RetryError, UnsupportedFunctionalityError } from 'ai';
import { ERROR_TYPES, type ErrorEvent, type ErrorType } from './events.js';

/** The fields of an `error` event. */
export type ErrorDetails = Omit<ErrorEvent, 'type'>;

/** A failure the engine raises itself, already classified. */
export class ExecutionFailure extends Error {
  override readonly name = 'ExecutionFailure';

  constructor(
    readonly errorType: ErrorType,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

/** Thrown inside a run when the host's signal aborts it; ends the run as cancelled. */
export class RunCancelled extends Error {
  override readonly name = 'RunCancelled';

  constructor() {
    super('The run was cancelled.');
  }
}

/**
 * A model or image call that took longer than `limits.stepTimeoutMs`. Classified like a
 * provider timeout (`provider_timeout`, transient: the `backupModel` may take over).
 */
export class StepTimeoutError extends Error {
  override readonly name = 'StepTimeoutError';

  constructor(readonly timeoutMs: number) {
    super(`The model did not finish within ${timeoutMs} ms (limits.stepTimeoutMs).`);
  }
}

/**
 * A tool call whose error ends the run (`tool_error`, section 14: "tool_error when
 * fatal"): a tool-call block's call failed, so there is no model to see the error.
 */
export class ToolCallFailure extends Error {
  override readonly name = 'ToolCallFailure';

  constructor(
    message: string,
    readonly tool: { name: string; callId: string },
  ) {
    super(message);
  }
}

/** The model a failing call went to, for `error.provider`. */
export interface FailedModel {
  provider: string;
  modelId: string;
}

/** A failed model call: the provider's error, the model, and whether text had streamed. */
export class ModelCallError extends Error {
  override readonly name = 'ModelCallError';

  constructor(
    override readonly cause: unknown,
    readonly model: FailedModel,
    /** Whether any text or reasoning reached the client before the failure. */
    readonly streamed: boolean,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * Classifies any thrown value as `error` event fields (a `ModelCallError` by its cause,
 * with its model as `error.provider`):
 * - `ExecutionFailure`: its own type, `source: platform`;
 * - `ToolCallFailure`: `tool_error`, `source: tool`, with `error.tool`;
 * - `StepTimeoutError`: `provider_timeout`, `source: provider`, retryable;
 * - an object with a valid `errorType` string (e.g. a host's model-resolution error):
 *   that type, `source: platform`;
 * - `APICallError` (unwrapped from `RetryError`): section 14's table by status, with
 *   `source: provider`, `code` like `OPENAI_429`, `retryAfter` from `retry-after`;
 * - `UnsupportedFunctionalityError`: `unsupported_error`;
 * - anything else: `execution_error` (a step failed).
 */
export function describeError(error: unknown, model?: FailedModel): ErrorDetails {
  if (error instanceof ModelCallError) return describeError(error.cause, error.model);
  const cause = RetryError.isInstance(error) ? error.lastError : error;
  if (cause instanceof ExecutionFailure) {
    return { errorType: cause.errorType, message: cause.message, retryable: cause.retryable, source: 'platform' };
  }
  if (cause instanceof ToolCallFailure) {
    return { errorType: 'tool_error', message: cause.message, retryable: false, source: 'tool', tool: cause.tool };
  }
  if (cause instanceof StepTimeoutError) {
    const provider = (model?.provider ?? 'provider').split('.')[0] ?? 'provider';
    return { errorType: 'provider_timeout', message: cause.message, retryable: true, source: 'provider', provider: { name: provider, ...(model ? { model: model.modelId } : {}) } };
  }
  if (APICallError.isInstance(cause)) return describeApiCallError(cause, model);
  if (UnsupportedFunctionalityError.isInstance(cause)) {
    return { errorType: 'unsupported_error', message: cause.message, retryable: false, source: 'provider' };
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  const ownType = typeof cause === 'object' && cause !== null && 'errorType' in cause ? cause.errorType : undefined;
  if (typeof ownType === 'string' && (ERROR_TYPES as readonly string[]).includes(ownType)) {
    return { errorType: ownType as ErrorType, message, retryable: false, source: 'platform' };
  }
  return { errorType: 'execution_error', message, retryable: false, source: 'platform' };
}

/** Section 14: how an HTTP status from a provider classifies. */
function errorTypeOfStatus(status: number | undefined, providerCode: string | undefined): { errorType: ErrorType; retryable: boolean } {
  if (status === undefined) return { errorType: 'provider_error', retryable: true }; // network failure
  if (status === 429 && providerCode === 'insufficient_quota') return { errorType: 'quota_exceeded_error', retryable: false };
  switch (status) {
    case 400:
    case 422:
      return { errorType: 'validation_error', retryable: false };
    case 401:
      return { errorType: 'authentication_error', retryable: false };
    case 402:
      return { errorType: 'quota_exceeded_error', retryable: false };
    case 403:
      return { errorType: 'permission_error', retryable: false };
    case 404:
      return { errorType: 'not_found_error', retryable: false };
    case 408:
    case 504:
      return { errorType: 'provider_timeout', retryable: true };
    case 429:
      return { errorType: 'rate_limit_error', retryable: true };
    case 503:
    case 529:
      return { errorType: 'provider_overloaded', retryable: true };
    default:
      return status >= 500 ? { errorType: 'provider_error', retryable: true } : { errorType: 'provider_error', retryable: false };
  }
}

function describeApiCallError(error: APICallError, model: FailedModel | undefined): ErrorDetails {
  const body = providerErrorBody(error.data);
  const { errorType, retryable } = errorTypeOfStatus(error.statusCode, body.code);
  const providerName = (model?.provider ?? 'provider').split('.')[0] ?? 'provider';
  const details: ErrorDetails = {
    errorType,
    message: error.message,
    retryable,
    source: 'provider',
    provider: {
      name: providerName,
      ...(model ? { model: model.modelId } : {}),
      ...(error.statusCode !== undefined ? { statusCode: error.statusCode } : {}),
      ...(body.type ? { errorType: body.type } : {}),
      ...(requestId(error.responseHeaders) ? { requestId: requestId(error.responseHeaders) } : {}),
      ...(error.data !== undefined ? { details: error.data } : {}),
    },
  };
  if (error.statusCode !== undefined) details.code = `${providerName.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_${error.statusCode}`;
  const retryAfter = retryAfterSeconds(error.responseHeaders);
  if (retryAfter !== undefined) details.retryAfter = retryAfter;
  return details;
}

/** `{error: {type, code}}`, the body shape of OpenAI-compatible and Anthropic errors. */
function providerErrorBody(data: unknown): { type?: string; code?: string } {
  const inner = typeof data === 'object' && data !== null && 'error' in data ? data.error : undefined;
  if (typeof inner !== 'object' || inner === null) return {};
  const type = 'type' in inner && typeof inner.type === 'string' ? inner.type : undefined;
  const code = 'code' in inner && typeof inner.code === 'string' ? inner.code : undefined;
  return { ...(type ? { type } : {}), ...(code ? { code } : {}) };
}

function header(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

function requestId(headers: Record<string, string> | undefined): string | undefined {
  return header(headers, 'x-request-id') ?? header(headers, 'request-id');
}

/** Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date). */
function retryAfterSeconds(headers: Record<string, string> | undefined): number | undefined {
  const milliseconds = Number(header(headers, 'retry-after-ms'));
  if (Number.isFinite(milliseconds) && milliseconds > 0) return Math.ceil(milliseconds / 1000);
  const value = header(headers, 'retry-after');
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * Whether a failed model call may go to the `backupModel` (section 7): a transient
 * provider error, not authentication, permission, validation or quota.
 */
export function isTransient(details: ErrorDetails): boolean {
  return details.source === 'provider' && ['rate_limit_error', 'provider_error', 'provider_overloaded', 'provider_timeout'].includes(details.errorType);
}
