/**
 * PNG and JPEG decoding to 8-bit RGBA (pngjs, jpeg-js), and PNG encoding. The format is
 * recognised by the file's magic bytes, so a mis-named file still decodes; a corrupt or
 * unsupported file is a DataError naming it. The size is read from the header first (image-size):
 * an image of more than MAX_IMAGE_PIXELS pixels is refused before any pixel is decoded.
 */
import { readFileSync } from 'node:fs';
import { imageSize } from 'image-size';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataError } from '../types.js';
import { MAX_IMAGE_PIXELS } from '../limits.js';

export type ImageFormat = 'png' | 'jpeg';

export interface DecodedImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, RGBA, row-major. */
  rgba: Uint8Array;
  format: ImageFormat;
}

/** Extensions read from image folders (lower case, with the dot). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** Decode PNG or JPEG bytes; `file` names the source in error messages. */
export function decodeImageBytes(bytes: Uint8Array, file: string): DecodedImage {
  const format = sniffImageFormat(bytes);
  if (format === undefined) {
    const kind = bytes.length === 0 ? 'is empty' : 'does not start with a PNG or JPEG signature';
    throw new DataError(`${file} ${kind}, expected a PNG or JPEG image`);
  }
  checkImageHeader(bytes, file, format);
  let width: number;
  let height: number;
  let data: Uint8Array;
  try {
    if (format === 'png') {
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const png = PNG.sync.read(buf);
      ({ width, height } = png);
      data = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
    } else {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      ({ width, height } = img);
      data = img.data;
    }
  } catch (err) {
    const name = format === 'png' ? 'PNG' : 'JPEG';
    throw new DataError(
      `${file} is not a readable ${name} image (truncated or corrupt: ${(err as Error).message}), expected a valid ${name} file`,
    );
  }
  if (!(width > 0 && height > 0) || data.length !== width * height * 4) {
    throw new DataError(
      `${file}: decoded ${data.length} bytes for ${width}×${height} pixels, expected a valid image with ${Math.max(0, width * height * 4)} RGBA bytes`,
    );
  }
  return { width, height, rgba: data, format };
}

/**
 * The width and height a PNG or JPEG header declares, checked against MAX_IMAGE_PIXELS before
 * decoding (a 389 KB PNG can declare 20000×20000 pixels: 1.6 GB of RGBA).
 */
export function checkImageHeader(bytes: Uint8Array, file: string, format: ImageFormat): { width: number; height: number } {
  const name = format === 'png' ? 'PNG' : 'JPEG';
  let size: { width?: number; height?: number };
  try {
    size = imageSize(bytes);
  } catch (err) {
    throw new DataError(`${file} is not a readable ${name} image (its header gives no size: ${(err as Error).message}), expected a valid ${name} file`);
  }
  const { width = 0, height = 0 } = size;
  if (!(width > 0 && height > 0)) {
    throw new DataError(`${file}: its ${name} header declares ${width}×${height} pixels, expected a valid image of at least 1×1`);
  }
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new DataError(
      `${file}: ${width}×${height} pixels (${((width * height) / 1e6).toFixed(1)} megapixels), more than the ` +
        `${MAX_IMAGE_PIXELS / 1e6} megapixels an image may have; expected a smaller image (downscale it first)`,
    );
  }
  return { width, height };
}

/** Read and decode a PNG or JPEG file. */
export function decodeImageFile(file: string): DecodedImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new DataError(`${file} cannot be read (${why}), expected a PNG or JPEG image`);
  }
  return decodeImageBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
}

/** Encode RGBA bytes (width × height × 4) as a PNG file's bytes. */
export function encodePng(rgba: Uint8Array, width: number, height: number): Buffer {
  if (rgba.length !== width * height * 4) {
    throw new DataError(`encodePng: ${rgba.length} bytes for ${width}×${height}, expected ${width * height * 4} (RGBA)`);
  }
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return PNG.sync.write(png);
}

/** Encode RGBA bytes as a JPEG file's bytes (quality 1–100). */
export function encodeJpeg(rgba: Uint8Array, width: number, height: number, quality = 90): Buffer {
  if (rgba.length !== width * height * 4) {
    throw new DataError(`encodeJpeg: ${rgba.length} bytes for ${width}×${height}, expected ${width * height * 4} (RGBA)`);
  }
  return jpeg.encode({ data: rgba, width, height }, quality).data;
}
