/**
 * Strays without a known support: a sample is far from the data when its nearest data point is
 * farther than all but (1 − quantile) of held-out data points' nearest data points are. For
 * data that lie on curves, rings or narrow modes this is the off-support share of
 * src/eval/support.ts measured from the data alone, so a CSV of the user's own points gets it
 * too. By construction about 1 − quantile of fresh data points are "far" themselves.
 */
import { NearestRows } from './nearest.js';

export interface FarFromData {
  /** Share of the samples farther from every reference point than the threshold. */
  share: number;
  /** The `quantile` of the held-out points' distances to their nearest reference point. */
  threshold: number;
  quantile: number;
  /** Samples and reference / held-out data points used. */
  samples: number;
  reference: number;
  heldOut: number;
}

/**
 * The far-from-data share of `samples` against `reference` data, with the threshold set by
 * `heldOut` data points (drawn independently of `reference`: no shared rows).
 */
export function farFromData(samples: Float32Array, reference: Float32Array, heldOut: Float32Array, dim: number, quantile = 0.99): FarFromData {
  for (const [name, a] of [['samples', samples], ['reference', reference], ['heldOut', heldOut]] as const) {
    if (a.length === 0 || a.length % dim !== 0) throw new RangeError(`farFromData: ${name} has ${a.length} values, expected a positive multiple of dim ${dim}`);
  }
  if (!(quantile > 0 && quantile < 1)) throw new RangeError(`farFromData: quantile ${quantile}, expected 0 < q < 1`);
  const n = samples.length / dim;
  const m = reference.length / dim;
  const h = heldOut.length / dim;
  const nearest = new NearestRows(reference, dim);
  const held = Float64Array.from({ length: h }, (_, i) => nearest.distance(heldOut, i)).sort();
  const threshold = held[Math.min(h - 1, Math.ceil(quantile * h) - 1)];
  let far = 0;
  for (let i = 0; i < n; i++) if (!(nearest.distance(samples, i) <= threshold)) far++;
  return { share: far / n, threshold, quantile, samples: n, reference: m, heldOut: h };
}
