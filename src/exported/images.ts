/** Samples that are images (HWC in [−1, 1]) as RGBA bytes, ready for a canvas's ImageData. */
import type { ExportSamples } from './flow.js';

/** Image `index` of `samples` ([n, height, width, channels], 1 or 3 channels) as RGBA bytes. */
export function sampleRgba(samples: ExportSamples, index: number): Uint8ClampedArray<ArrayBuffer> {
  const [n, height, width, channels] = samples.shape;
  if (samples.shape.length !== 4 || (channels !== 1 && channels !== 3)) throw new RangeError(`sampleRgba: expected images [n, height, width, 1 or 3], got shape [${samples.shape.join(', ')}]`);
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new RangeError(`sampleRgba: index ${index} is not in 0 … ${n - 1}`);
  const size = height * width;
  const from = index * size * channels;
  const out = new Uint8ClampedArray(size * 4);
  for (let p = 0; p < size; p++) {
    for (let c = 0; c < 3; c++) out[4 * p + c] = Math.round(((samples.values[from + p * channels + (channels === 3 ? c : 0)] + 1) / 2) * 255);
    out[4 * p + 3] = 255;
  }
  return out;
}
