/**
 * Resolving the model ids a protocol names (docs/protocol.md section 9) through the host,
 * with one error classification for language and image models.
 */
import { describeError, ExecutionFailure } from './execution-errors.js';
import type { ExecutionHost, ResolvedImageModel, ResolvedModel } from './execution-types.js';

/**
 * Resolves a language model id with the host.
 * @throws ExecutionFailure `not_found_error`, or the thrown error's own valid `errorType`.
 */
export function resolveModel(host: ExecutionHost, id: string): ResolvedModel {
  return resolveWith(() => host.resolveModel(id));
}

/**
 * Resolves an image model id with the host.
 * @throws ExecutionFailure `unsupported_error` when the host has no image models, else as `resolveModel`.
 */
export function resolveImageModel(host: ExecutionHost, id: string): ResolvedImageModel {
  if (!host.resolveImageModel) throw new ExecutionFailure('unsupported_error', `This server has no image models (asked for "${id}").`);
  const resolve = host.resolveImageModel.bind(host);
  return resolveWith(() => resolve(id));
}

function resolveWith<T>(resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    const details = describeError(error);
    throw new ExecutionFailure(details.errorType === 'execution_error' ? 'not_found_error' : details.errorType, details.message);
  }
}
