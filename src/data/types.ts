/**
 * The one interface every point dataset implements (toy 2-D generators, CSV point sets), and
 * the error type for bad dataset specs and bad data files.
 */
import type { Rng } from '../util/rng.js';
import type { Support } from './support.js';

export interface PointDataset {
  /** Toy name (e.g. `8gaussians`) or the CSV path it was loaded from. */
  name: string;
  /** Number of coordinates per point. */
  dim: number;
  /** n points, row-major n×dim; all randomness from `rng`, so a seed replays it exactly. */
  sample(n: number, rng: Rng): Float32Array;
  /** All points, row-major, for finite sets (CSV). */
  points?: Float32Array;
  /** Known mode centres, row-major (k×dim), for mixture toys. */
  modes?: Float32Array;
  /** Per-coordinate standard deviation of each mode (same units as the samples). */
  modeStd?: number;
  /** The known support (built-in 2-D targets): parts and noise σ, for the off-support and mass-balance checks. */
  support?: Support;
}

/**
 * A dataset could not be resolved or a data file is malformed. The message always names the
 * file / field / line concerned and says what was expected.
 */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** Per-image shape; images are stored and flowed row-major in HWC order. */
export interface ImageShape {
  height: number;
  width: number;
  channels: 1 | 3;
}

/** One split of an image dataset: 8-bit pixels, `count` images of H·W·C bytes each. */
export interface ImageSplit {
  count: number;
  /** count × H×W×C bytes, HWC order per image. */
  pixels: Uint8Array;
  /** Class index per image, when the source has labels. */
  labels?: Int32Array;
}

/**
 * An image dataset. As a PointDataset its points are flattened images scaled to [−1, 1]
 * (x = byte/127.5 − 1); `sample` draws training images with replacement from `train`,
 * applies random horizontal flips (when `flip`) and adds Gaussian dequantisation noise of
 * std `dequantize`, all from the given RNG.
 */
export interface ImageDataset extends PointDataset {
  kind: 'image';
  image: ImageShape;
  train: ImageSplit;
  /** Held-out split (MNIST t10k, every 10th emoji, …), for evaluation and translation. */
  test?: ImageSplit;
  /** Names of the classes `labels` index, when labelled. */
  classNames?: string[];
  /** Random horizontal flips allowed (not for digits). */
  flip: boolean;
  /** Std of the Gaussian dequantisation noise added by `sample` (authors: 0.03). */
  dequantize: number;
  /** Notes for the user about how the data was read (e.g. "12 images of other sizes were resized"). */
  notes: string[];
}

export function isImageDataset(ds: PointDataset): ds is ImageDataset {
  return (ds as Partial<ImageDataset>).kind === 'image';
}
