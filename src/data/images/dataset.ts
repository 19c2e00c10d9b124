/**
 * The ImageDataset object built from decoded splits, and the conversions between 8-bit
 * pixels and the flow's [−1, 1] floats (x = byte/127.5 − 1).
 */
import type { Rng } from '../../util/rng.js';
import { DataError } from '../types.js';
import type { ImageDataset, ImageShape, ImageSplit } from '../types.js';

/** Dequantisation noise std the authors use. */
export const DEFAULT_DEQUANTIZE = 0.03;

export interface ImageDatasetParts {
  name: string;
  image: ImageShape;
  train: ImageSplit;
  test?: ImageSplit;
  classNames?: string[];
  flip: boolean;
  dequantize?: number;
  notes?: string[];
}

function checkSplit(name: string, which: string, split: ImageSplit, per: number): void {
  if (!Number.isInteger(split.count) || split.count < 0 || split.pixels.length !== split.count * per) {
    throw new DataError(
      `${name}: ${which} split has ${split.pixels.length} bytes for ${split.count} images, expected ${per} bytes per image`,
    );
  }
  if (split.labels && split.labels.length !== split.count) {
    throw new DataError(`${name}: ${which} split has ${split.labels.length} labels for ${split.count} images, expected one per image`);
  }
}

/** Mirror one HWC image left–right into `out`. */
function flipInto(src: Uint8Array, off: number, shape: ImageShape, out: Float32Array, outOff: number): void {
  const { height: H, width: W, channels: C } = shape;
  for (let y = 0; y < H; y++) {
    const row = off + y * W * C;
    const orow = outOff + y * W * C;
    for (let x = 0; x < W; x++) {
      const s = row + (W - 1 - x) * C;
      const d = orow + x * C;
      for (let c = 0; c < C; c++) out[d + c] = src[s + c] / 127.5 - 1;
    }
  }
}

/** Assemble an ImageDataset (no `points`: images are sampled straight from the bytes). */
export function makeImageDataset(parts: ImageDatasetParts): ImageDataset {
  const { name, image, train, test, classNames, flip } = parts;
  const dequantize = parts.dequantize ?? DEFAULT_DEQUANTIZE;
  const dim = image.height * image.width * image.channels;
  checkSplit(name, 'train', train, dim);
  if (test) checkSplit(name, 'test', test, dim);
  if (train.count < 1) throw new DataError(`${name}: the training split is empty, expected at least one image`);
  const ds: ImageDataset = {
    kind: 'image',
    name,
    dim,
    image,
    train,
    flip,
    dequantize,
    notes: parts.notes ?? [],
    sample(n: number, rng: Rng): Float32Array {
      if (!Number.isInteger(n) || n < 0) {
        throw new RangeError(`${name}: n is ${n}, expected a non-negative integer`);
      }
      const out = new Float32Array(n * dim);
      const px = train.pixels;
      for (let i = 0; i < n; i++) {
        const r = rng.int(train.count);
        const off = r * dim;
        if (flip && rng.uniform() < 0.5) {
          flipInto(px, off, image, out, i * dim);
        } else {
          const o = i * dim;
          for (let j = 0; j < dim; j++) out[o + j] = px[off + j] / 127.5 - 1;
        }
      }
      if (dequantize > 0 && n > 0) {
        const noise = rng.normalArray(n * dim);
        for (let j = 0; j < out.length; j++) out[j] += dequantize * noise[j];
      }
      return out;
    },
  };
  if (test) ds.test = test;
  if (classNames) ds.classNames = classNames;
  return ds;
}

/** Images of a split as [−1, 1] floats, row-major (all, or those at `indices`); no noise, no flips. */
export function imagesToFloat(split: ImageSplit, indices?: ArrayLike<number>): Float32Array {
  const dim = split.count > 0 ? split.pixels.length / split.count : 0;
  const px = split.pixels;
  if (indices === undefined) {
    const out = new Float32Array(px.length);
    for (let j = 0; j < px.length; j++) out[j] = px[j] / 127.5 - 1;
    return out;
  }
  const out = new Float32Array(indices.length * dim);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    if (!Number.isInteger(r) || r < 0 || r >= split.count) {
      throw new RangeError(`imagesToFloat: index ${r} at position ${i}, expected an integer in [0, ${split.count})`);
    }
    const off = r * dim;
    const o = i * dim;
    for (let j = 0; j < dim; j++) out[o + j] = px[off + j] / 127.5 - 1;
  }
  return out;
}

/** [−1, 1] floats → bytes: clamped to [−1, 1], then round((x + 1)·127.5). NaN → 0. */
export function floatToBytes(values: ArrayLike<number>, out: Uint8Array = new Uint8Array(values.length)): Uint8Array {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const c = v > 1 ? 1 : v < -1 ? -1 : v;
    out[i] = Number.isNaN(c) ? 0 : Math.round((c + 1) * 127.5);
  }
  return out;
}

/** One HWC image of bytes (1 or 3 channels) → RGBA bytes (opaque), e.g. for a PNG. */
export function bytesToRgba(bytes: ArrayLike<number>, shape: ImageShape): Uint8Array {
  const n = shape.height * shape.width;
  const C = shape.channels;
  if (bytes.length !== n * C) {
    throw new DataError(`bytesToRgba: ${bytes.length} values, expected ${n * C} for ${shape.height}×${shape.width}×${C}`);
  }
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    if (C === 1) {
      out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = bytes[i];
    } else {
      out[i * 4] = bytes[i * 3];
      out[i * 4 + 1] = bytes[i * 3 + 1];
      out[i * 4 + 2] = bytes[i * 3 + 2];
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** One HWC image of [−1, 1] floats (clamped) → opaque RGBA bytes, e.g. for a PNG. */
export function imageToRgba(values: ArrayLike<number>, shape: ImageShape): Uint8Array {
  const n = shape.height * shape.width * shape.channels;
  if (values.length !== n) {
    throw new DataError(
      `imageToRgba: ${values.length} values, expected ${n} for ${shape.height}×${shape.width}×${shape.channels}`,
    );
  }
  return bytesToRgba(floatToBytes(values), shape);
}

/**
 * Split indices 0..n−1 into train and a deterministic held-out set: every 10th item
 * (positions 9, 19, …) when n ≥ minForTest, otherwise everything is training data.
 */
export function everyTenthSplit(n: number, minForTest = 20): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < n; i++) {
    if (n >= minForTest && i % 10 === 9) test.push(i);
    else train.push(i);
  }
  return { train, test };
}

/** The images (and labels) at `indices` of a flat pixel array, as a split. */
export function gatherSplit(pixels: Uint8Array, per: number, indices: number[], labels?: Int32Array): ImageSplit {
  const out = new Uint8Array(indices.length * per);
  indices.forEach((r, i) => out.set(pixels.subarray(r * per, (r + 1) * per), i * per));
  const split: ImageSplit = { count: indices.length, pixels: out };
  if (labels) split.labels = Int32Array.from(indices, (r) => labels[r]);
  return split;
}

/** One line about an image dataset, e.g. for `dggf info` and training logs. */
export function describeImageDataset(ds: ImageDataset): string {
  const { height, width, channels } = ds.image;
  const parts = [`${ds.train.count} train`];
  if (ds.test) parts.push(`${ds.test.count} test`);
  let s = `${ds.name}: ${parts.join(' / ')} images, ${height}×${width}×${channels} (${channels === 1 ? 'grey' : 'RGB'})`;
  if (ds.classNames) s += `, ${ds.classNames.length} classes`;
  else if (!ds.train.labels) s += ', unlabelled';
  s += ds.flip ? ', random flips' : ', no flips';
  s += `, dequantisation σ=${ds.dequantize}`;
  return s;
}
