/**
 * The one interface every point dataset implements (toy 2-D generators, CSV point sets), and
 * the error type for bad dataset specs and bad data files.
 */
import type { Rng } from '../util/rng.js';

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
