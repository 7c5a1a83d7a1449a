/**
 * Image generation (docs/protocol.md section 7, generate-image; section 6, the built-in
 * `octavus_generate_image` tool): an image model resolved by the host, called through
 * the AI SDK's `generateImage`, the picture returned as a `data:` URL file.
 *
 * Aspect ratio (section 7: "clamped to the model's set"): OpenAI image models take sizes,
 * not ratios, so the ratio becomes the model's size closest to it (DALL·E 2: square
 * only; DALL·E 3: 1024², 1792×1024, 1024×1792; GPT Image and others: 1024², 1536×1024,
 * 1024×1536). Other providers get the ratio as it is.
 */
import { generateImage } from 'ai';
import type { GeneratedFile } from './events.js';
import { ExecutionFailure, ModelCallError, StepTimeoutError } from './execution-errors.js';
import type { ResolvedImageModel } from './execution-types.js';
import { resolveImageModel } from './model-resolution.js';
import type { Execution } from './run-context.js';

/** What to draw. */
export interface ImageRequest {
  /** An image model id (`provider/model-id`). */
  modelId: string;
  prompt: string;
  /** `W:H`; default `1:1`. */
  aspectRatio?: string;
  /** Image URLs (http(s) or `data:`) to edit from. */
  referenceImages?: string[];
  /** The file's id in `file-available` and its base name. */
  fileId: string;
}

type Size = `${number}x${number}`;

const OPENAI_SIZES: ReadonlyArray<[RegExp, readonly Size[]]> = [
  [/^dall-e-2/, ['1024x1024']],
  [/^dall-e-3/, ['1024x1024', '1792x1024', '1024x1792']],
  [/^/, ['1024x1024', '1536x1024', '1024x1536']],
];

/**
 * Draws one image.
 * @returns the image as a file whose `url` is a `data:` URL
 * @throws ModelCallError for a provider failure or `limits.stepTimeoutMs`; ExecutionFailure
 *   for an unknown model or a bad aspect ratio; RunCancelled or the run-timeout failure.
 */
export async function generateImageFile(exec: Execution, request: ImageRequest): Promise<GeneratedFile> {
  const resolved = resolveImageModel(exec.host, request.modelId);
  const ratio = parseRatio(request.aspectRatio ?? '1:1');
  const signal = exec.clock.stepSignal();
  const images = request.referenceImages ?? [];
  let image;
  try {
    const result = await generateImage({
      model: resolved.model,
      prompt: images.length > 0 ? { text: request.prompt, images } : request.prompt,
      ...sizing(resolved, ratio),
      abortSignal: signal,
      ...(exec.host.maxRetries !== undefined ? { maxRetries: exec.host.maxRetries } : {}),
    });
    image = result.image;
  } catch (error) {
    const model = { provider: resolved.provider, modelId: resolved.modelId };
    if (!signal.aborted) throw new ModelCallError(error, model, false);
    exec.clock.throwIfStopped();
    throw new ModelCallError(new StepTimeoutError(exec.clock.stepTimeoutMs), model, false);
  }
  const extension = image.mediaType.split('/')[1]?.replace(/[^a-z0-9]/g, '') || 'bin';
  return {
    id: request.fileId,
    mediaType: image.mediaType,
    url: `data:${image.mediaType};base64,${image.base64}`,
    filename: `${request.fileId.replace(/[^A-Za-z0-9._-]+/g, '-')}.${extension}`,
    size: image.uint8Array.byteLength,
  };
}

/** `W:H` as two positive numbers. */
function parseRatio(text: string): [number, number] {
  const parts = text.split(':').map(Number);
  if (parts.length !== 2 || !parts.every((part) => Number.isFinite(part) && part > 0)) {
    throw new ExecutionFailure('validation_error', `The aspect ratio "${text}" is not \`W:H\` (e.g. \`16:9\`).`);
  }
  return [parts[0]!, parts[1]!];
}

function sizing(model: ResolvedImageModel, [w, h]: [number, number]): { size: Size } | { aspectRatio: `${number}:${number}` } {
  if (model.provider.split('.')[0] !== 'openai') return { aspectRatio: `${w}:${h}` };
  const sizes = OPENAI_SIZES.find(([pattern]) => pattern.test(model.modelId))![1];
  const distance = (size: Size): number => {
    const [sw, sh] = size.split('x').map(Number) as [number, number];
    return Math.abs(Math.log(sw / sh) - Math.log(w / h));
  };
  return { size: sizes.reduce((best, size) => (distance(size) < distance(best) ? size : best)) };
}
