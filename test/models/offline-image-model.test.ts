/**
 * The offline image model: real, deterministic PNG images, sized by aspect ratio, through
 * the AI SDK's `generateImage` and the model registry.
 */
import { inflateSync } from 'node:zlib';
import { generateImage } from 'ai';
import { describe, expect, it } from 'vitest';
import { dimensionsOf, encodePng, OFFLINE_IMAGE_LONG_SIDE, OfflineImageModel } from '../../src/models/offline-image-model.js';
import { createModelRegistry, ModelResolutionError } from '../../src/models/registry.js';

/** The chunks of a PNG file, after its signature. */
function chunks(png: Uint8Array): Array<{ type: string; data: Buffer }> {
  const buffer = Buffer.from(png);
  expect(buffer.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const found: Array<{ type: string; data: Buffer }> = [];
  for (let offset = 8; offset < buffer.length; ) {
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    const data = buffer.subarray(offset + 8, offset + 8 + length);
    found.push({ type, data });
    offset += 12 + length;
  }
  return found;
}

/** CRC-32 (ISO-HDLC, as PNG uses), bit by bit: independent of node:zlib. */
function referenceCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('OfflineImageModel', () => {
  it('generates a valid PNG through generateImage, 128 px on the long side', async () => {
    const { image, warnings } = await generateImage({ model: new OfflineImageModel(), prompt: 'A red kite over a beach', aspectRatio: '16:9' });
    expect(image.mediaType).toBe('image/png');
    expect(warnings).toEqual([]);
    const [header, ...rest] = chunks(image.uint8Array);
    expect(header!.type).toBe('IHDR');
    expect([header!.data.readUInt32BE(0), header!.data.readUInt32BE(4), header!.data[8], header!.data[9]]).toEqual([128, 72, 8, 2]);
    expect(rest.map((chunk) => chunk.type)).toEqual(['IDAT', 'IEND']);
    const raw = inflateSync(rest[0]!.data);
    expect(raw.length).toBe(72 * (1 + 128 * 3));
    // Not a flat colour: a gradient.
    expect(new Set(raw).size).toBeGreaterThan(20);
  });

  it('is deterministic per prompt, seed and index', async () => {
    const model = new OfflineImageModel();
    const draw = (prompt: string, seed?: number) =>
      model.doGenerate({ prompt, n: 2, size: undefined, aspectRatio: undefined, seed, files: undefined, mask: undefined, providerOptions: {} });
    const [a, b, c] = await Promise.all([draw('same'), draw('same'), draw('same', 7)]);
    expect(a.images).toEqual(b.images);
    expect(a.images[0]).not.toEqual(a.images[1]);
    expect(c.images[0]).not.toEqual(a.images[0]);
  });

  it('sizes from WxH or W:H, square by default', () => {
    expect(dimensionsOf({ size: '1024x1792', aspectRatio: undefined })).toEqual({ width: 73, height: OFFLINE_IMAGE_LONG_SIDE });
    expect(dimensionsOf({ size: undefined, aspectRatio: '4:3' })).toEqual({ width: 128, height: 96 });
    expect(dimensionsOf({ size: undefined, aspectRatio: undefined })).toEqual({ width: 128, height: 128 });
  });

  it('writes a correct CRC-32 after every chunk', () => {
    const png = Buffer.from(encodePng(3, 2, (x, y) => [x * 80, y * 120, 200]));
    let offset = 8;
    while (offset < png.length) {
      const length = png.readUInt32BE(offset);
      const body = png.subarray(offset + 4, offset + 8 + length);
      expect(png.readUInt32BE(offset + 8 + length)).toBe(referenceCrc32(body));
      offset += 12 + length;
    }
  });
});

describe('createModelRegistry().resolveImage', () => {
  it('resolves every image id to the offline image model without configuration', () => {
    const image = createModelRegistry({}).resolveImage('openai/gpt-image-1');
    expect(image).toMatchObject({ provider: 'offline', modelId: 'offline-image', offline: true });
    expect(() => createModelRegistry({}).resolveImage('no-slash')).toThrow(ModelResolutionError);
  });

  it('resolves openai/* to the OpenAI image API, with aliases, like language models', () => {
    const registry = createModelRegistry({ openaiApiKey: 'sk-test', modelAliases: { 'acme/painter': 'openai/dall-e-3' } });
    expect(registry.resolveImage('openai/gpt-image-1')).toMatchObject({ provider: 'openai', modelId: 'gpt-image-1', offline: false });
    expect(registry.resolveImage('acme/painter').model.modelId).toBe('dall-e-3');
    expect(() => registry.resolveImage('google/imagen-4')).toThrow(ModelResolutionError);
  });
});
