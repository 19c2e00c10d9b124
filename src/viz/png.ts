/** PNG encoding of a Raster (pngjs, synchronous). */
import { PNG } from 'pngjs';
import type { Raster } from './raster.js';

/** Encodes the raster as an 8-bit RGBA PNG. */
export function encodePng(r: Raster): Buffer {
  const png = new PNG({ width: r.width, height: r.height });
  png.data = Buffer.from(r.rgba.buffer, r.rgba.byteOffset, r.rgba.byteLength);
  // Paeth on every row: about the adaptive filter's size at a third of its time.
  return PNG.sync.write(png, { colorType: 6, filterType: 4 });
}
