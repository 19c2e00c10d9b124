/**
 * The label-free task a feature net learns on an unlabelled image folder: which of 4
 * rotations (0°, 90°, 180°, 270°) was applied to an image (RotNet: Gidaris, Singh and
 * Komodakis, "Unsupervised representation learning by predicting image rotations", ICLR 2018).
 *
 * Why rotations: telling an upright image from a turned one needs the features that make an
 * image what it is (where the top of a shoe, a face or a letter is, how objects sit), not
 * its colours or textures, which a rotation leaves unchanged; RotNet's features rank close to
 * supervised ones for classification on CIFAR-10 (their Table 7), and the task needs no labels, no
 * negatives and no large batches, so the same small classifier and training loop serve. Flips are
 * no task here: many images are left–right symmetric and image data is trained with random
 * horizontal flips, so a flip cannot be told. For the same reason the rotated set itself is
 * never flipped: flip(rot90(x)) = rot270(flip(x)) would carry the label 90°.
 */
import { DataError, type ImageDataset, type ImageSplit } from '../data/types.js';
import { makeImageDataset } from '../data/images/dataset.js';
import { Rng } from '../util/rng.js';

export const ROTATION_CLASS_NAMES = ['0°', '90°', '180°', '270°'];

/** Source images drawn into the rotated training set at most (each gives 4 images). */
export const MAX_ROTATION_SOURCES = 10000;

/**
 * Image `src` (HWC, side × side × channels bytes) turned by k·90° counter-clockwise into `out`.
 * Exact: a rotation of a square grid moves pixels, it never resamples them.
 */
export function rotateSquare(src: Uint8Array, side: number, channels: number, k: number, out: Uint8Array = new Uint8Array(src.length)): Uint8Array {
  const q = ((k % 4) + 4) % 4;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      // out(y, x) = src at the position that a counter-clockwise turn by q quarters brings to (y, x)
      let sy: number;
      let sx: number;
      if (q === 0) [sy, sx] = [y, x];
      else if (q === 1) [sy, sx] = [x, side - 1 - y];
      else if (q === 2) [sy, sx] = [side - 1 - y, side - 1 - x];
      else [sy, sx] = [side - 1 - x, y];
      const o = (y * side + x) * channels;
      const s = (sy * side + sx) * channels;
      for (let c = 0; c < channels; c++) out[o + c] = src[s + c];
    }
  }
  return out;
}

/** Every image of `indices` of `split`, in each of the 4 rotations, labelled 0–3. */
function rotatedSplit(split: ImageSplit, indices: ArrayLike<number>, side: number, channels: number): ImageSplit {
  const per = side * side * channels;
  const n = indices.length;
  const pixels = new Uint8Array(4 * n * per);
  const labels = new Int32Array(4 * n);
  for (let j = 0; j < n; j++) {
    const src = split.pixels.subarray(indices[j] * per, (indices[j] + 1) * per);
    for (let k = 0; k < 4; k++) {
      const at = 4 * j + k;
      rotateSquare(src, side, channels, k, pixels.subarray(at * per, (at + 1) * per));
      labels[at] = k;
    }
  }
  return { count: 4 * n, pixels, labels };
}

/** Training images that rotationDataset draws from (before rotating): all, or all but the every-10th held out, at most `maxSources`. */
export function rotationSourceCount(dataset: ImageDataset, maxSources = MAX_ROTATION_SOURCES): number {
  const n = dataset.train.count;
  return Math.min(maxSources, dataset.test && dataset.test.count > 0 ? n : n - Math.floor(n / 10));
}

/**
 * The rotation task of `dataset` as a labelled dataset: each training image (at most
 * `maxSources`, drawn at random with `seed`) in 4 rotations with labels 0–3, and the same for
 * the held-out images (the test split, or every 10th training image when there is none; those
 * are then left out of training). Never flipped. The images must be square.
 */
export function rotationDataset(dataset: ImageDataset, opts: { maxSources?: number; seed?: number } = {}): ImageDataset {
  const { height, width, channels } = dataset.image;
  if (height !== width) {
    throw new DataError(`dataset '${dataset.name}' has ${height}×${width} images; the rotation task needs square images`);
  }
  const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  let trainIdx: number[];
  let testSplit: ImageSplit;
  let testIdx: number[];
  if (dataset.test && dataset.test.count > 0) {
    trainIdx = all(dataset.train.count);
    testSplit = dataset.test;
    testIdx = all(dataset.test.count);
  } else {
    trainIdx = all(dataset.train.count).filter((i) => i % 10 !== 9);
    testSplit = dataset.train;
    testIdx = all(dataset.train.count).filter((i) => i % 10 === 9);
  }
  if (trainIdx.length === 0 || testIdx.length === 0) {
    throw new DataError(`dataset '${dataset.name}': ${dataset.train.count} image${dataset.train.count === 1 ? '' : 's'}, too few to train a feature net and hold some out (expected at least 10)`);
  }
  const max = opts.maxSources ?? MAX_ROTATION_SOURCES;
  if (trainIdx.length > max) {
    const perm = new Rng(opts.seed ?? 0).permutation(trainIdx.length);
    trainIdx = Array.from(perm.subarray(0, max), (p) => trainIdx[p]).sort((a, b) => a - b);
  }
  const maxTest = Math.max(1, Math.floor(max / 4));
  if (testIdx.length > maxTest) testIdx = testIdx.slice(0, maxTest);
  return makeImageDataset({
    name: dataset.name,
    image: { ...dataset.image },
    train: rotatedSplit(dataset.train, trainIdx, height, channels),
    test: rotatedSplit(testSplit, testIdx, height, channels),
    classNames: [...ROTATION_CLASS_NAMES],
    flip: false,
    dequantize: dataset.dequantize,
    notes: [],
  });
}
