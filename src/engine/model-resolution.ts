/**
 * Resolving the model ids a protocol names (docs/protocol.md section 9) through the host,
 * with one error classification for language and image models.
 */
import { describeError, ExecutionFailure } from './execution-errors.js';
import type { ExecutionHost, ResolvedImageModel, ResolvedModel } from './execution-types.js';
import { MODEL_ID } from './naming.js';
import type { RunScope } from './run-scope.js';
import type { BlockOf } from './types.js';

/**
 * The model of a thread (docs/protocol.md section 7, "The worker's model"): the model the
 * start-thread names (a literal or a reference) when it names one, the protocol's explicit
 * choice winning; otherwise the model of the worker the run works for, `WORKER.model`
 * (the `WORKER` context input, section 4).
 * @throws ExecutionFailure `validation_error` when the block's reference has no value, or
 *   the block names no model and the run has no worker model.
 */
export function threadModel(scope: RunScope, block: BlockOf<'start-thread'>): string {
  if (block.model) {
    const model = scope.model(block.model, 'model');
    if (model !== undefined) return model;
    const name = block.model.kind === 'reference' ? block.model.name : 'model';
    throw new ExecutionFailure('validation_error', `Step "${block.name}" needs a model, but \`${name}\` has no value.`);
  }
  const worker = scope.lookup('WORKER');
  const model = worker.state === 'set' && typeof worker.value === 'object' && worker.value !== null ? (worker.value as { model?: unknown }).model : undefined;
  if (typeof model === 'string' && MODEL_ID.test(model)) return model;
  throw new ExecutionFailure(
    'validation_error',
    `Step "${block.name}" names no model and the run's worker has none; give the step a \`model\` or the worker a model like \`openai/gpt-4o\`.`,
  );
}

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
