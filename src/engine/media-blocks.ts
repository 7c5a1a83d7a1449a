/**
 * Media blocks (docs/protocol.md section 7).
 *
 * generate-image: the `prompt` variable's text drawn by `imageModel` (a literal id or a
 * reference, resolved by the host's `resolveImageModel`); `aspectRatio` (default `1:1`,
 * or the deprecated `size` alias) clamped to the model's sizes (images.ts);
 * `referenceImages` (variables holding URLs, `file` values or lists of them) make it an
 * edit. Emits `file-available` with a `data:` URL, which `output` receives. `resolution`
 * is for Gemini 3 image models only; validation warns when the model is not one, and
 * this server, having no Gemini provider, does not send it. The block's `thread` only
 * tags its events (OPEN).
 *
 * generate-speech and transcribe-audio are not supported: validation warns, and a run
 * whose remaining steps include one fails before its first step (`unsupported_error`).
 */
import { ExecutionFailure } from './execution-errors.js';
import { generateImageFile } from './images.js';
import type { BlockOutcome, BlockRun } from './run-context.js';
import type { BlockOf } from './types.js';

/** The deprecated `size` values as aspect ratios (section 7). */
const SIZE_ALIASES = { '1024x1024': '1:1', '1792x1024': '16:9', '1024x1792': '9:16' } as const;

/**
 * Runs a generate-image block.
 * @throws ExecutionFailure `validation_error` when the prompt or model is missing or a
 *   reference image is not a URL; ModelCallError; RunCancelled.
 */
export async function generateImageBlock(run: BlockRun, block: BlockOf<'generate-image'>): Promise<BlockOutcome> {
  const { scope } = run.exec;
  const prompt = scope.lookup(block.prompt);
  if (prompt.state !== 'set' || typeof prompt.value !== 'string' || prompt.value.trim() === '') {
    throw new ExecutionFailure('validation_error', `Step "${block.name}": \`${block.prompt}\` must hold the image prompt (a non-empty string).`);
  }
  const modelId = scope.model(block.imageModel, 'imageModel');
  if (modelId === undefined) throw new ExecutionFailure('validation_error', `Step "${block.name}" needs an image model, but its \`imageModel\` has no value.`);
  const aspectRatio = block.aspectRatio ?? (block.size ? SIZE_ALIASES[block.size] : '1:1');
  const referenceImages = block.referenceImages.flatMap((name) => imageUrls(block.name, name, run));
  const file = await generateImageFile(run.exec, { modelId, prompt: prompt.value, aspectRatio, referenceImages, fileId: run.partId('file', 1) });
  run.emit({ type: 'file-available', ...file });
  if (block.output !== undefined) run.exec.state.variables[block.output] = file.url;
  return { status: 'done' };
}

/** The image URLs variable `name` holds: a URL, a `file` value, or a list of them; none when unset. */
function imageUrls(step: string, name: string, run: BlockRun): string[] {
  const entry = run.exec.scope.lookup(name);
  if (entry.state !== 'set' || entry.value === null) return [];
  const values: unknown[] = Array.isArray(entry.value) ? entry.value : [entry.value];
  return values.map((value) => {
    const url = typeof value === 'string' ? value : typeof value === 'object' && value !== null && 'url' in value ? value.url : undefined;
    if (typeof url !== 'string' || !/^(https?:|data:)/.test(url)) {
      throw new ExecutionFailure('validation_error', `Step "${step}": \`${name}\` must hold image URLs or files for \`referenceImages\`.`);
    }
    return url;
  });
}
