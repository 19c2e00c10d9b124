/**
 * Sample-quality metrics for point samples (row-major, `dim` columns), computed in plain
 * TypeScript with Float64 accumulators. NaN in the inputs propagates to NaN metrics (a
 * diverged flow shows up rather than being hidden).
 */
import { Rng } from '../util/rng.js';
import { energyDistance } from './energy.js';
import { defaultBandwidths, mmdRbf } from './mmd.js';
import { rowsOf } from './shape.js';
import type { Points } from './shape.js';
import { slicedWasserstein } from './sliced.js';

export { mmdRbf, medianPairwiseDistance, defaultBandwidths, BANDWIDTH_FACTORS } from './mmd.js';
export { energyDistance } from './energy.js';
export { slicedWasserstein, wasserstein1Sorted } from './sliced.js';
export type { SlicedOptions } from './sliced.js';
export { modeCoverage } from './modes.js';
export type { ModeCoverage } from './modes.js';
export { supportFit, offSupportThreshold, worstShareError } from './support.js';
export type { SupportFit } from './support.js';
export { farFromData } from './far-from-data.js';
export { NearestRows } from './nearest.js';
export type { FarFromData } from './far-from-data.js';
export type { Points } from './shape.js';

export interface EvaluateOptions {
  /** RBF bandwidths for MMD; default: defaultBandwidths(reference). */
  bandwidths?: number[];
  /** Directions for sliced Wasserstein (default 128). */
  projections?: number;
  /** Seed for the sliced-Wasserstein directions (default 0). */
  seed?: number;
}

export interface SampleMetrics {
  mmd: number;
  energy: number;
  sliced_w: number;
  bandwidths: number[];
  /** Number of samples. */
  n: number;
  /** Number of reference points. */
  m: number;
}

/** MMD (mean-of-RBF, biased), energy distance and sliced W1 of `samples` against `reference`. */
export function evaluateSamples(
  samples: Points,
  reference: Points,
  dim: number,
  opts: EvaluateOptions = {},
): SampleMetrics {
  const n = rowsOf(samples, dim, 'evaluateSamples samples');
  const m = rowsOf(reference, dim, 'evaluateSamples reference');
  const bandwidths = opts.bandwidths ?? defaultBandwidths(reference, dim);
  return {
    mmd: mmdRbf(samples, reference, dim, bandwidths),
    energy: energyDistance(samples, reference, dim),
    sliced_w: slicedWasserstein(samples, reference, dim, {
      projections: opts.projections ?? 128,
      rng: new Rng(opts.seed ?? 0),
    }),
    bandwidths: [...bandwidths],
    n,
    m,
  };
}
