/**
 * The built-in `offline` image model (docs/architecture.md "Models (LLM)"): with no provider
 * configured, generate-image and the image tool still produce real pictures, without any
 * network. Each image is a small PNG, drawn deterministically from the prompt: a diagonal
 * gradient between two colours derived from the prompt's hash, crossed by soft bands.
 * The same prompt, size and seed always give the same bytes.
 */
import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import type { ImageModelV3, ImageModelV3CallOptions, SharedV3Warning } from '@ai-sdk/provider';

/** Pixels on the longer side of an offline image; the shorter side follows the aspect ratio. */
export const OFFLINE_IMAGE_LONG_SIDE = 128;

/** Aspect ratio used when a call gives neither `size` nor `aspectRatio`. */
const DEFAULT_ASPECT: readonly [number, number] = [1, 1];

type ImageResult = Awaited<ReturnType<ImageModelV3['doGenerate']>>;

/** A deterministic {@link ImageModelV3} producing PNG images (see the module comment). */
export class OfflineImageModel implements ImageModelV3 {
  readonly specificationVersion = 'v3';
  readonly provider = 'offline';
  readonly modelId = 'offline-image';
  readonly maxImagesPerCall = 4;

  async doGenerate(options: ImageModelV3CallOptions): Promise<ImageResult> {
    options.abortSignal?.throwIfAborted();
    const warnings: SharedV3Warning[] = [];
    if (options.files?.length) warnings.push({ type: 'other', message: 'The offline image model ignores reference images.' });
    if (options.mask) warnings.push({ type: 'other', message: 'The offline image model ignores masks.' });
    const { width, height } = dimensionsOf(options);
    const images = Array.from({ length: options.n }, (_, index) =>
      renderImage(width, height, `${options.prompt ?? ''}\u0000${options.seed ?? 0}\u0000${index}`),
    );
    return { images, warnings, response: { timestamp: new Date(0), modelId: this.modelId, headers: undefined } };
  }
}

/**
 * Pixel size for a call: `size` (`WxH`) or `aspectRatio` (`W:H`, default 1:1) scaled so
 * that the longer side is {@link OFFLINE_IMAGE_LONG_SIDE}.
 */
export function dimensionsOf(options: Pick<ImageModelV3CallOptions, 'size' | 'aspectRatio'>): { width: number; height: number } {
  const pair = (text: string | undefined, separator: string): [number, number] | undefined => {
    const parts = text?.split(separator).map(Number);
    return parts?.length === 2 && parts.every((part) => Number.isFinite(part) && part > 0) ? [parts[0]!, parts[1]!] : undefined;
  };
  const [w, h] = pair(options.size, 'x') ?? pair(options.aspectRatio, ':') ?? DEFAULT_ASPECT;
  const scale = OFFLINE_IMAGE_LONG_SIDE / Math.max(w, h);
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

/** The PNG bytes of one image for `seedText`. */
function renderImage(width: number, height: number, seedText: string): Uint8Array {
  const hash = createHash('sha256').update(seedText).digest();
  const from = [hash[0]!, hash[1]!, hash[2]!];
  const to = [hash[3]!, hash[4]!, hash[5]!];
  const bands = 2 + (hash[6]! % 5);
  const phase = (hash[7]! / 255) * Math.PI * 2;
  return encodePng(width, height, (x, y) => {
    const t = (x / Math.max(1, width - 1) + y / Math.max(1, height - 1)) / 2;
    const wave = 0.85 + 0.15 * Math.sin(((x - y) / Math.max(width, height)) * bands * Math.PI * 2 + phase);
    return from.map((start, channel) => Math.round((start + (to[channel]! - start) * t) * wave)) as [number, number, number];
  });
}

/** Encodes an 8-bit RGB image as PNG (signature, IHDR, one zlib IDAT, IEND). */
export function encodePng(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Uint8Array {
  const rowLength = 1 + width * 3;
  const raw = Buffer.alloc(rowLength * height);
  for (let y = 0; y < height; y++) {
    raw[y * rowLength] = 0; // filter type: none
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      raw.set([r, g, b], y * rowLength + 1 + x * 3);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, adaptive filtering, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}
